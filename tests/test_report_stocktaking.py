"""Reports and the stocktaking: the entries of the period among a report's facts (shown,
exported, frozen, summed in the overall report), and entries cited by the narrative."""

import csv
import io
import re
from types import SimpleNamespace

import pytest

from forum.boards.models import ReadPolicy, Role
from forum.db import utcnow
from forum.extensions import db
from forum.permissions import readers_may_read_entry
from forum.reports.models import Report
from forum.stocktaking.models import EntryStatus, ReviewState
from tests.helpers import board, text_of
from tests.stocktaking_helpers import make_entry
from tests.test_reports import C5, _publish, _save, _start

NEW_ENTRIES = re.compile(r'New entries</th><td class="num">(\d+)<')


def test_a_reports_stocktaking_figures_are_shown_exported_and_frozen(
    app, client, sign_in, make_user
):
    coordinator = make_user(roles={"C5": Role.COORDINATOR, "COORD": Role.MEMBER})
    author = make_user()
    make_entry(app, author, title="Drills", publish_by=coordinator)
    make_entry(app, author, title="Done", publish_by=coordinator, status=EntryStatus.COMPLETED,
               end_date=utcnow().date())  # fmt: skip
    make_entry(app, author, title="Waiting for review")
    sign_in(coordinator)
    report = _start(client)
    _save(client, report, summary="Two activities recorded.")
    page = text_of(client.get(f"/reports/{report.id}"))
    assert NEW_ENTRIES.search(page)[1] == "2"
    assert re.search(r'Activities completed</th><td class="num">1<', page)
    assert re.search(r'Ongoing</th><td class="num">1<', page)
    rows = list(csv.reader(io.StringIO(text_of(client.get(f"/reports/{report.id}/figures.csv")))))
    assert ["report", "entries_new", "", "New entries", "2", ""] in rows
    assert ["report", "entry_status", "completed", "Completed", "1", ""] in rows

    _publish(client, report)
    make_entry(app, author, title="After publication", publish_by=coordinator)
    db.session.expire_all()
    assert db.session.get(Report, report.id).facts["stocktaking"]["new"] == 2
    assert NEW_ENTRIES.search(text_of(app.test_client().get(f"/reports/{report.id}")))[1] == "2"


def test_the_overall_report_sums_the_entries_of_the_lines_its_reader_may_read(
    app, client, sign_in, make_user
):
    """C3 reads members only: its entries are in no sum shown to others."""
    chair = make_user(roles={"COORD": Role.COORDINATOR, "C3": Role.COORDINATOR,
                             "C5": Role.COORDINATOR, "C6": Role.COORDINATOR})  # fmt: skip
    board("C3").read_policy = ReadPolicy.MEMBERS
    board("COORD").read_policy = ReadPolicy.PUBLIC
    db.session.commit()
    make_entry(app, chair, title="On C5", publish_by=chair)
    for number in range(2):
        make_entry(app, chair, title=f"On C6 {number}", codes=("C6",), publish_by=chair)
    make_entry(app, chair, title="On C3", codes=("C3",), publish_by=chair)
    sign_in(chair)
    period = {"kind": "year", "year": str(utcnow().year)}
    for slug in (C5, "c6-enabling-environment", "c3-access-to-information-and-knowledge"):
        report = _start(client, slug, period)
        _save(client, report, summary="Summary.")
        _publish(client, report)
    overall = _start(client, "meeting-of-coordinators", period)
    _save(client, overall, summary="The overall picture.")
    assert NEW_ENTRIES.search(text_of(client.get(f"/reports/{overall.id}")))[1] == "4"
    _publish(client, overall)
    page = text_of(app.test_client().get(f"/reports/{overall.id}"))
    assert NEW_ENTRIES.search(page)[1] == "3"
    side_by_side = re.search(r"<tfoot>.*?</tfoot>", page, re.S)[0]
    assert side_by_side.endswith('<td class="num">3</td><td class="num">0</td></tr></tfoot>')
    figures = text_of(app.test_client().get(f"/reports/{overall.id}/figures.csv"))
    assert "report,entries_new,,New entries,3," in figures
    assert "C6,entries_new,,New entries,2," in figures


def test_entries_cited_by_the_narrative_are_its_references(app, client, sign_in, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR, "C3": Role.COORDINATOR,
                                   "COORD": Role.MEMBER})  # fmt: skip
    board("C3").read_policy = ReadPolicy.MEMBERS
    db.session.commit()
    public = make_entry(app, coordinator, title="Cyber drills", publish_by=coordinator)
    waiting = make_entry(app, make_user(), title="Not yet reviewed")
    private = make_entry(app, coordinator, title="Members only", codes=("C3",),
                         publish_by=coordinator)  # fmt: skip
    sign_in(coordinator)
    report = _start(client)
    _save(client, report, summary=(
        f"See [the drills](http://forum.test/stocktaking/{public.id}), its "
        f"[history](/stocktaking/{public.id}/history), /stocktaking/{waiting.id} and "
        f"/stocktaking/{private.id}; again /stocktaking/{public.id}."
    ))  # fmt: skip
    page = text_of(client.get(f"/reports/{report.id}"))
    references = re.search(r'id="references-heading".*?</section>', page, re.S)[0]
    assert f'href="/stocktaking/{public.id}"' in references
    assert "a stocktaking entry" in references
    assert "Not yet reviewed" not in references
    assert "Members only" not in references
    _publish(client, report)
    db.session.expire_all()
    assert db.session.get(Report, report.id).references == [
        {"kind": "entry", "id": public.id, "title": "Cyber drills"}
    ]


def _board(policy: ReadPolicy, board_id: int) -> SimpleNamespace:
    return SimpleNamespace(id=board_id, read_policy=policy)


@pytest.mark.parametrize(
    ("host", "served", "state", "listed"),
    [
        (ReadPolicy.PUBLIC, [ReadPolicy.PUBLIC], ReviewState.PUBLISHED, True),
        (ReadPolicy.PUBLIC, [ReadPolicy.PUBLIC], ReviewState.PENDING, False),
        (ReadPolicy.PUBLIC, [ReadPolicy.PUBLIC], ReviewState.CHANGES_REQUESTED, False),
        (ReadPolicy.PUBLIC, [ReadPolicy.PUBLIC], ReviewState.REJECTED, False),
        (ReadPolicy.PUBLIC, [ReadPolicy.SIGNED_IN], ReviewState.PUBLISHED, False),
        (ReadPolicy.SIGNED_IN, [ReadPolicy.SIGNED_IN], ReviewState.PUBLISHED, True),
        (ReadPolicy.SIGNED_IN, [ReadPolicy.PUBLIC], ReviewState.PUBLISHED, True),
        (ReadPolicy.PUBLIC, [ReadPolicy.MEMBERS], ReviewState.PUBLISHED, False),
        (ReadPolicy.MEMBERS, [ReadPolicy.MEMBERS], ReviewState.PUBLISHED, False),
        (ReadPolicy.PUBLIC, [ReadPolicy.MEMBERS, ReadPolicy.PUBLIC], ReviewState.PUBLISHED, True),
    ],
)
def test_a_report_lists_an_entry_every_reader_of_its_board_may_read(host, served, state, listed):
    """The report's board (host) against the boards the entry serves (other boards than
    the host's: on the host's own board, an entry is read by the host's readers)."""
    entry = SimpleNamespace(
        review_state=state,
        boards=[_board(policy, number) for number, policy in enumerate(served, start=2)],
    )
    assert readers_may_read_entry(_board(host, 1), entry) is listed


def test_an_entry_on_the_reports_own_members_only_board_is_listed(app):
    with app.app_context():
        c3 = board("C3")
        c3.read_policy = ReadPolicy.MEMBERS
        entry = SimpleNamespace(review_state=ReviewState.PUBLISHED, boards=[c3])
        assert readers_may_read_entry(c3, entry)
        db.session.rollback()


def test_reports_cite_only_entries_that_exist(app, client, sign_in, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    sign_in(coordinator)
    report = _start(client)
    _save(client, report, summary="See /stocktaking/999999 and /stocktaking/new.")
    page = text_of(client.get(f"/reports/{report.id}"))
    assert "The narrative cites no thread, post or stocktaking entry of the forum." in page
