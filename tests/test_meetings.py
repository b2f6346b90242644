"""Meetings on the web: scheduling, the page in both time zones, answers, minutes, the
.ics file and feeds, the archive, the log, bad input, and what private boards hide."""

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from forum.accounts.deletion import delete_account
from forum.accounts.models import StakeholderGroup
from forum.boards.models import ReadPolicy, Role
from forum.db import utcnow
from forum.extensions import db
from forum.meetings import services
from forum.meetings.models import Answer, Attendance, CalendarToken, Meeting
from forum.moderation.models import LogAction, LogEntry
from forum.posts.models import Thread
from tests.helpers import board, post_form, text_of
from tests.meetings import ZURICH, details, schedule

C5 = "/b/c5-building-confidence-and-security"


def _form(**changes: str) -> dict:
    day = (utcnow() + timedelta(days=20)).date().isoformat()
    data = {
        "title": "Spectrum and rural access",
        "start_date": day,
        "start_time": "14:00",
        "end_date": "",
        "end_time": "16:30",
        "timezone": ZURICH,
        "place": "Palais des Nations, Room XX",
        "online_link": "https://meet.example.org/c5",
        "dial_in": "+41 22 000 00 00, code 1234",
        "agenda": "1. Opening\n2. Spectrum plans\n3. Any other business",
        "documents": "https://example.org/draft.pdf",
        "invitees": "members",
    }
    data.update(changes)
    return data


def test_a_coordinator_schedules_a_meeting_with_its_thread_and_log_entry(
    client, make_user, sign_in
):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    sign_in(coordinator)
    response = post_form(client, f"{C5}/meetings/new", _form())
    assert response.status_code == 302, text_of(response)
    meeting = db.session.scalars(select(Meeting)).one()
    local = meeting.starts_at.astimezone(ZoneInfo(ZURICH))
    assert (local.hour, local.minute) == (14, 0)
    assert meeting.starts_at.tzinfo is not None
    assert meeting.ends_at - meeting.starts_at == timedelta(hours=2, minutes=30)
    thread = db.session.get(Thread, meeting.thread_id)
    assert thread.title == "Spectrum and rural access"
    assert thread.board.code == "C5"
    entry = db.session.scalars(
        select(LogEntry).where(LogEntry.action == LogAction.SCHEDULE_MEETING)
    ).one()
    assert entry.board_id == board("C5").id

    page = text_of(client.get(response.headers["Location"]))
    assert "Spectrum plans" in page
    assert f"({ZURICH})" in page
    assert f'href="/t/{thread.id}"' in page
    assert f"/meetings/{meeting.id}/meeting.ics" in page
    assert "Spectrum and rural access" in text_of(client.get(C5))
    assert "Spectrum and rural access" in text_of(client.get("/meetings"))
    assert "scheduled a meeting" in text_of(client.get(f"{C5}/log"))


def test_the_page_shows_the_readers_own_time_and_the_organisers(client, make_user, sign_in, app):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator)
    reader = make_user()
    reader.timezone = "Asia/Tokyo"
    db.session.commit()
    sign_in(reader)
    page = text_of(client.get(f"/meetings/{meeting.id}"))
    assert "GMT+09:00" in page
    assert "GMT+01:00" in page or "GMT+02:00" in page


def test_members_may_not_schedule_meetings(client, make_user, sign_in):
    sign_in(make_user(roles={"C5": Role.MEMBER}))
    assert client.get(f"{C5}/meetings/new").status_code == 403
    assert post_form(client, f"{C5}/meetings/new", _form()).status_code == 403
    assert db.session.scalars(select(Meeting)).all() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_time": "13:00"}, "The meeting must end after it starts."),
        ({"start_date": "2020-01-06"}, "This date and time are in the past."),
        ({"timezone": "Mars/Olympus_Mons"}, "is not a time zone we know"),
        ({"end_date": (utcnow() + timedelta(days=420)).date().isoformat()},
         "A meeting lasts 14 days at most."),
        ({"agenda": "\n".join(f"{n}. Item" for n in range(1, 10_001))},
         "The agenda is 10000 lines long"),
        ({"start_date": "next tuesday"}, "Enter a date"),
        ({"place": "", "online_link": ""}, "Say where the meeting is held"),
        ({"online_link": "javascript:alert(1)"}, "Links start with https://"),
    ],
)  # fmt: skip
def test_bad_input_is_explained_and_the_text_kept(client, make_user, sign_in, changes, message):
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    response = post_form(client, f"{C5}/meetings/new", _form(**changes))
    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    assert "Spectrum and rural access" in page
    assert "+41 22 000 00 00, code 1234" in page
    assert db.session.scalars(select(Meeting)).all() == []


def test_the_ics_file_has_what_calendar_programs_need(client, make_user, app):
    coordinator = make_user(name="Kwame Mensah", roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator, title="Réunion du C5")
    response = client.get(f"/meetings/{meeting.id}/meeting.ics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/calendar")
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{meeting.id}@forum.example.org"
    assert event["SEQUENCE"] == 0
    assert event["DTSTAMP"].dt.tzinfo is not None
    assert str(event["SUMMARY"]) == "Réunion du C5"
    assert event["DTSTART"].params["TZID"] == ZURICH
    assert event["DTSTART"].dt.astimezone(UTC) == meeting.starts_at
    assert event["DTEND"].dt.astimezone(UTC) == meeting.ends_at
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [ZURICH]
    assert str(event["URL"]).endswith(f"/meetings/{meeting.id}")
    assert str(event["ORGANIZER"]).startswith("mailto:meeting+")
    assert event["ORGANIZER"].params["CN"] == "Kwame Mensah"
    assert "Palais des Nations" in str(event["LOCATION"])


def test_a_change_raises_the_sequence_and_keeps_the_uid(app, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator)
    with app.test_request_context():
        meeting = db.session.get(Meeting, meeting.id)
        same = services.change_meeting(meeting, coordinator, details=details())
        assert same is False
        assert services.change_meeting(meeting, coordinator, details=details(hours=3))
        db.session.commit()
    client = app.test_client()
    [event] = Calendar.from_ical(client.get(f"/meetings/{meeting.id}/meeting.ics").data).walk(
        "VEVENT"
    )
    assert event["SEQUENCE"] == 1
    assert str(event["UID"]) == f"meeting-{meeting.id}@forum.example.org"
    entry = db.session.scalars(
        select(LogEntry).where(LogEntry.action == LogAction.CHANGE_MEETING)
    ).one()
    assert entry.details["title"] == "Team meeting"


def test_cancelling_is_logged_and_shown(client, app, make_user, sign_in):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator)
    sign_in(coordinator)
    response = post_form(client, f"/meetings/{meeting.id}/cancel", {"reason": "Too few can come"})
    assert response.status_code == 302, text_of(response)
    page = text_of(client.get(f"/meetings/{meeting.id}"))
    assert "This meeting is cancelled." in page
    assert "Too few can come" in text_of(client.get(f"{C5}/log"))
    [event] = Calendar.from_ical(client.get(f"/meetings/{meeting.id}/meeting.ics").data).walk(
        "VEVENT"
    )
    assert str(event["STATUS"]) == "CANCELLED"
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 403


def test_answers_are_counted_by_group_with_the_teams_names(app, make_user):
    coordinator = make_user(name="Kwame Mensah", roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator)
    member = make_user(name="Amina Diallo", roles={"C5": Role.MEMBER})
    outsider = make_user(name="Outside Reader", group=StakeholderGroup.GOVERNMENT)
    for person, answer in [(member, "in_person"), (outsider, "online"), (coordinator, "online")]:
        fresh = _signed_in(app, person)
        response = post_form(fresh, f"/meetings/{meeting.id}/answer", {"answer": answer})
        assert response.status_code == 302
    page = text_of(app.test_client().get(f"/meetings/{meeting.id}"))
    assert "Amina Diallo" in page
    assert "Kwame Mensah" in page
    assert "Outside Reader" not in page
    assert "Government: 1" in page
    assert "Civil society: 1" in page


def _signed_in(app, person):
    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": person.email,
                                              "password": "a long enough passphrase"})  # fmt: skip
    assert response.status_code == 302
    return client


def test_minutes_are_posted_in_the_thread_and_linked(client, app, make_user, sign_in):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator, at=utcnow() - timedelta(days=30),
                       starts_in=timedelta(days=-20))  # fmt: skip
    sign_in(coordinator)
    response = post_form(client, f"/meetings/{meeting.id}/minutes", {"body": "We agreed."})
    assert response.status_code == 302, text_of(response)
    meeting = db.session.get(Meeting, meeting.id)
    assert meeting.minutes_post.thread_id == meeting.thread_id
    page = text_of(client.get(f"/meetings/{meeting.id}"))
    assert f'href="/p/{meeting.minutes_post_id}"' in page
    assert "posted the minutes of a meeting" in text_of(client.get(f"{C5}/log"))
    starts = meeting.starts_at
    month = text_of(client.get(f"{C5}/archive/{starts.year}/{starts.month}"))
    assert meeting.title in month


def test_minutes_wait_for_the_meeting(client, app, make_user, sign_in):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator)
    sign_in(coordinator)
    assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 403


def _private_meeting(app, make_user):
    coordinator = make_user(roles={"COORD": Role.COORDINATOR})
    return schedule(app, coordinator, "COORD", title="Closed session")


def test_private_boards_meetings_reach_no_one_who_cannot_read_them(app, client, make_user):
    meeting = _private_meeting(app, make_user)
    assert board("COORD").read_policy == ReadPolicy.MEMBERS
    for url in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/meeting.ics"):
        assert client.get(url).status_code == 302  # to sign in
    outsider = _signed_in(app, make_user())
    for url in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/meeting.ics"):
        assert outsider.get(url).status_code == 404
    assert "Closed session" not in text_of(outsider.get("/meetings"))
    assert "Closed session" not in text_of(client.get("/meetings.ics"))
    assert client.get("/b/coord/meetings.ics").status_code == 404
    member = _signed_in(app, make_user(roles={"COORD": Role.MEMBER}))
    assert "Closed session" in text_of(member.get("/meetings"))
    assert member.get(f"/meetings/{meeting.id}").status_code == 200


def test_public_feeds_and_the_secret_feed_that_a_reset_replaces(app, client, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    schedule(app, coordinator, title="Open meeting")
    _private_meeting(app, make_user)
    for url in ("/meetings.ics", f"{C5}/meetings.ics"):
        response = client.get(url)
        assert response.status_code == 200
        summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(response.data).walk("VEVENT")]
        assert summaries == ["Open meeting"]
    member = make_user(roles={"COORD": Role.MEMBER})
    browser = _signed_in(app, member)
    assert post_form(browser, "/meetings/calendar", {}).status_code == 302
    page = text_of(browser.get("/meetings/calendar"))
    link = page.split('id="calendar-link" type="url" readonly value="')[1].split('"')[0]
    path = link.removeprefix("http://127.0.0.1:5000").removeprefix("http://localhost")
    path = path[path.index("/calendar/") :]
    feed = Calendar.from_ical(client.get(path).data)
    assert sorted(str(e["SUMMARY"]) for e in feed.walk("VEVENT")) == [
        "Closed session", "Open meeting"
    ]  # fmt: skip
    assert post_form(browser, "/meetings/calendar", {}).status_code == 302
    assert client.get(path).status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_the_meetings_page_filters_by_board_and_lists_upcoming_then_past(app, client, make_user):
    c5 = make_user(roles={"C5": Role.COORDINATOR, "C3": Role.COORDINATOR})
    schedule(app, c5, title="Next C5 meeting")
    schedule(app, c5, "C3", title="Next C3 meeting")
    schedule(app, c5, title="Earlier C5 meeting", at=utcnow() - timedelta(days=30),
             starts_in=timedelta(days=-20))  # fmt: skip
    page = text_of(client.get("/meetings"))
    assert page.index("Next C5 meeting") < page.index("Earlier C5 meeting")
    assert "Next C3 meeting" in page
    only_c5 = text_of(client.get("/meetings?board=c5-building-confidence-and-security"))
    assert "Next C5 meeting" in only_c5
    assert "Next C3 meeting" not in only_c5


@pytest.mark.parametrize("answers", [2, 12])
def test_meeting_pages_cost_a_bounded_number_of_queries(app, make_user, count_queries, answers):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator)
    for number in range(answers):
        schedule(app, coordinator, title=f"Another {number}")
        person = make_user(roles={"C5": Role.MEMBER} if number % 2 else None)
        with app.test_request_context():
            services.answer_meeting(db.session.get(Meeting, meeting.id), person,
                                    answer=Answer.ONLINE)  # fmt: skip
            db.session.commit()
    anonymous, signed_in = app.test_client(), _signed_in(app, coordinator)
    # Signed in, a page also loads the person's session, account and roles.
    for client, most in ((anonymous, 6), (signed_in, 9)):
        for url in (f"/meetings/{meeting.id}", "/meetings", "/meetings.ics", C5,
                    f"/meetings/{meeting.id}/meeting.ics"):  # fmt: skip
            with count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200
            assert counter.count <= most, (url, counter.statements)


def test_a_meeting_cannot_be_scheduled_in_the_past_by_the_service(app, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    with app.test_request_context(), pytest.raises(services.MeetingError) as error:
        services.schedule_meeting(board("C5"), coordinator,
                                  details=details(starts_in=timedelta(days=-1)))  # fmt: skip
    assert "start_date" in error.value.errors


def test_a_deleted_account_leaves_no_answer_and_no_calendar_address(app, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator)
    person = make_user()
    browser = _signed_in(app, person)
    post_form(browser, f"/meetings/{meeting.id}/answer", {"answer": "online"})
    post_form(browser, "/meetings/calendar", {})
    token = db.session.get(CalendarToken, person.id).token
    with app.test_request_context():
        delete_account(person, remove_posts=False)
        db.session.commit()
    assert db.session.scalars(select(Attendance)).all() == []
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404


def test_the_edit_form_shows_the_organisers_times_and_saves_a_change(app, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    meeting = schedule(app, coordinator, title="Before")
    browser = _signed_in(app, coordinator)
    page = text_of(browser.get(f"/meetings/{meeting.id}/edit"))
    assert 'value="14:00"' in page
    assert f'<option selected value="{ZURICH}">' in page
    day = meeting.starts_at.astimezone(ZoneInfo(ZURICH)).date().isoformat()
    changed = _form(title="After", start_date=day, reason="New title")
    response = post_form(browser, f"/meetings/{meeting.id}/edit", changed)
    assert response.status_code == 302, text_of(response)
    meeting = db.session.get(Meeting, meeting.id)
    db.session.refresh(meeting)
    assert (meeting.title, meeting.sequence) == ("After", 1)
    assert "New title" in text_of(browser.get(f"{C5}/log"))
