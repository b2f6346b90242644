"""Who may read, update, review and submit stocktaking entries, as a table: each kind of
person by the read policy of the entry's action line by the entry's review state; and the
listing clause (pages, search, feeds, exports) agrees with the rule."""

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from forum.boards.models import ReadPolicy, Role
from forum.extensions import db
from forum.permissions import Action, can, listed_entries_clause
from forum.stocktaking.models import Entry, ReviewState
from tests.helpers import board
from tests.stocktaking_helpers import make_entry

PEOPLE = {
    "anonymous": None,
    "unverified": {"verified": False},
    "suspended": {"suspended": True},
    "stranger": {},
    "submitter": {},
    "colleague": {},
    "coordinator": {"roles": {"C5": Role.COORDINATOR}},
    "coordinator elsewhere": {"roles": {"C6": Role.COORDINATOR}},
    "member": {"roles": {"C5": Role.MEMBER}},
    "admin": {"admin": True},
}
SUBMITTER_SIDE = {"submitter", "colleague"}
REVIEWERS = {"coordinator", "admin"}

# review state -> action -> who may, on an entry serving a public board whose submitter
# lets the colleagues of the organisation update it
TABLE = {
    ReviewState.PENDING: {
        Action.READ_ENTRY: SUBMITTER_SIDE | REVIEWERS,
        Action.EDIT_ENTRY: SUBMITTER_SIDE,
        Action.REVIEW_ENTRY: REVIEWERS,
    },
    ReviewState.CHANGES_REQUESTED: {
        Action.READ_ENTRY: SUBMITTER_SIDE | REVIEWERS,
        Action.EDIT_ENTRY: SUBMITTER_SIDE,
        Action.REVIEW_ENTRY: set(),
    },
    ReviewState.PUBLISHED: {
        Action.READ_ENTRY: set(PEOPLE),
        Action.EDIT_ENTRY: SUBMITTER_SIDE,
        Action.REVIEW_ENTRY: set(),
    },
    ReviewState.REJECTED: {
        Action.READ_ENTRY: {"submitter"} | REVIEWERS,
        Action.EDIT_ENTRY: set(),
        Action.REVIEW_ENTRY: set(),
    },
}
# read policy of the entry's only action line -> who may read that board at all
BOARD_READERS = {
    ReadPolicy.PUBLIC: set(PEOPLE),
    ReadPolicy.SIGNED_IN: set(PEOPLE) - {"anonymous"},
    ReadPolicy.MEMBERS: {"coordinator", "member", "admin"},
}


@pytest.fixture
def people(make_user):
    made = {}
    for kind, spec in PEOPLE.items():
        if spec is None:
            made[kind] = AnonymousUserMixin()
            continue
        person = make_user(**spec)
        person.organisation = "Same Organisation" if kind in SUBMITTER_SIDE else f"Org {kind}"
        made[kind] = person
    db.session.commit()
    return made


@pytest.mark.parametrize("state", list(ReviewState))
@pytest.mark.parametrize("policy", list(ReadPolicy))
@pytest.mark.parametrize("action", [Action.READ_ENTRY, Action.EDIT_ENTRY, Action.REVIEW_ENTRY])
def test_entry_rules(app, people, state, policy, action):
    entry = make_entry(app, people["submitter"], colleagues_may_edit=True)
    entry.review_state = state
    board("C5").read_policy = policy
    db.session.flush()
    expected = TABLE[state][action] & BOARD_READERS[policy]
    allowed = {kind for kind, person in people.items() if can(person, action, entry)}
    assert allowed == expected


@pytest.mark.parametrize("policy", list(ReadPolicy))
def test_listings_show_published_entries_to_exactly_their_readers(app, people, policy):
    published = make_entry(app, people["submitter"], title="Published")
    published.review_state = ReviewState.PUBLISHED
    make_entry(app, people["submitter"], title="Pending")
    board("C5").read_policy = policy
    db.session.flush()
    for kind, person in people.items():
        listed = db.session.scalars(select(Entry.title).where(listed_entries_clause(person))).all()
        assert listed == (["Published"] if kind in BOARD_READERS[policy] else []), kind
        assert can(person, Action.READ_ENTRY, published) is (kind in BOARD_READERS[policy])


def test_an_entry_serving_a_private_and_a_public_board_is_public(app, people):
    entry = make_entry(app, people["submitter"], codes=("C5", "C6"))
    entry.review_state = ReviewState.PUBLISHED
    board("C6").read_policy = ReadPolicy.MEMBERS
    db.session.flush()
    assert can(people["anonymous"], Action.READ_ENTRY, entry)
    board("C5").read_policy = ReadPolicy.MEMBERS
    db.session.flush()
    assert not can(people["anonymous"], Action.READ_ENTRY, entry)
    assert not can(people["stranger"], Action.READ_ENTRY, entry)


@pytest.mark.parametrize("kind", list(PEOPLE))
def test_who_may_submit(people, kind):
    allowed = set(PEOPLE) - {"anonymous", "unverified", "suspended"}
    assert can(people[kind], Action.SUBMIT_ENTRY) is (kind in allowed)
