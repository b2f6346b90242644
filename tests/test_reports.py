"""The coordinators' periodic reports: drafted together, published with frozen figures,
submitted to the Meeting of the coordinators, corrected by new versions."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.boards.models import ReadPolicy, Role
from forum.db import utcnow
from forum.extensions import db
from forum.posts.models import Thread
from forum.reports.models import Report, ReportRevision, ReportState
from tests.helpers import board, post_form, text_of
from tests.pages import client_of
from tests.stocktaking_helpers import make_entry

C5 = "c5-building-confidence-and-security"
# The page of a draft compiles its figures (seven aggregates) and its references (threads,
# posts, stocktaking entries); a published report reads them as frozen.
DRAFT_QUERIES = 21
PUBLISHED_QUERIES = 3


@pytest.fixture
def coordinator(make_user):
    return make_user(name="Kwame Mensah", roles={"C5": Role.COORDINATOR, "COORD": Role.MEMBER})


def _dates() -> dict:
    today = utcnow().date()
    return {"kind": "dates", "start": (today - timedelta(days=30)).isoformat(),
            "end": today.isoformat()}  # fmt: skip


def _start(client, slug: str = C5, period: dict | None = None) -> Report:
    response = post_form(client, f"/b/{slug}/reports/new", period or _dates())
    assert response.status_code == 302, text_of(response)
    return db.session.scalars(select(Report).order_by(Report.id.desc())).first()


def _save(client, report: Report, **sections: str):
    data = {"summary": "", "progress": "", "stakeholders": "", "challenges": "",
            "next_steps": "", "based_on": ""}  # fmt: skip
    page = text_of(client.get(f"/reports/{report.id}/edit"))
    data["based_on"] = re.search(r'name="based_on" type="hidden" value="([^"]*)"', page)[1]
    data.update(sections)
    return post_form(client, f"/reports/{report.id}/edit", data)


def _publish(client, report: Report):
    return post_form(client, f"/reports/{report.id}/publish", {}, prefix="publish")


def test_a_coordinator_drafts_previews_and_publishes(
    app, client, sign_in, coordinator, make_thread, make_user
):
    thread = make_thread("C5", title="Cybersecurity capacity", replies=2)
    make_thread("C5", author=make_user(), title="National CERTs")
    sign_in(coordinator)
    report = _start(client)
    assert report.state == ReportState.DRAFT
    response = _save(
        client, report,
        summary=f"We discussed [capacity](/t/{thread.id}) and more.",
        challenges="Funding.",
    )  # fmt: skip
    assert response.status_code == 302
    page = text_of(client.get(f"/reports/{report.id}"))
    assert "Threads started" in page
    assert re.search(r"Posts written</th><td class=\"num\">4<", page)
    assert "Cybersecurity capacity" in page  # most discussed, and cited
    assert "References" in page
    assert 'role="img"' in page
    assert "Funding." in page

    assert _publish(client, report).status_code == 302
    db.session.expire_all()
    report = db.session.get(Report, report.id)
    assert report.state == ReportState.PUBLISHED
    assert report.facts["activity"]["posts"] == 4
    assert report.references == [
        {"kind": "thread", "id": thread.id, "thread_id": thread.id,
         "title": "Cybersecurity capacity"}
    ]  # fmt: skip
    submitted = db.session.get(Thread, report.thread_id)
    assert submitted.board.code == "COORD"
    assert f"/reports/{report.id}" in submitted.first_post.body_source
    assert "We discussed" in submitted.first_post.body_source

    # The figures stay as published, whatever is posted afterwards.
    make_thread("C5", title="Later", replies=3)
    client.get("/")
    anonymous = app.test_client()
    page = text_of(anonymous.get(f"/reports/{report.id}"))
    assert re.search(r"Posts written</th><td class=\"num\">4<", page)
    assert "Published" in page
    assert f"/reports/{report.id}" in text_of(anonymous.get("/reports"))
    assert f"/reports/{report.id}" in text_of(anonymous.get(f"/b/{C5}/reports"))


def test_each_save_is_a_revision_by_its_author(app, client, sign_in, coordinator, make_user):
    other = make_user(name="Sophie Martin", roles={"C5": Role.COORDINATOR})
    sign_in(coordinator)
    report = _start(client)
    _save(client, report, summary="First words.")
    _save(client_of(app, other, language="en"), report, summary="First words, and more.")
    revisions = db.session.scalars(
        select(ReportRevision).where(ReportRevision.report_id == report.id)
    ).all()
    assert [r.author_id for r in revisions] == [coordinator.id, other.id]
    page = text_of(client.get(f"/reports/{report.id}"))
    assert "Sophie Martin" in page
    assert "Kwame Mensah" in page
    assert "First words, and more." in page


def test_a_save_over_someone_elses_newer_one_keeps_the_text(
    app, client, sign_in, coordinator, make_user
):
    other = make_user(roles={"C5": Role.COORDINATOR})
    sign_in(coordinator)
    report = _start(client)
    page = text_of(client.get(f"/reports/{report.id}/edit"))
    stale = re.search(r'name="based_on" type="hidden" value="([^"]*)"', page)[1]
    _save(client_of(app, other, language="en"), report, summary="Their text.")
    response = post_form(client, f"/reports/{report.id}/edit",
                         {"summary": "My text.", "based_on": stale})  # fmt: skip
    assert response.status_code == 200
    assert "saved the report after you opened it" in text_of(response)
    assert "My text." in text_of(response)
    db.session.expire_all()
    assert db.session.get(Report, report.id).current_revision.sections["summary"] == "Their text."


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ({"kind": "dates", "start": "2025-06-30", "end": "2025-01-01"},
         "The last day of the period is before its first day."),
        ({"kind": "dates", "start": "30/06/2025", "end": "2025-12-31"},
         "Write the date as year-month-day"),
        ({"kind": "dates", "start": "", "end": "2025-12-31"}, "Give the first day"),
        ({"kind": "year", "year": "1999"}, "Give a year from 2003"),
        ({"kind": "quarter", "year": "", "quarter": "2"}, "Give the year."),
        ({"kind": "dates", "start": "2010-01-01", "end": "2025-12-31"},
         "five years at most"),
        ({"kind": "dates", "start": "2001-01-01", "end": "2001-12-31"}, "before the Summit"),
        ({"kind": "dates", "start": "2999-01-01", "end": "2999-03-31"}, "has not begun yet"),
        ({"kind": "sometimes", "year": "2025"}, "Not a valid choice"),
    ],
)  # fmt: skip
def test_a_period_that_cannot_be_reported_on_says_why(
    client, sign_in, coordinator, period, message
):
    sign_in(coordinator)
    response = post_form(client, f"/b/{C5}/reports/new", period)
    assert response.status_code == 200
    page = text_of(response)
    assert message in page
    for name, value in period.items():
        if value and name != "kind":
            assert f'value="{value}"' in page
    assert db.session.scalar(select(Report.id)) is None


def test_a_quarter_and_a_year(client, sign_in, coordinator):
    sign_in(coordinator)
    year = utcnow().year - 1
    report = _start(client, period={"kind": "quarter", "year": str(year), "quarter": "3"})
    assert (report.period_start.isoformat(), report.period_end.isoformat()) == (
        f"{year}-07-01",
        f"{year}-09-30",
    )
    assert f"Q3 {year}" in text_of(client.get(f"/reports/{report.id}"))
    report = _start(client, period={"kind": "year", "year": str(year)})
    assert (report.period_start.isoformat(), report.period_end.isoformat()) == (
        f"{year}-01-01",
        f"{year}-12-31",
    )


def test_publishing_needs_a_summary(client, sign_in, coordinator):
    sign_in(coordinator)
    report = _start(client)
    _save(client, report, challenges="Only this.")
    response = client.post(f"/reports/{report.id}/publish")  # no token: refused
    assert response.status_code in {302, 400}
    response = _publish(client, report)
    assert "Write the summary before publishing" in text_of(client.get(response.location))
    assert db.session.get(Report, report.id).state == ReportState.DRAFT


def test_publishing_needs_a_place_at_the_meeting(client, sign_in, make_user):
    outside = make_user(roles={"C5": Role.COORDINATOR})
    sign_in(outside)
    report = _start(client)
    _save(client, report, summary="Summary.")
    response = _publish(client, report)
    assert "only someone who may start threads there" in text_of(client.get(response.location))


def test_a_draft_is_its_coordinators_own(app, client, sign_in, coordinator, make_user):
    sign_in(coordinator)
    report = _start(client)
    _save(client, report, summary="Draft words.")
    member = client_of(app, make_user(roles={"C5": Role.MEMBER}), language="en")
    assert member.get(f"/reports/{report.id}").status_code == 404
    assert member.get(f"/reports/{report.id}/edit").status_code == 404
    assert f"/reports/{report.id}" not in text_of(member.get("/reports"))
    anonymous = app.test_client()
    assert anonymous.get(f"/reports/{report.id}").status_code == 302
    assert anonymous.get(f"/reports/{report.id}/figures.csv").status_code == 302


def test_a_published_report_is_corrected_by_a_new_version(
    client, sign_in, coordinator, make_thread
):
    sign_in(coordinator)
    report = _start(client)
    _save(client, report, summary="Ten workshops.")
    _publish(client, report)
    assert client.get(f"/reports/{report.id}/edit").status_code == 403
    response = post_form(client, f"/reports/{report.id}/correct", {"note": ""})
    assert "Say what the correction changes." in text_of(response)
    response = post_form(client, f"/reports/{report.id}/correct", {"note": "Twelve, not ten."})
    correction = db.session.scalars(select(Report).where(Report.corrects_id == report.id)).one()
    assert response.location.endswith(f"/reports/{correction.id}/edit")
    assert correction.version == 2
    assert correction.current_revision.sections["summary"] == "Ten workshops."
    _save(client, correction, summary="Twelve workshops.")
    _publish(client, correction)
    db.session.expire_all()
    first = db.session.get(Report, report.id)
    assert first.corrected_by_id == correction.id
    assert first.current_revision.sections["summary"] == "Ten workshops."
    old_page = text_of(client.get(f"/reports/{report.id}"))
    assert "A correction replaces this report" in old_page
    assert f'href="/reports/{correction.id}"' in old_page
    assert "Correct this report" not in old_page
    new_page = text_of(client.get(f"/reports/{correction.id}"))
    assert "Twelve, not ten." in new_page
    assert f'href="/reports/{report.id}"' in new_page
    assert client.get(f"/reports/{report.id}/correct").status_code == 403


def test_figures_as_csv_neutralise_formulas(client, sign_in, coordinator, make_thread):
    make_thread("C5", title='=HYPERLINK("http://evil.example","x")', replies=1)
    sign_in(coordinator)
    report = _start(client)
    response = client.get(f"/reports/{report.id}/figures.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text_of(response))))
    assert rows[0] == ["scope", "section", "key", "label", "count", "share"]
    assert ["report", "posts", "", "Posts written", "2", ""] in rows
    titles = [row[3] for row in rows if row[1] == "thread"]
    assert titles == ['\'=HYPERLINK("http://evil.example","x")']
    group = next(row for row in rows if row[1] == "stakeholder_group" and row[2] == "civil_society")
    assert group[4:] == ["1", "1.0000"]


def test_the_printable_version_has_no_navigation(client, sign_in, coordinator):
    sign_in(coordinator)
    report = _start(client)
    _save(client, report, summary="Printed words.")
    page = text_of(client.get(f"/reports/{report.id}/print"))
    assert "Printed words." in page
    assert '<header class="site"' not in page
    assert "<nav" not in page
    assert re.search(r'href="/static/reports\.[0-9a-f]+\.css"', page)
    assert 'role="img"' in page


def test_charts_are_accessible_and_mirror_right_to_left(client, sign_in, coordinator, make_thread):
    make_thread("C5", replies=1)
    sign_in(coordinator)
    report = _start(client)
    page = text_of(client.get(f"/reports/{report.id}"))
    chart = re.search(r'<svg class="chart" id="r\d+-groups".*?</svg>', page, re.S)[0]
    assert 'aria-labelledby="r' in chart
    assert "<title" in chart
    assert "<desc" in chart
    assert '<rect class="bar" x="0"' in chart
    assert 'direction="ltr"' in chart
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ar"
    coordinator.locale = "ar"
    db.session.commit()
    page = text_of(client.get(f"/reports/{report.id}"))
    chart = re.search(r'<svg class="chart" id="r\d+-groups".*?</svg>', page, re.S)[0]
    assert '<rect class="bar" x="0"' not in chart
    assert 'direction="rtl"' in chart


def test_private_boards_reports_and_figures_reach_only_their_readers(
    app, client, sign_in, make_user, make_thread
):
    """C3 reads members only. Its report stays unlisted and unread by others, and the
    overall report (the meeting made public here) leaves its figures out of every sum."""
    chair = make_user(roles={"COORD": Role.COORDINATOR, "C3": Role.COORDINATOR,
                             "C5": Role.COORDINATOR})  # fmt: skip
    board("C3").read_policy = ReadPolicy.MEMBERS
    board("COORD").read_policy = ReadPolicy.PUBLIC
    db.session.commit()
    make_thread("C5", replies=1)
    make_thread("C3", author=chair, title="Secret plans", replies=4)
    sign_in(chair)
    year = utcnow().year
    period = {"kind": "year", "year": str(year)}
    reports = {}
    for slug in (C5, "c3-access-to-information-and-knowledge"):
        reports[slug] = _start(client, slug, period)
        _save(client, reports[slug], summary=f"Summary of {slug}.")
        _publish(client, reports[slug])
    overall = _start(client, "meeting-of-coordinators", period)
    _save(client, overall, summary="The overall picture.")
    own_view = text_of(client.get(f"/reports/{overall.id}"))
    assert "Summary of c3-access" in own_view
    assert re.search(r"Posts written</th><td class=\"num\">7<", own_view)
    _publish(client, overall)

    anonymous = app.test_client()
    private = reports["c3-access-to-information-and-knowledge"]
    db.session.expire_all()
    submitted = db.session.get(Thread, db.session.get(Report, private.id).thread_id)
    assert "Summary of c3-access" not in submitted.first_post.body_source
    assert f"/reports/{private.id}" in submitted.first_post.body_source
    assert anonymous.get(f"/reports/{private.id}").status_code == 302
    assert f'/reports/{private.id}"' not in text_of(anonymous.get("/reports"))
    outsider = client_of(app, make_user(), language="en")
    assert outsider.get(f"/reports/{private.id}").status_code == 404
    assert outsider.get(f"/reports/{private.id}/figures.csv").status_code == 404
    for viewer in (anonymous, outsider):
        page = text_of(viewer.get(f"/reports/{overall.id}"))
        assert "The overall picture." in page
        assert "Summary of c5-building" in page
        assert "Summary of c3-access" not in page
        assert "Secret plans" not in page
        assert re.search(r"Posts written</th><td class=\"num\">2<", page)
        figures = text_of(viewer.get(f"/reports/{overall.id}/figures.csv"))
        assert "C3" not in figures
        assert "Secret plans" not in figures
        assert "report,posts,,Posts written,2," in figures


def test_only_the_boards_coordinators_start_reports(app, make_user):
    member = client_of(app, make_user(roles={"C5": Role.MEMBER}), language="en")
    assert member.get(f"/b/{C5}/reports/new").status_code == 403
    assert "Start a report" not in text_of(member.get(f"/b/{C5}/reports"))
    bureau = client_of(app, make_user(roles={"GB": Role.COORDINATOR}), language="en")
    assert bureau.get("/b/governmental-bureau/reports/new").status_code == 403
    coordinator = client_of(app, make_user(roles={"C5": Role.COORDINATOR}), language="en")
    assert "Start a report" in text_of(coordinator.get(f"/b/{C5}/reports"))


@pytest.mark.parametrize("threads", [2, 20])
def test_report_pages_take_a_bounded_number_of_queries(
    app, client, sign_in, coordinator, make_user, make_thread, count_queries, threads
):
    for number in range(threads):
        make_thread("C5", author=make_user(), title=f"Thread {number}", replies=2)
        make_entry(app, make_user(), title=f"Entry {number}", publish_by=coordinator)
    sign_in(coordinator)
    report = _start(client)
    cited = " ".join(f"/t/{n} /stocktaking/{n}" for n in range(1, threads + 1))
    _save(client, report, summary=f"Cited: {cited}")
    with count_queries() as counter:
        assert client.get(f"/reports/{report.id}").status_code == 200
    draft_queries = counter.count
    _publish(client, report)
    anonymous = app.test_client()
    counts = {}
    for url in (f"/reports/{report.id}", f"/reports/{report.id}/print", "/reports",
                f"/b/{C5}/reports", f"/reports/{report.id}/figures.csv"):  # fmt: skip
        with count_queries() as counter:
            assert anonymous.get(url).status_code == 200
        counts[url] = counter.count
    assert draft_queries <= DRAFT_QUERIES
    assert max(counts.values()) <= PUBLISHED_QUERIES, counts


def test_an_over_long_section_is_refused_with_the_text_kept(client, sign_in, coordinator):
    sign_in(coordinator)
    report = _start(client)
    response = _save(client, report, summary="x" * 20_001, challenges="Kept words.")
    assert response.status_code == 200
    page = text_of(response)
    assert "At most 20,000 characters." in page
    assert "Kept words." in page
    assert db.session.get(Report, report.id).current_revision_id is None


@pytest.mark.parametrize("count", [3, 12])
def test_report_listings_take_a_bounded_number_of_queries(app, make_user, count_queries, count):
    author = make_user(roles={"C5": Role.COORDINATOR})
    today = utcnow().date()
    for number in range(count):
        db.session.add(
            Report(board=board("C5" if number % 2 else "C6"), created_by=author,
                   published_by=author, published_at=utcnow(), state=ReportState.PUBLISHED,
                   period_start=today - timedelta(days=90 + number), period_end=today,
                   facts={})
        )  # fmt: skip
    db.session.commit()
    anonymous = app.test_client()
    for url in ("/reports", f"/b/{C5}/reports"):
        with count_queries() as counter:
            page = text_of(anonymous.get(url))
        assert page.count('href="/reports/') >= count // 2
        assert counter.count <= 3, (url, counter.statements)


def test_the_overall_report_adds_an_e_application_once(
    app, client, sign_in, make_user, make_thread
):
    chair = make_user(roles={"COORD": Role.COORDINATOR, "C7": Role.COORDINATOR,
                             "C7-EHEALTH": Role.COORDINATOR})  # fmt: skip
    make_thread("C7-EHEALTH", replies=2)
    sign_in(chair)
    period = {"kind": "year", "year": str(utcnow().year)}
    for slug in ("c7-ict-applications", "c7-e-health"):
        report = _start(client, slug, period)
        _save(client, report, summary="Summary.")
        _publish(client, report)
    overall = _start(client, "meeting-of-coordinators", period)
    page = text_of(client.get(f"/reports/{overall.id}"))
    assert page.count('<td class="num">3</td>') >= 2  # each line's posts
    assert re.search(r"Posts written</th><td class=\"num\">3<", page)  # not 6
