"""Invitations by email, as iTIP messages (RFC 5546, RFC 6047) that mail programs show as
invitations: METHOD:REQUEST for an invitation or its update (a higher SEQUENCE),
METHOD:CANCEL on cancellation, and a plain reminder the day before to those who attend.

Rows are queued in the outbox in the transaction of the change, and worded when sent,
in each person's language, from the meeting as it is then: an invitation overtaken by a
later update, or to someone who may no longer read the board, is not sent."""

import enum

from flask import render_template
from flask_babel import gettext as _
from flask_mail import Message
from sqlalchemy import exists, select

from forum.accounts.models import User
from forum.boards.models import TEAM_ROLES, BoardRole
from forum.db import utcnow
from forum.extensions import db
from forum.i18n import format_moment, zone
from forum.mail.compose import Batch, Skip, register_composer
from forum.mail.message import local_time, new_message, site_name
from forum.mail.models import MailKind, MailMode, MailSettings, OutboxMessage, Subscription
from forum.meetings import ical
from forum.meetings.models import Answer, Attendance, Invitees, Meeting
from forum.permissions import can_receive_list_mail, list_mail_recipients_clause


class Kind(enum.StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"
    REMINDER = "REMINDER"


def recipients(meeting: Meeting, kind: Kind) -> list[User]:
    """Who gets this mail: for a reminder, those who said they attend; otherwise those
    invited and anyone who answered; always only those who may read the board."""
    answered = select(Attendance.user_id).where(Attendance.meeting_id == meeting.id)
    if kind == Kind.REMINDER:
        chosen = User.id.in_(
            answered.where(Attendance.answer.in_([Answer.IN_PERSON, Answer.ONLINE]))
        )
    elif meeting.invitees == Invitees.MEMBERS:
        chosen = User.id.in_(answered) | exists().where(
            BoardRole.user_id == User.id,
            BoardRole.board_id == meeting.board_id,
            BoardRole.role.in_(TEAM_ROLES),
        )
    elif meeting.invitees == Invitees.FOLLOWERS:
        chosen = User.id.in_(answered) | exists().where(
            Subscription.user_id == User.id,
            Subscription.board_id == meeting.board_id,
            Subscription.mode != MailMode.OFF,
        )
    else:
        chosen = User.deleted_at.is_(None)
    query = select(User).where(
        chosen,
        User.deleted_at.is_(None),
        list_mail_recipients_clause(meeting.board, utcnow()),
    )
    return list(db.session.scalars(query.order_by(User.id)))


def queue_for(meeting: Meeting, kind: Kind) -> int:
    """One outbox row per recipient; returns how many."""
    people = recipients(meeting, kind)
    payload = {"meeting": meeting.id, "method": str(kind), "sequence": meeting.sequence}
    db.session.add_all(
        OutboxMessage(kind=MailKind.MEETING, user_id=person.id, payload=payload)
        for person in people
    )
    db.session.flush()
    return len(people)


def _subject(meeting: Meeting, kind: Kind, when: str) -> str:
    if kind == Kind.CANCEL:
        return _("Cancelled: %(title)s (%(when)s)", title=meeting.title, when=when)
    if kind == Kind.REMINDER:
        return _("Reminder: %(title)s (%(when)s)", title=meeting.title, when=when)
    if meeting.sequence > 0:
        return _("Updated invitation: %(title)s (%(when)s)", title=meeting.title, when=when)
    return _("Invitation: %(title)s (%(when)s)", title=meeting.title, when=when)


def compose(batch: Batch, row: OutboxMessage, user: User, settings: MailSettings) -> Message:
    """The message for one row, in the person's language (the caller set it)."""
    meeting = db.session.get(Meeting, row.payload.get("meeting", 0))
    if meeting is None:
        raise Skip("the meeting no longer exists")
    if not can_receive_list_mail(user, meeting.board):
        raise Skip("the person may no longer read the meeting's board")
    kind = Kind(row.payload.get("method", Kind.REQUEST))
    if kind != Kind.CANCEL and meeting.is_cancelled:
        raise Skip("the meeting was cancelled since")
    if kind == Kind.REQUEST and row.payload.get("sequence", 0) < meeting.sequence:
        raise Skip("a later update of the meeting replaces this invitation")
    attendance = db.session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.user_id == user.id)
    )
    answer = attendance.answer if attendance else None
    when = local_time(meeting.starts_at, user)
    context = {
        "meeting": meeting,
        "kind": str(kind),
        "when": when,
        "ends": local_time(meeting.ends_at, user),
        "organiser_when": format_moment(meeting.starts_at, zone(meeting.timezone)),
        "agenda": meeting.agenda_source,
        "answer": answer,
        "link": ical.page_url(meeting),
        "site_name": site_name(),
    }
    calendar = None
    if kind != Kind.REMINDER:
        text = ical.invitation(meeting, user, method=str(kind), answer=answer).decode()
        calendar = (str(kind), text)
    return new_message(
        to=user.email,
        subject=_subject(meeting, kind, when),
        text=render_template("mail/meeting.txt", **context),
        html=None,
        sender_name=_("%(name)s via %(site)s", name=meeting.organiser.display_name,
                      site=site_name()),
        headers={},
        calendar=calendar,
    )  # fmt: skip


register_composer(MailKind.MEETING, compose)
