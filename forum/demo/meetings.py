"""The demo's meetings: upcoming ones with answers, the coordinators' own on their
members-only board, and one that is over, with its minutes."""

from datetime import datetime, time, timedelta

from forum.accounts.models import User
from forum.boards.models import Board
from forum.meetings import services
from forum.meetings.models import Answer, Invitees

AGENDA = """1. Opening and adoption of the agenda
2. Progress reports of the facilitators
3. Cybersecurity capacity building: proposals for the next year
4. Any other business"""

COORDINATORS_AGENDA = """1. Reports of the bureaus
2. Preparation of the annual meeting in Geneva
3. Dates of the next meetings"""


def _details(title: str, starts: datetime, hours: int, **fields: object) -> services.MeetingDetails:
    ends = starts + timedelta(hours=hours)
    return services.MeetingDetails(
        title=title, start_date=starts.date(), start_time=time(starts.hour),
        end_date=ends.date(), end_time=time(ends.hour), timezone="Europe/Zurich", **fields,
    )  # fmt: skip


def add(boards: dict[str, Board], people: list[User], now: datetime) -> None:
    """Meetings on C5 and the coordinators' board; `people[10]` coordinates both."""
    convener = people[10]
    day = (now + timedelta(days=9)).replace(hour=13, minute=0, second=0, microsecond=0)
    upcoming = services.schedule_meeting(
        boards["C5"], convener,
        details=_details(
            "C5 team meeting: capacity building", day, 2, place="Palais des Nations, Room XXIII",
            online_link="https://meet.example.org/c5-team",
            dial_in="+41 22 917 00 00, conference code 5505", agenda=AGENDA,
            documents=["https://www.itu.int/net/wsis/docs/geneva/official/poa.html"],
            invitees=Invitees.FOLLOWERS,
        ),
        at=now - timedelta(days=2),
    )  # fmt: skip
    answers = [Answer.IN_PERSON, Answer.ONLINE, Answer.ONLINE, Answer.NOT, Answer.IN_PERSON]
    for person, answer in zip(people[:5], answers, strict=True):
        services.answer_meeting(upcoming, person, answer=answer)
    services.answer_meeting(upcoming, convener, answer=Answer.IN_PERSON)
    later = (now + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)
    services.schedule_meeting(
        boards["COORD"], convener,
        details=_details("Meeting of the coordinators", later, 3,
                         place="ITU headquarters, Geneva", agenda=COORDINATORS_AGENDA),
        at=now - timedelta(days=1),
    )  # fmt: skip
    held = (now - timedelta(days=20)).replace(hour=14, minute=0, second=0, microsecond=0)
    past = services.schedule_meeting(
        boards["C5"], convener,
        details=_details("C5 online consultation on national CERTs", held, 2,
                         online_link="https://meet.example.org/c5-certs", agenda=AGENDA),
        at=now - timedelta(days=35),
    )  # fmt: skip
    services.post_minutes(
        past, convener,
        body="**Minutes.** Twelve participants from four stakeholder groups.\n\n"
        "1. The facilitators reported on the national CERT survey.\n"
        "2. A drafting group will prepare proposals before the next meeting.",
        at=held + timedelta(days=1),
    )  # fmt: skip
