"""The facts of a report's period: what is counted, and what is not."""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from forum.accounts.models import StakeholderGroup
from forum.boards.models import Role
from forum.extensions import db
from forum.mail import subscriptions
from forum.mail.models import MailMode
from forum.moderation import services as moderation
from forum.posts import services as posting
from forum.reports.facts import compile_facts
from forum.reports.present import figures_of
from forum.reports.services import covered_board_ids
from tests.helpers import board
from tests.stocktaking_helpers import make_entry

START, END = date(2026, 4, 1), date(2026, 6, 30)


def _at(month: int, day: int = 10) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


@pytest.fixture
def quarter(app, make_user):
    """Posts in April and June on C5, one in March and one in July (outside), one on C6."""
    coordinator = make_user(roles={"C5": "coordinator"})
    kenya = make_user(group=StakeholderGroup.GOVERNMENT)
    brazil = make_user(group=StakeholderGroup.CIVIL_SOCIETY)
    brazil.country = "BR"
    db.session.commit()
    with app.test_request_context():
        c5 = board("C5")
        before = posting.create_thread(c5, kenya, title="Before", body="x", at=_at(3))
        inside = posting.create_thread(c5, kenya, title="Inside", body="x", at=_at(4))
        posting.reply(inside, brazil, body="y", at=_at(6))
        posting.reply(inside, brazil, body="z", at=_at(6, 30))
        posting.reply(before, brazil, body="late", at=_at(7, 1))
        posting.create_thread(board("C6"), brazil, title="Elsewhere", body="x", at=_at(5))
        gone = posting.create_thread(c5, coordinator, title="Gone", body="x", at=_at(5))
        moderation.delete_thread(gone, coordinator, reason="spam")
        subscriptions.set_board_mode(kenya, c5, MailMode.DAILY)
        subscriptions.set_board_mode(brazil, c5, MailMode.EVERY_POST)
        subscriptions.set_board_mode(coordinator, board("C6"), MailMode.WEEKLY)
        db.session.commit()
    return {"c5": c5, "inside": inside}


def test_the_period_and_the_boards_bound_what_is_counted(app, quarter):
    with app.app_context():
        found = compile_facts([quarter["c5"].id], START, END)
    assert found["activity"]["threads"] == 1
    assert found["activity"]["posts"] == 3
    assert found["activity"]["months"] == [["2026-04", 1], ["2026-05", 0], ["2026-06", 2]]
    assert found["participants"]["total"] == 2
    assert found["participants"]["groups"] == {"government": 1, "civil_society": 1}
    assert found["participants"]["countries"] == {"KE": 1, "BR": 1}
    assert found["top_threads"]["threads"] == [
        {"id": quarter["inside"].id, "title": "Inside", "posts": 3}
    ]
    assert found["email"] == {"modes": {"daily": 1, "every_post": 1}, "people": 2}


def test_moderation_acts_are_counted_by_kind(app, quarter, make_user):
    today = datetime.now(UTC).date()
    with app.app_context():
        counted = compile_facts([quarter["c5"].id], today, today)["moderation"]["acts"]
        before = compile_facts([quarter["c5"].id], START, END)["moderation"]["acts"]
    assert counted == {"delete_thread": 1}
    assert before == {}


def test_participants_by_region_follow_the_m49_table(app, quarter, make_user):
    """Kenya is in Africa (002), Brazil in the Americas (019); someone without a country
    counts under no region."""
    nowhere = make_user()
    nowhere.country = ""
    db.session.commit()
    with app.test_request_context():
        posting.reply(quarter["inside"], nowhere, body="from nowhere", at=_at(5))
        db.session.commit()
        found = compile_facts([quarter["c5"].id], START, END)
    assert found["participants"]["regions"] == {"002": 1, "019": 1, "": 1}
    assert found["participants"]["countries"] == {"KE": 1, "BR": 1, "": 1}


def test_region_names_are_in_the_readers_language(app, quarter):
    with app.app_context():
        found = compile_facts([quarter["c5"].id], START, END)
    for language, names in (("en", {"Africa", "Americas"}), ("fr", {"Afrique", "Amériques"})):
        with app.test_request_context(), force_locale(language):
            assert {row.label for row in figures_of(found).regions} == names


def test_stocktaking_entries_of_the_period_are_counted(app, quarter, make_user):
    """Both days of the period count: an entry of its last day is new in it."""
    coordinator = make_user(roles={"C5": Role.COORDINATOR, "C6": Role.COORDINATOR})
    author = make_user()
    make_entry(app, author, title="Early", publish_by=coordinator, at=_at(3))
    make_entry(app, author, title="First day", publish_by=coordinator, at=_at(4, 1))
    make_entry(app, author, title="Last day", publish_by=coordinator,
               at=datetime(2026, 6, 30, 23, 59, tzinfo=UTC))  # fmt: skip
    make_entry(app, author, title="After", publish_by=coordinator, at=_at(7, 1))
    make_entry(app, author, title="Waiting", at=_at(5))
    make_entry(app, author, title="Elsewhere", codes=("C6",), publish_by=coordinator, at=_at(5))
    with app.app_context():
        found = compile_facts([quarter["c5"].id], START, END)
    assert found["stocktaking"] == {
        "new": 2, "updated": 0, "completed": 0,
        "by_status": {"planned": 0, "ongoing": 3, "completed": 0},
    }  # fmt: skip


def test_c7_covers_its_e_applications_that_its_readers_may_read(app):
    with app.app_context():
        c7 = board("C7")
        covered = covered_board_ids(c7)
        ehealth = board("C7-EHEALTH")
        assert ehealth.id in covered
        assert len(covered) == 9
        ehealth.read_policy = "members"
        assert ehealth.id not in covered_board_ids(c7)
        db.session.rollback()
