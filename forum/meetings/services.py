"""Scheduling, changing and cancelling meetings, answers to their invitations and their
minutes. Every path (the web, mail, the demo) comes through here; each function checks
the rule, changes state, logs what the public log shows, queues mail, and flushes."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
from sqlalchemy import select

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import utcnow
from forum.extensions import db
from forum.markup import render_markdown
from forum.meetings import invitations
from forum.meetings.models import Answer, AnswerSource, Attendance, Invitees, Meeting
from forum.moderation.acts import record
from forum.moderation.models import LogAction
from forum.permissions import Action, can
from forum.posts import services as posting
from forum.posts.models import Post

# The longest meeting, and the longest agenda, taken.
MAX_DAYS = 14
AGENDA_MAX_LINES = 300
AGENDA_MAX_CHARACTERS = 20_000
MAX_DOCUMENTS = 30


class MeetingError(Exception):
    """What cannot be done; `errors` names the fields at fault (for forms), the message
    is for the person."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


@dataclass(frozen=True)
class MeetingDetails:
    """What the organiser sets: local dates and times in their time zone."""

    title: str
    start_date: date
    start_time: time
    end_date: date
    end_time: time
    timezone: str
    place: str = ""
    online_link: str = ""
    dial_in: str = ""
    agenda: str = ""
    documents: list[str] = field(default_factory=list)
    invitees: Invitees = Invitees.MEMBERS


def known_zone(name: str) -> ZoneInfo | None:
    """The IANA time zone of this name, or None."""
    name = name.strip()
    if name not in available_timezones() and name != "UTC":
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def check_details(details: MeetingDetails, *, now: datetime) -> dict[str, str]:
    """What is wrong with these details, by field name (empty when nothing is)."""
    errors: dict[str, str] = {}
    if not details.title.strip():
        errors["title"] = _("Give the meeting a title.")
    timezone = known_zone(details.timezone)
    if timezone is None:
        errors["timezone"] = _(
            "“%(zone)s” is not a time zone we know: write it as Region/City, such as "
            "Europe/Zurich or Africa/Nairobi.",
            zone=details.timezone,
        )
    else:
        starts, ends = _moments(details, timezone)
        if ends <= starts:
            errors["end_time"] = _("The meeting must end after it starts.")
        elif ends - starts > timedelta(days=MAX_DAYS):
            errors["end_date"] = _("A meeting lasts %(days)d days at most.", days=MAX_DAYS)
        if starts < now:
            errors["start_date"] = _("This date and time are in the past.")
    if not details.place.strip() and not details.online_link.strip():
        errors["place"] = _("Say where the meeting is held, or give its online link.")
    for name, link in [("online_link", details.online_link)] + [
        ("documents", document) for document in details.documents
    ]:
        if link.strip() and not link.strip().lower().startswith(("https://", "http://")):
            errors[name] = _("Links start with https:// or http://.")
    if len(details.documents) > MAX_DOCUMENTS:
        errors["documents"] = _("Link to %(count)d documents at most.", count=MAX_DOCUMENTS)
    lines = details.agenda.count("\n") + 1
    if lines > AGENDA_MAX_LINES or len(details.agenda) > AGENDA_MAX_CHARACTERS:
        errors["agenda"] = _(
            "The agenda is %(lines)d lines long; it may have %(limit)d lines and "
            "%(characters)d characters at most. Link to a longer document instead.",
            lines=lines,
            limit=AGENDA_MAX_LINES,
            characters=AGENDA_MAX_CHARACTERS,
        )
    return errors


def _moments(details: MeetingDetails, timezone: ZoneInfo) -> tuple[datetime, datetime]:
    starts = datetime.combine(details.start_date, details.start_time, tzinfo=timezone)
    ends = datetime.combine(details.end_date, details.end_time, tzinfo=timezone)
    return starts.astimezone(UTC), ends.astimezone(UTC)


def _checked(details: MeetingDetails, now: datetime) -> tuple[datetime, datetime]:
    errors = check_details(details, now=now)
    if errors:
        raise MeetingError(next(iter(errors.values())), errors)
    return _moments(details, known_zone(details.timezone) or ZoneInfo("UTC"))


def _apply(meeting: Meeting, details: MeetingDetails, starts: datetime, ends: datetime) -> None:
    meeting.title = details.title.strip()
    meeting.starts_at, meeting.ends_at = starts, ends
    meeting.timezone = details.timezone.strip()
    meeting.place = details.place.strip()
    meeting.online_link = details.online_link.strip()
    meeting.dial_in = details.dial_in.strip()
    meeting.agenda_source = details.agenda
    meeting.agenda_html = render_markdown(details.agenda) if details.agenda.strip() else ""
    meeting.documents = [link.strip() for link in details.documents if link.strip()]
    meeting.invitees = details.invitees


def _refuse_unless(user: User, action: Action, target: object) -> None:
    if not can(user, action, target):
        raise MeetingError(_("You cannot do this here."))


def schedule_meeting(
    board: Board, organiser: User, *, details: MeetingDetails, at: datetime | None = None
) -> Meeting:
    """A new meeting with its discussion thread, logged, its invitations queued; `at`
    backdates it (demo data), and the past is then measured from that moment."""
    _refuse_unless(organiser, Action.SCHEDULE_MEETING, board)
    now = at or utcnow()
    starts, ends = _checked(details, now)
    meeting = Meeting(board=board, organiser=organiser, created_at=now, changed_at=now)
    _apply(meeting, details, starts, ends)
    db.session.add(meeting)
    db.session.flush()
    meeting.thread = posting.create_thread(
        board, organiser, title=meeting.title, body=_thread_body(meeting), at=now
    )
    board.changed_at = utcnow()
    db.session.flush()
    record(LogAction.SCHEDULE_MEETING, actor=organiser, board=board, thread=meeting.thread,
           title=meeting.title)  # fmt: skip
    invitations.queue_for(meeting, invitations.Kind.REQUEST)
    return meeting


def _thread_body(meeting: Meeting) -> str:
    """The thread's first post: a link to the meeting's page, then its agenda; nothing in
    any one language, since everyone reads it."""
    body = f"[{meeting.title}](/meetings/{meeting.id})"
    if meeting.agenda_source.strip():
        body += "\n\n" + meeting.agenda_source
    return body


def change_meeting(
    meeting: Meeting, actor: User, *, details: MeetingDetails, reason: str = ""
) -> bool:
    """Change a meeting: a higher SEQUENCE, an update to those invited, a log entry.
    Returns False when nothing changed."""
    _refuse_unless(actor, Action.CHANGE_MEETING, meeting)
    # A meeting under way keeps its start: only a start moved into the past is refused.
    starts, ends = _checked(details, min(utcnow(), meeting.starts_at))
    before = _snapshot(meeting)
    _apply(meeting, details, starts, ends)
    if _snapshot(meeting) == before:
        return False
    meeting.sequence += 1
    meeting.changed_at = meeting.board.changed_at = utcnow()
    db.session.flush()
    record(LogAction.CHANGE_MEETING, actor=actor, board=meeting.board, thread=meeting.thread,
           reason=reason, title=meeting.title)  # fmt: skip
    invitations.queue_for(meeting, invitations.Kind.REQUEST)
    return True


def _snapshot(meeting: Meeting) -> tuple:
    return (
        meeting.title, meeting.starts_at, meeting.ends_at, meeting.timezone, meeting.place,
        meeting.online_link, meeting.dial_in, meeting.agenda_source, list(meeting.documents),
        meeting.invitees,
    )  # fmt: skip


def cancel_meeting(meeting: Meeting, actor: User, *, reason: str) -> None:
    """Cancel: METHOD:CANCEL to those invited, and the reason in the public log."""
    _refuse_unless(actor, Action.CHANGE_MEETING, meeting)
    if not reason.strip():
        raise MeetingError(_("Say why the meeting is cancelled."), {"reason": ""})
    meeting.cancelled_at = meeting.changed_at = meeting.board.changed_at = utcnow()
    meeting.cancel_reason = reason.strip()
    meeting.sequence += 1
    db.session.flush()
    record(LogAction.CANCEL_MEETING, actor=actor, board=meeting.board, thread=meeting.thread,
           reason=reason, title=meeting.title)  # fmt: skip
    invitations.queue_for(meeting, invitations.Kind.CANCEL)


def answer_meeting(
    meeting: Meeting, user: User, *, answer: Answer, via: AnswerSource = AnswerSource.WEB
) -> Attendance:
    """Record whether this person attends (in person, online) or not."""
    _refuse_unless(user, Action.ANSWER_MEETING, meeting)
    attendance = db.session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.user_id == user.id)
    )
    if attendance is None:
        attendance = Attendance(meeting_id=meeting.id, user_id=user.id, answer=answer)
        db.session.add(attendance)
    attendance.answer, attendance.via, attendance.answered_at = answer, via, utcnow()
    db.session.flush()
    return attendance


def post_minutes(meeting: Meeting, actor: User, *, body: str, at: datetime | None = None) -> Post:
    """The minutes, as a post in the meeting's thread that its page links to."""
    _refuse_unless(actor, Action.POST_MINUTES, meeting)
    if not body.strip():
        raise MeetingError(_("Write the minutes."), {"body": ""})
    if meeting.thread is None:
        raise MeetingError(_("This meeting has no thread to post in."), {"body": ""})
    try:
        post = posting.reply(meeting.thread, actor, body=body, at=at)
    except posting.PostingError as error:
        raise MeetingError(str(error), {"body": str(error)}) from error
    meeting.minutes_post = post
    meeting.changed_at = utcnow()
    db.session.flush()
    record(LogAction.POST_MINUTES, actor=actor, board=meeting.board, thread=meeting.thread,
           post=post, title=meeting.title)  # fmt: skip
    return post


def queue_reminders(*, now: datetime | None = None) -> int:
    """Reminders, the day before, to those who said they attend; once per meeting."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Meeting)
        .where(
            Meeting.cancelled_at.is_(None),
            Meeting.reminded_at.is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= now + timedelta(days=1),
        )
        .with_for_update(skip_locked=True)
    ).all()
    queued = 0
    for meeting in due:
        meeting.reminded_at = now
        queued += invitations.queue_for(meeting, invitations.Kind.REMINDER)
    db.session.flush()
    return queued
