"""Attendance answers from calendar programs: iTIP REPLY messages (RFC 5546) that come
to a meeting's ORGANIZER address over LMTP.

One is taken only when the forum's checks authenticate its From (the MTA's DMARC or
DKIM verdict, or DKIM verified here: see `forum.inbound.authenticity`), the From is a
confirmed account, the ATTENDEE it answers for is that same address, and its UID is the
meeting's whose address it came to. Anything else is ignored and logged: a forged
answer changes nothing, and no answer is sent back to whoever forged it."""

from typing import NoReturn

from flask import current_app
from icalendar import Calendar
from sqlalchemy import select

from forum.accounts.services import find_user_by_email
from forum.extensions import db
from forum.inbound.authenticity import Authenticity
from forum.inbound.errors import Done
from forum.inbound.models import Outcome
from forum.inbound.parse import Received
from forum.meetings import ical, services
from forum.meetings.models import Answer, AnswerSource, Attendance, Meeting
from forum.permissions import Action, can

# Calendar parts read at most, and the largest read.
_PARTS_READ = 5
_PART_MAX = 200_000


def _ignore(reason: str, received: Received) -> NoReturn:
    current_app.logger.warning(
        "meeting answer from %s ignored: %s", received.from_address or "(no From)", reason
    )
    raise Done(Outcome.IGNORED, f"meeting answer ignored: {reason}")


def _calendars(received: Received) -> list[Calendar]:
    found = []
    parts = received.message.walk() if received.message is not None else []
    for part in parts:
        if part.get_content_type() != "text/calendar":
            continue
        payload = part.get_payload(decode=True) or b""
        if len(payload) > _PART_MAX:
            continue
        try:
            found.append(Calendar.from_ical(payload))
        except Exception as error:  # anything icalendar cannot read is no answer
            current_app.logger.info("unreadable calendar part: %s", error)
            continue
        if len(found) == _PARTS_READ:
            break
    return found


def _answer_in(calendar: Calendar, meeting_id: int, address: str) -> str | None:
    """The PARTSTAT this REPLY gives for `address` about this meeting, or None."""
    if str(calendar.get("method", "")).upper() != "REPLY":
        return None
    for event in calendar.walk("VEVENT"):
        if ical.meeting_id_of(str(event.get("uid", ""))) != meeting_id:
            continue
        attendees = event.get("attendee", [])
        for attendee in attendees if isinstance(attendees, list) else [attendees]:
            mailto = str(attendee).removeprefix("mailto:").removeprefix("MAILTO:").lower()
            if mailto == address.lower():
                return str(attendee.params.get("PARTSTAT", "")).upper()
    return None


def _answer_for(partstat: str, meeting: Meeting, earlier: Answer | None) -> Answer | None:
    """DECLINED is "not attending"; ACCEPTED or TENTATIVE keeps how the person said they
    attend, else in person where there is a place, online otherwise."""
    if partstat == "DECLINED":
        return Answer.NOT
    if partstat not in {"ACCEPTED", "TENTATIVE"}:
        return None
    if earlier is not None and earlier.attends:
        return earlier
    return Answer.IN_PERSON if meeting.place else Answer.ONLINE


def take(received: Received, meeting_id: int, sender: Authenticity) -> NoReturn:
    """Record the answer a REPLY carries, or ignore it; ends the message's handling."""
    if sender.method not in {"dmarc", "dkim"}:
        _ignore("its sender could not be authenticated", received)
    user = find_user_by_email(received.from_address) if received.from_address else None
    if user is None or not user.is_verified:
        _ignore("no confirmed account has this address", received)
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        _ignore(f"meeting {meeting_id} no longer exists", received)
    partstat = next(
        (
            found
            for calendar in _calendars(received)
            if (found := _answer_in(calendar, meeting_id, user.email)) is not None
        ),
        None,
    )
    if partstat is None:
        _ignore("no iTIP REPLY for this meeting from the sender's own address", received)
    if not can(user, Action.ANSWER_MEETING, meeting):
        _ignore(f"the sender may not answer meeting {meeting_id}", received)
    earlier = db.session.scalar(
        select(Attendance.answer).where(
            Attendance.meeting_id == meeting.id, Attendance.user_id == user.id
        )
    )
    answer = _answer_for(partstat, meeting, earlier)
    if answer is None:
        _ignore(f"PARTSTAT {partstat or '(none)'} says nothing of attending", received)
    services.answer_meeting(meeting, user, answer=answer, via=AnswerSource.MAIL)
    raise Done(Outcome.ANSWERED, f"attendance at meeting {meeting.id}: {answer}")
