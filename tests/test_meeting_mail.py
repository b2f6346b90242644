"""Meeting mail as it arrives at a real SMTP server on loopback: iTIP invitations,
updates, cancellations and reminders in each person's language; and attendance answers
(iTIP REPLY) from calendar programs over LMTP, taken only from their authenticated
owner."""

import logging
from datetime import timedelta
from email.message import EmailMessage

import pytest
from icalendar import Calendar, Event, vCalAddress
from sqlalchemy import delete, select

from forum.boards.models import BoardRole, Role
from forum.db import utcnow
from forum.extensions import db
from forum.inbound.models import InboundMessage, Outcome
from forum.mail import subscriptions
from forum.mail.models import MailMode
from forum.meetings import ical, services
from forum.meetings.models import Answer, AnswerSource, Attendance, Invitees, Meeting
from forum.worker.runner import Worker
from tests.conftest import deliver
from tests.helpers import board
from tests.mailin import DOMAIN, mta_verdict, send
from tests.meetings import details, schedule

pytestmark = pytest.mark.usefixtures("ctx")


def _calendar_part(message):
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part, Calendar.from_ical(part.get_payload(decode=True))


def _text(message):
    [part] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    return part.get_content()


def _to(smtp, address):
    return [m for m in smtp.received if m["To"] == address]


def test_invitations_are_itip_requests_in_each_persons_language(app, smtp, make_user):
    coordinator = make_user(name="Kwame Mensah", roles={"C5": Role.COORDINATOR})
    make_user(email="amina@example.org", roles={"C5": Role.MEMBER})
    french = make_user(email="claire@example.org", roles={"C5": Role.MEMBER})
    french.locale = "fr"
    make_user(email="outsider@example.org")
    db.session.commit()
    meeting = schedule(app, coordinator, title="Spectrum plans")
    deliver(app)
    assert sorted(m["To"] for m in smtp.received) == sorted(
        [coordinator.email, "amina@example.org", "claire@example.org"]
    )
    [message] = _to(smtp, "amina@example.org")
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"].startswith("Invitation: Spectrum plans")
    part, calendar = _calendar_part(message)
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == ical.uid(meeting)
    assert event["SEQUENCE"] == 0
    assert str(event["ATTENDEE"]) == "mailto:amina@example.org"
    assert event["ATTENDEE"].params["RSVP"] == "TRUE"
    assert (
        str(event["ORGANIZER"])
        == f"mailto:meeting+{meeting.id}." + str(event["ORGANIZER"]).split(".", 1)[1]
    )
    assert calendar.walk("VTIMEZONE")
    assert "Spectrum plans" in _text(message)
    assert f"/meetings/{meeting.id}" in _text(message)
    [in_french] = _to(smtp, "claire@example.org")
    assert in_french["Subject"].startswith("Invitation : Spectrum plans")
    assert "Vous êtes invité" in _text(in_french)


def test_an_update_has_a_higher_sequence_and_replaces_the_unsent_invitation(app, smtp, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator)
    with app.test_request_context():
        meeting = db.session.get(Meeting, meeting.id)
        services.change_meeting(meeting, coordinator, details=details(hours=3))
        db.session.commit()
    deliver(app)
    [message] = smtp.received
    assert message["Subject"].startswith("Updated invitation: Team meeting")
    _part, calendar = _calendar_part(message)
    [event] = calendar.walk("VEVENT")
    assert event["SEQUENCE"] == 1
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(hours=3)


def test_a_cancellation_is_an_itip_cancel(app, smtp, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator)
    deliver(app)
    with app.test_request_context():
        services.cancel_meeting(db.session.get(Meeting, meeting.id), coordinator,
                                reason="The room is closed")  # fmt: skip
        db.session.commit()
    deliver(app)
    first, cancel = smtp.received
    part, calendar = _calendar_part(cancel)
    assert part.get_param("method") == "CANCEL"
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert str(event["UID"]) == str(_calendar_part(first)[1].walk("VEVENT")[0]["UID"])
    assert cancel["Subject"].startswith("Cancelled: Team meeting")
    assert "The room is closed" in _text(cancel)


def test_invitations_of_a_private_board_reach_only_its_readers(app, smtp, make_user):
    coordinator = make_user(roles={"COORD": Role.COORDINATOR})
    member = make_user(roles={"COORD": Role.MEMBER})
    follower = make_user(roles={"COORD": Role.MEMBER})
    with app.test_request_context():
        subscriptions.set_board_mode(follower, board("COORD"), MailMode.EVERY_POST)
        # No longer in the team, the follower's subscription remains but reads nothing.
        db.session.execute(delete(BoardRole).where(BoardRole.user_id == follower.id))
        db.session.commit()
    schedule(app, coordinator, "COORD", invitees=Invitees.READERS)
    deliver(app)
    received = {m["To"] for m in smtp.received}
    assert member.email in received
    assert follower.email not in received


def test_followers_are_invited_when_the_organiser_says_so(app, smtp, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    follower = make_user(email="follower@example.org")
    with app.test_request_context():
        subscriptions.set_board_mode(follower, board("C5"), MailMode.WEEKLY)
        db.session.commit()
    schedule(app, coordinator, invitees=Invitees.FOLLOWERS)
    deliver(app)
    assert [m for m in _to(smtp, "follower@example.org") if "Invitation" in m["Subject"]]
    assert not _to(smtp, coordinator.email)


def test_a_reminder_the_day_before_goes_to_those_who_attend(app, smtp, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    coming = make_user(email="coming@example.org")
    staying = make_user(email="staying@example.org")
    meeting = schedule(app, coordinator)
    with app.test_request_context():
        meeting = db.session.get(Meeting, meeting.id)
        services.answer_meeting(meeting, coming, answer=Answer.IN_PERSON)
        services.answer_meeting(meeting, staying, answer=Answer.NOT)
        assert services.queue_reminders(now=meeting.starts_at - timedelta(days=2)) == 0
        assert services.queue_reminders(now=meeting.starts_at - timedelta(hours=20)) == 1
        assert services.queue_reminders(now=meeting.starts_at - timedelta(hours=19)) == 0
        db.session.commit()
    deliver(app)
    [reminder] = [m for m in smtp.received if m["Subject"].startswith("Reminder:")]
    assert reminder["To"] == "coming@example.org"
    assert "you said you will attend" in _text(reminder)


def _reply(meeting, *, attendee, partstat="ACCEPTED", uid=None, method="REPLY") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Example Mail//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid or ical.uid(meeting))
    event.add("sequence", 0)
    event.add("dtstamp", utcnow())
    address = vCalAddress(f"mailto:{attendee}")
    address.params["partstat"] = partstat
    event.add("attendee", address)
    calendar.add_component(event)
    return calendar.to_ical()


def _reply_mail(sender, to, ics, *, authenticated=True) -> EmailMessage:
    message = EmailMessage()
    if authenticated:
        message["Authentication-Results"] = mta_verdict(sender)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Accepted: Team meeting"
    message["Message-ID"] = f"<{abs(hash((sender, ics)))}@example.org>"
    message.set_content("I will be there.")
    message.add_alternative(ics, maintype="text", subtype="calendar",
                            params={"method": "REPLY"})  # fmt: skip
    return message


def _answer(person, meeting):
    return db.session.scalar(
        select(Attendance).where(Attendance.user_id == person.id,
                                 Attendance.meeting_id == meeting.id)
    )  # fmt: skip


def _organiser_of(app, meeting) -> str:
    with app.test_request_context():
        return ical.organiser_address(meeting)


def test_an_authenticated_itip_reply_records_the_answer(app, lmtp, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    member = make_user(email="amina@example.org", roles={"C5": Role.MEMBER})
    meeting = schedule(app, coordinator, place="")
    organiser = _organiser_of(app, meeting)
    accepted = _reply(meeting, attendee="amina@example.org")
    code = send(lmtp, _reply_mail("amina@example.org", organiser, accepted), to=organiser)[0]
    assert code == 250
    db.session.expire_all()
    attendance = _answer(member, meeting)
    assert attendance.answer == Answer.ONLINE
    assert attendance.via == AnswerSource.MAIL
    declined = _reply(meeting, attendee="AMINA@example.org", partstat="DECLINED")
    message = _reply_mail("amina@example.org", organiser, declined)
    message.replace_header("Message-ID", "<declined@example.org>")
    send(lmtp, message, to=organiser)
    db.session.expire_all()
    assert _answer(member, meeting).answer == Answer.NOT
    record = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
    assert record.outcome == Outcome.ANSWERED


@pytest.mark.parametrize(
    "case", ["unauthenticated", "someone_else", "other_meeting", "no_account", "not_a_reply"]
)
def test_a_forged_or_unknown_reply_is_ignored_and_logged(app, lmtp, make_user, caplog, case):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    make_user(email="amina@example.org", roles={"C5": Role.MEMBER})
    make_user(email="mallory@example.org")
    meeting = schedule(app, coordinator)
    other = schedule(app, coordinator, title="Another")
    organiser = _organiser_of(app, meeting)
    sender, attendee, uid, method, authenticated = (
        "amina@example.org", "amina@example.org", None, "REPLY", True
    )  # fmt: skip
    if case == "unauthenticated":
        authenticated = False
    elif case == "someone_else":
        sender = "mallory@example.org"
    elif case == "other_meeting":
        with app.test_request_context():
            uid = ical.uid(other)
    elif case == "no_account":
        sender = attendee = "nobody@example.org"
    else:
        method = "REQUEST"
    ics = _reply(meeting, attendee=attendee, uid=uid, method=method)
    with caplog.at_level(logging.WARNING):
        message = _reply_mail(sender, organiser, ics, authenticated=authenticated)
        code = send(lmtp, message, to=organiser)[0]
    assert code == 250
    db.session.expire_all()
    assert db.session.scalars(select(Attendance)).all() == []
    record = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
    assert record.outcome == Outcome.IGNORED
    assert "meeting answer ignored" in record.reason
    assert any("meeting answer" in r.getMessage() for r in caplog.records)


def test_the_organiser_address_of_another_domain_or_a_bad_token_is_unknown(app, lmtp, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    make_user(email="amina@example.org", roles={"C5": Role.MEMBER})
    meeting = schedule(app, coordinator)
    forged = f"meeting+{meeting.id}.0000000000@{DOMAIN}"
    ics = _reply(meeting, attendee="amina@example.org")
    code = send(lmtp, _reply_mail("amina@example.org", forged, ics), to=forged)[0]
    assert code >= 500
    assert db.session.scalars(select(Attendance)).all() == []


def test_the_worker_queues_reminders_of_tomorrows_meetings_once(app, smtp, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    coming = make_user(email="coming@example.org")
    meeting = schedule(app, coordinator)
    with app.test_request_context():
        meeting = db.session.get(Meeting, meeting.id)
        services.answer_meeting(meeting, coming, answer=Answer.ONLINE)
        meeting.starts_at = utcnow() + timedelta(hours=20)
        meeting.ends_at = meeting.starts_at + timedelta(hours=2)
        db.session.commit()
    worker = Worker(app, idle_seconds=0)
    assert worker._reminders() == 1
    assert worker._reminders() == 0
    deliver(app)
    assert [m["To"] for m in smtp.received if m["Subject"].startswith("Reminder:")] == [
        "coming@example.org"
    ]


def test_an_invitation_is_not_sent_to_someone_who_left_the_team_meanwhile(app, smtp, make_user):
    coordinator = make_user(roles={"COORD": Role.COORDINATOR})
    leaving = make_user(email="leaving@example.org", roles={"COORD": Role.MEMBER})
    schedule(app, coordinator, "COORD", title="Closed session")
    db.session.execute(delete(BoardRole).where(BoardRole.user_id == leaving.id))
    db.session.commit()
    deliver(app)
    assert [m["To"] for m in smtp.received] == [coordinator.email]
    assert not any("Closed session" in m.as_string() for m in _to(smtp, "leaving@example.org"))
