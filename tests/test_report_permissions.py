"""Who may draft, edit, publish, correct and read reports, as a table: each kind of
person, by the board's read policy, by the report's state; and the listing clause agrees."""

from datetime import date

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from forum.boards.models import Board, ReadPolicy, Role
from forum.extensions import db
from forum.permissions import Action, can, readable_reports_clause
from forum.reports.models import Report, ReportState
from tests.helpers import board

PEOPLE = {
    "anonymous": None,
    "verified": {},
    "member": {"roles": {"C5": Role.MEMBER}},
    "coordinator": {"roles": {"C5": Role.COORDINATOR}},
    "coordinator elsewhere": {"roles": {"C6": Role.COORDINATOR}},
    "suspended coordinator": {"roles": {"C5": Role.COORDINATOR}, "suspended": True},
    "admin": {"admin": True},
}
READERS = {
    ReadPolicy.PUBLIC: set(PEOPLE),
    ReadPolicy.SIGNED_IN: set(PEOPLE) - {"anonymous"},
    ReadPolicy.MEMBERS: {"member", "coordinator", "admin"},
}
WRITERS = {"coordinator", "admin"}
STATES = ("draft", "published", "corrected")


def _person(make_user, kind: str):
    spec = PEOPLE[kind]
    return AnonymousUserMixin() if spec is None else make_user(**spec)


def _report(state: str, author) -> Report:
    report = Report(
        board=board("C5"),
        period_start=date(2025, 1, 1),
        period_end=date(2025, 3, 31),
        created_by=author,
        state=ReportState.DRAFT if state == "draft" else ReportState.PUBLISHED,
    )
    db.session.add(report)
    db.session.flush()
    if state == "corrected":
        newer = Report(board=report.board, period_start=report.period_start,
                       period_end=report.period_end, created_by=author, version=2,
                       corrects=report, state=ReportState.PUBLISHED)  # fmt: skip
        db.session.add(newer)
        db.session.flush()
        report.corrected_by = newer
    db.session.commit()
    return report


def _expected(kind: str, policy: ReadPolicy, state: str) -> dict[Action, bool]:
    reads_board = kind in READERS[policy]
    return {
        Action.READ_REPORT: kind in WRITERS if state == "draft" else reads_board,
        Action.EDIT_REPORT: state == "draft" and kind in WRITERS,
        Action.PUBLISH_REPORT: state == "draft" and kind in WRITERS,
        Action.CORRECT_REPORT: state == "published" and kind in WRITERS,
    }


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("policy", list(ReadPolicy))
@pytest.mark.parametrize("kind", list(PEOPLE))
def test_report_rules(kind, policy, state, make_user):
    author = make_user(roles={"C5": Role.COORDINATOR})
    report = _report(state, author)
    report.board.read_policy = policy
    db.session.commit()
    person = _person(make_user, kind)
    for action, allowed in _expected(kind, policy, state).items():
        assert can(person, action, report) is allowed, (kind, policy, state, action)
    listed = db.session.scalars(
        select(Report.id)
        .join(Board, Board.id == Report.board_id)
        .where(readable_reports_clause(person), Report.id == report.id)
    ).all()
    assert bool(listed) is _expected(kind, policy, state)[Action.READ_REPORT], (kind, policy)


@pytest.mark.parametrize("kind", list(PEOPLE))
@pytest.mark.parametrize(("code", "reports"), [("C5", True), ("COORD", True), ("GB", False)])
def test_who_starts_a_report(kind, code, reports, make_user):
    spec = dict(PEOPLE[kind] or {})
    if spec.get("roles"):
        spec["roles"] = {
            (code if board_code == "C5" else board_code): role
            for board_code, role in spec["roles"].items()
        }
    person = AnonymousUserMixin() if PEOPLE[kind] is None else make_user(**spec)
    assert can(person, Action.DRAFT_REPORT, board(code)) is (reports and kind in WRITERS)
