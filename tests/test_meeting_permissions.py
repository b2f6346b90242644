"""The meeting rules as a table: each kind of person, by board read policy, by meeting state,
for reading, scheduling, changing, answering and posting the minutes; and the listing
clause held to the same answers as the rule."""

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from forum.boards.models import Board, ReadPolicy, Role
from forum.db import utcnow
from forum.extensions import db
from forum.meetings.models import Meeting
from forum.permissions import Action, can, readable_meetings_clause
from tests.helpers import board
from tests.meetings import schedule

PEOPLE = {
    "anonymous": None,
    "unverified": {"verified": False},
    "suspended member": {"suspended": True, "roles": {"C5": Role.MEMBER}},
    "verified": {},
    "member": {"roles": {"C5": Role.MEMBER}},
    "coordinator": {"roles": {"C5": Role.COORDINATOR}},
    "coordinator elsewhere": {"roles": {"C6": Role.COORDINATOR}},
    "admin": {"admin": True},
}
READERS = {
    ReadPolicy.PUBLIC: set(PEOPLE),
    ReadPolicy.SIGNED_IN: set(PEOPLE) - {"anonymous"},
    ReadPolicy.MEMBERS: {"member", "coordinator", "admin"},
}
MODERATORS = {"coordinator", "admin"}
# Who may take part at all: signed in, confirmed, not suspended.
PARTICIPANTS = {"verified", "member", "coordinator", "coordinator elsewhere", "admin"}
STATES = ("upcoming", "under way", "over", "cancelled")


def _expected(kind: str, policy: ReadPolicy, state: str) -> dict[Action, bool]:
    reads = kind in READERS[policy]
    moderates = kind in MODERATORS and reads
    live = state in {"upcoming", "under way"}
    return {
        Action.READ_MEETING: reads,
        Action.SCHEDULE_MEETING: moderates,
        Action.CHANGE_MEETING: moderates and live,
        Action.ANSWER_MEETING: reads and kind in PARTICIPANTS and live,
        Action.POST_MINUTES: moderates and state in {"under way", "over"},
    }


@pytest.fixture
def meetings(app, make_user) -> dict[str, Meeting]:
    organiser = make_user(roles={"C5": Role.COORDINATOR})
    long_ago = utcnow() - timedelta(days=30)
    made = {
        "upcoming": schedule(app, organiser, title="upcoming"),
        "under way": schedule(app, organiser, title="under way", at=long_ago,
                              starts_in=timedelta(hours=-1), hours=48),
        "over": schedule(app, organiser, title="over", at=long_ago,
                         starts_in=timedelta(days=-3)),
        "cancelled": schedule(app, organiser, title="cancelled"),
    }  # fmt: skip
    made["cancelled"].cancelled_at = utcnow()
    db.session.commit()
    return made


@pytest.mark.parametrize("kind", list(PEOPLE))
@pytest.mark.parametrize("policy", list(ReadPolicy))
def test_meeting_rules(kind, policy, make_user, meetings, ctx):
    spec = PEOPLE[kind]
    user = AnonymousUserMixin() if spec is None else make_user(**spec)
    c5 = board("C5")
    c5.read_policy = policy
    for state in STATES:
        meeting = meetings[state]
        expected = _expected(kind, policy, state)
        found = {
            action: can(user, action, c5 if action == Action.SCHEDULE_MEETING else meeting)
            for action in expected
        }
        assert found == expected, (kind, policy, state)
    listed = db.session.scalars(
        select(Meeting.title)
        .join(Board, Board.id == Meeting.board_id)
        .where(readable_meetings_clause(user))
    ).all()
    assert bool(listed) is (kind in READERS[policy]), "listing disagrees with the rule"
