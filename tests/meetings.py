"""Meetings for the tests: scheduled through the service, as the web would."""

from datetime import date, datetime, time, timedelta

from flask import Flask

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.meetings import services
from forum.meetings.models import Invitees, Meeting
from tests.helpers import board

ZURICH = "Europe/Zurich"


def details(
    *,
    title: str = "Team meeting",
    starts_in: timedelta = timedelta(days=10),
    hours: int = 2,
    timezone: str = ZURICH,
    invitees: Invitees = Invitees.MEMBERS,
    **fields: object,
) -> services.MeetingDetails:
    """Details of a meeting starting at 14:00 in Geneva, `starts_in` from now."""
    day: date = (utcnow() + starts_in).date()
    ends = datetime.combine(day, time(14)) + timedelta(hours=hours)
    values = {"place": "Palais des Nations, Geneva", "online_link": "https://meet.example.org/c5"}
    values.update(fields)
    return services.MeetingDetails(
        title=title, start_date=day, start_time=time(14), end_date=ends.date(),
        end_time=ends.time(), timezone=timezone, invitees=invitees, **values,
    )  # fmt: skip


def schedule(
    app: Flask,
    organiser: User,
    code: str = "C5",
    *,
    at: datetime | None = None,
    **fields: object,
) -> Meeting:
    """A meeting scheduled and committed; `at` schedules it back then (a past meeting)."""
    with app.test_request_context():
        meeting = services.schedule_meeting(
            board(code), organiser, details=details(**fields), at=at
        )
        db.session.commit()
        return meeting
