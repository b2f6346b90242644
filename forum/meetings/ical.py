"""Meetings as iCalendar (RFC 5545): one VEVENT per meeting, with a UID that never
changes, a SEQUENCE that grows with each change, and the organiser's time zone (its
VTIMEZONE) so calendar programs show the time right wherever their owner is; and iTIP
(RFC 5546) methods for invitations, updates and cancellations."""

from collections.abc import Iterable
from datetime import timedelta

from flask import current_app, url_for
from icalendar import Calendar, Event, vCalAddress, vText

from forum.accounts.models import User
from forum.db import utcnow
from forum.i18n import zone
from forum.mail import addresses
from forum.markup import markdown_to_text
from forum.meetings.models import Answer, Meeting

PRODUCT_ID = "-//wsis-forum//meetings//EN"
# PARTSTAT of an attendee for each answer (RFC 5545, 3.2.12), and back.
PARTSTAT = {Answer.IN_PERSON: "ACCEPTED", Answer.ONLINE: "ACCEPTED", Answer.NOT: "DECLINED"}


def uid(meeting: Meeting) -> str:
    """The meeting's UID: the same in every file, feed and invitation, for ever."""
    return f"meeting-{meeting.id}@{current_app.config['MAIL_DOMAIN']}"


def meeting_id_of(uid_value: str) -> int | None:
    """The meeting a UID of ours names, or None."""
    prefix, at, domain = uid_value.strip().rpartition("@")
    if not at or domain.lower() != current_app.config["MAIL_DOMAIN"].lower():
        return None
    number = prefix.removeprefix("meeting-")
    return int(number) if prefix.startswith("meeting-") and number.isdigit() else None


def organiser_address(meeting: Meeting) -> str:
    """Where calendar programs send their answers (REPLY): the meeting's own address."""
    return addresses.token_address("meeting", meeting.id)


def page_url(meeting: Meeting) -> str:
    return url_for("meetings.meeting", meeting_id=meeting.id, _external=True)


def _description(meeting: Meeting) -> str:
    lines = []
    if meeting.online_link:
        lines.append(meeting.online_link)
    if meeting.dial_in:
        lines.append(meeting.dial_in)
    if meeting.agenda_source:
        lines += ["", markdown_to_text(meeting.agenda_source)]
    if meeting.documents:
        lines += ["", *meeting.documents]
    lines += ["", page_url(meeting)]
    return "\n".join(lines).strip()


def event(meeting: Meeting, *, attendee: User | None = None, answer: Answer | None = None) -> Event:
    """The meeting's VEVENT; for an invitation, with its attendee."""
    timezone = zone(meeting.timezone)
    item = Event()
    item.add("uid", uid(meeting))
    item.add("sequence", meeting.sequence)
    item.add("dtstamp", utcnow())
    item.add("created", meeting.created_at)
    item.add("last-modified", meeting.changed_at)
    item.add("dtstart", meeting.starts_at.astimezone(timezone))
    item.add("dtend", meeting.ends_at.astimezone(timezone))
    item.add("summary", meeting.title)
    location = meeting.place or meeting.online_link
    if location:
        item.add("location", location)
    item.add("description", _description(meeting))
    item.add("url", page_url(meeting))
    item.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    organiser = vCalAddress(f"mailto:{organiser_address(meeting)}")
    organiser.params["cn"] = vText(meeting.organiser.display_name)
    item.add("organizer", organiser)
    if attendee is not None:
        guest = vCalAddress(f"mailto:{attendee.email}")
        guest.params["cn"] = vText(attendee.display_name)
        guest.params["role"] = vText("REQ-PARTICIPANT")
        guest.params["partstat"] = vText(PARTSTAT[answer] if answer else "NEEDS-ACTION")
        guest.params["rsvp"] = vText("TRUE")
        item.add("attendee", guest)
    return item


def calendar(
    meetings: Iterable[Meeting], *, method: str | None = None, name: str | None = None
) -> Calendar:
    """A VCALENDAR of these meetings, with the VTIMEZONE of every zone they use."""
    result = Calendar()
    result.add("prodid", PRODUCT_ID)
    result.add("version", "2.0")
    if method:
        result.add("method", method)
    if name:
        result.add("x-wr-calname", name)
    meetings = list(meetings)
    for meeting in meetings:
        result.add_component(event(meeting))
    _add_timezones(result, meetings)
    return result


def _add_timezones(result: Calendar, meetings: list[Meeting]) -> None:
    """The VTIMEZONE of each zone used, with its transitions from the first meeting to a
    year after the last (all of them, from 1970 to 2038, would be kilobytes a zone)."""
    if not meetings:
        return
    first = min(meeting.starts_at for meeting in meetings).date() - timedelta(days=1)
    last = max(meeting.ends_at for meeting in meetings).date() + timedelta(days=366)
    result.add_missing_timezones(first_date=first, last_date=last)


def invitation(meeting: Meeting, attendee: User, *, method: str, answer: Answer | None) -> bytes:
    """An iTIP message for one person: REQUEST (an invitation or its update) or CANCEL."""
    result = Calendar()
    result.add("prodid", PRODUCT_ID)
    result.add("version", "2.0")
    result.add("method", method)
    result.add_component(event(meeting, attendee=attendee, answer=answer))
    _add_timezones(result, [meeting])
    return result.to_ical()
