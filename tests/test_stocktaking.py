"""Stocktaking entries: submitting, review by the coordinators, updates and history,
listings with filters, search, feeds, open data, and the yearly reminder."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from forum.accounts.models import StakeholderGroup
from forum.boards.models import ReadPolicy, Role
from forum.extensions import db
from forum.i18n import country_names
from forum.moderation.models import LogEntry
from forum.notices.models import Notice
from forum.posts.models import Thread
from forum.regions import countries_in, placements, region_of
from forum.stocktaking import services
from forum.stocktaking.models import Entry, EntryRevision, EntryStatus, ReviewState
from tests.helpers import PASSWORD, board, post_form, text_of
from tests.stocktaking_helpers import entry_form, make_entry

C5_SLUG = "c5-building-confidence-and-security"


def test_a_submitted_entry_waits_for_the_coordinators_of_its_action_lines(
    app, client, make_user, sign_in
):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    submitter = make_user()
    sign_in(submitter)
    ids = [board("C5").id, board("C7-EHEALTH").id]
    response = post_form(client, "/stocktaking/new", entry_form(ids))
    assert response.status_code == 302, text_of(response)
    entry = db.session.scalars(select(Entry)).one()
    assert entry.review_state == ReviewState.PENDING
    assert [line.board.code for line in entry.lines] == ["C5", "C7-EHEALTH"]
    assert entry.country_codes == ["ML", "NE", "BF"]
    page = text_of(client.get(response.location))
    assert "Waiting for review" in page
    assert "Community networks in the Sahel" in page
    # Not public yet: neither listed nor readable by others.
    anonymous = app.test_client()
    assert "Community networks" not in text_of(anonymous.get("/stocktaking"))
    assert anonymous.get(f"/stocktaking/{entry.id}").status_code == 302
    notices = db.session.scalars(select(Notice).where(Notice.user_id == coordinator.id)).all()
    assert [n.kind for n in notices] == ["entry_waiting"]


def test_publishing_opens_the_discussion_logs_and_tells_the_submitter(
    app, client, make_user, sign_in
):
    coordinator = make_user(roles={"C7-EHEALTH": Role.COORDINATOR})
    submitter = make_user()
    entry = make_entry(app, submitter, codes=("C5", "C7-EHEALTH"))
    sign_in(coordinator)
    response = post_form(client, f"/stocktaking/{entry.id}/review", {"decision": "publish"},
                         )  # fmt: skip
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert entry.review_state == ReviewState.PUBLISHED
    thread = db.session.get(Thread, entry.thread_id)
    assert thread.board.code == "C5"
    assert thread.title == entry.title
    log = db.session.scalars(select(LogEntry)).one()
    assert (log.action, log.board.code, log.details["entry_id"]) == (
        "publish_entry",
        "C7-EHEALTH",
        entry.id,
    )
    assert f"/stocktaking/{entry.id}" in text_of(app.test_client().get("/moderation-log"))
    kinds = db.session.scalars(select(Notice.kind).where(Notice.user_id == submitter.id)).all()
    assert kinds == ["entry_published"]
    public = app.test_client()
    assert entry.title in text_of(public.get("/stocktaking"))
    assert entry.title in text_of(public.get(f"/b/{C5_SLUG}/stocktaking"))
    assert f"/t/{thread.id}" in text_of(public.get(f"/stocktaking/{entry.id}"))


def test_asking_for_changes_or_rejecting_needs_a_reason(app, client, make_user, sign_in):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    entry = make_entry(app, make_user())
    sign_in(coordinator)
    for decision in ("return", "reject"):
        response = post_form(client, f"/stocktaking/{entry.id}/review",
                             {"decision": decision, "reason": "  "})  # fmt: skip
        assert response.status_code == 400
    assert "Say what should change." in text_of(
        post_form(client, f"/stocktaking/{entry.id}/review", {"decision": "return"})
    )
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).review_state == ReviewState.PENDING


def test_changes_asked_for_then_an_update_goes_back_for_review_with_its_history(
    app, client, make_user, sign_in
):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    submitter = make_user()
    entry = make_entry(app, submitter)
    reviewer = app.test_client()
    sign_in_other = post_form(
        reviewer, "/sign-in", {"email": coordinator.email, "password": PASSWORD}
    )
    assert sign_in_other.status_code == 302
    post_form(reviewer, f"/stocktaking/{entry.id}/review",
              {"decision": "return", "reason": "Give the website."})  # fmt: skip
    sign_in(submitter)
    page = text_of(client.get(f"/stocktaking/{entry.id}"))
    assert "Changes asked for" in page
    assert "Give the website." in page
    form = entry_form([board("C5").id], title="Cyber drills, second edition")
    response = post_form(client, f"/stocktaking/{entry.id}/edit", form)
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert entry.review_state == ReviewState.PENDING
    assert entry.revision_count == 2
    history = text_of(client.get(f"/stocktaking/{entry.id}/history"))
    assert "Cyber drills for small administrations" in history
    assert "Cyber drills, second edition" in history
    assert "Version 2" in history


def test_bad_input_is_explained_and_the_text_kept(client, make_user, sign_in):
    sign_in(make_user())
    lines = [board(code).id for code in ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9")]
    cases = {
        "The end date is before the start date.": {"end_date": "2024-12-31"},
        "Unknown country code: XQ": {"countries": "NE, xq"},
        "Choose at most 8 action lines": {"other_lines": [str(i) for i in lines]},
        "the limit is 5000": {"summary": "word " * 1200},
        "This is not a date": {"start_date": "31/12/2025"},
        "Give the full address": {"website": "javascript:alert(1)"},
        "Choose action lines from the list.": {"other_lines": ["999999", "abc"]},
        "Choose the action line the activity serves.": {"first_line": "x"},
        "Give the end date of a completed activity.": {"status": "completed"},
    }
    for message, change in cases.items():
        response = post_form(client, "/stocktaking/new", entry_form([lines[0]], **change))
        page = text_of(response)
        assert response.status_code == 400, message
        assert message in page, message
        assert "Community networks in the Sahel" in page
    assert db.session.scalar(select(Entry.id)) is None


def test_unknown_lead_country_code_is_refused(client, make_user, sign_in):
    sign_in(make_user())
    response = post_form(
        client, "/stocktaking/new", entry_form([board("C5").id], lead_country="ZZ")
    )
    assert response.status_code == 400
    assert "Community networks in the Sahel" in text_of(response)


def test_colleagues_update_only_when_the_submitter_chose_so(app, client, make_user, sign_in):
    submitter = make_user()
    colleague = make_user()
    colleague.organisation = " test ORGANISATION "
    stranger = make_user()
    stranger.organisation = "Another body"
    db.session.commit()
    closed = make_entry(app, submitter, title="Closed entry")
    shared = make_entry(app, submitter, title="Shared entry", colleagues_may_edit=True)
    sign_in(colleague)
    assert client.get(f"/stocktaking/{closed.id}/edit").status_code == 404
    assert client.get(f"/stocktaking/{shared.id}/edit").status_code == 200
    assert "Shared entry" in text_of(client.get("/stocktaking/yours"))
    response = post_form(client, f"/stocktaking/{shared.id}/confirm", {}, prefix="confirm")
    assert response.status_code == 302
    revision = db.session.scalars(
        select(EntryRevision).where(EntryRevision.entry_id == shared.id, EntryRevision.number == 2)
    ).one()
    assert revision.confirmed_only
    assert revision.written_by_id == colleague.id
    other = app.test_client()
    post_form(other, "/sign-in", {"email": stranger.email, "password": PASSWORD})
    assert other.get(f"/stocktaking/{shared.id}/edit").status_code == 404


def test_csv_neutralises_formulas_and_json_gives_lists(app, client, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    make_entry(app, make_user(), codes=("C5", "C3"), title='=HYPERLINK("http://evil.example")',
               publish_by=coordinator, keywords="+1, @home", contact_email="me@example.org",
               countries=["UG"])  # fmt: skip
    response = client.get("/stocktaking.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text_of(response).lstrip("\ufeff"))))
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["keywords"] == "'+1; @home"
    assert rows[0]["action_lines"] == "C5; C3"
    assert rows[0]["countries"] == "KE; UG"
    assert rows[0]["regions"] == "002"
    assert rows[0]["contact_email"] == ""
    data = json.loads(text_of(client.get("/stocktaking.json")))
    [item] = data["entries"]
    assert item["title"].startswith("=HYPERLINK")
    assert item["action_lines"] == ["C5", "C3"]
    assert item["countries"] == ["KE", "UG"]
    assert list(item) == data["columns"]


def test_entries_of_private_boards_reach_only_their_readers(app, client, make_user, sign_in):
    c6 = board("C6")
    c6.read_policy = ReadPolicy.MEMBERS
    member = make_user(roles={"C6": Role.MEMBER})
    coordinator = make_user(roles={"C6": Role.COORDINATOR})
    db.session.commit()
    entry = make_entry(
        app, member, codes=("C6",), title="Private drill zebra", publish_by=coordinator
    )
    anonymous, outsider = app.test_client(), app.test_client()
    post_form(outsider, "/sign-in", {"email": make_user().email, "password": PASSWORD})
    for viewer in (anonymous, outsider):
        for url in ("/stocktaking", "/stocktaking.csv", "/stocktaking.json", "/search?q=zebra"):
            assert "Private drill" not in text_of(viewer.get(url)), url
        assert viewer.get(f"/stocktaking/{entry.id}").status_code in (302, 404)
    assert client.get("/b/c6-enabling-environment/stocktaking.atom").status_code == 404
    sign_in(member)
    for url in ("/stocktaking", "/stocktaking.csv", "/stocktaking.json", "/search?q=zebra"):
        assert "Private drill zebra" in text_of(client.get(url)), url


def test_filters_narrow_the_listing_and_bad_ones_say_so(app, client, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    author = make_user()
    make_entry(app, author, title="Kenyan drill", publish_by=coordinator)
    make_entry(app, author, title="French drill", lead_country="FR", publish_by=coordinator,
               stakeholder_group=StakeholderGroup.GOVERNMENT, status=EntryStatus.COMPLETED,
               end_date=datetime(2025, 6, 1).date())  # fmt: skip

    def titles(query: str) -> set[str]:
        page = text_of(client.get(f"/stocktaking?{query}"))
        return {title for title in ("Kenyan drill", "French drill") if title in page}

    assert titles("") == {"Kenyan drill", "French drill"}
    assert titles("country=FR") == {"French drill"}
    assert titles("region=002") == {"Kenyan drill"}
    assert titles("region=155") == {"French drill"}
    assert titles("status=completed") == {"French drill"}
    assert titles("group=government") == {"French drill"}
    assert titles("year=2026") == {"Kenyan drill"}
    assert titles("q=kenyan") == {"Kenyan drill"}
    page = text_of(client.get("/stocktaking?country=QQ&year=twenty"))
    assert "Unknown country code: QQ" in page
    assert "Write the year with four digits" in page
    rows = list(
        csv.DictReader(
            io.StringIO(text_of(client.get("/stocktaking.csv?country=FR")).lstrip("\ufeff"))
        )
    )
    assert [row["title"] for row in rows] == ["French drill"]


def test_search_finds_entries_as_their_own_kind(app, client, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    make_entry(app, make_user(), title="Honeypot network for universities", publish_by=coordinator)
    make_entry(app, make_user(), title="Honeypot waiting for review")
    page = text_of(client.get("/search?q=honeypot"))
    assert "Stocktaking entries" in page
    assert "Honeypot network for universities" in page
    assert "Honeypot waiting" not in page


def test_action_line_feed_lists_its_published_entries(app, client, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    make_entry(app, make_user(), title="Published drill", publish_by=coordinator)
    make_entry(app, make_user(), title="Pending drill")
    response = client.get(f"/b/{C5_SLUG}/stocktaking.atom")
    assert response.status_code == 200
    assert response.content_type.startswith("application/atom+xml")
    assert "Published drill" in text_of(response)
    assert "Pending drill" not in text_of(response)


def test_an_entry_not_updated_for_a_year_is_marked_and_its_submitter_asked_once(
    app, client, make_user, sign_in, outbox
):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    submitter = make_user()
    long_ago = datetime.now(UTC) - timedelta(days=400)
    entry = make_entry(app, submitter, publish_by=coordinator, at=long_ago)
    assert "Possibly out of date" in text_of(client.get(f"/stocktaking/{entry.id}"))
    with app.test_request_context():
        assert services.remind_stale() == 1
        db.session.commit()
        assert services.remind_stale() == 0
    texts = [m.get_payload(decode=True).decode() for m in outbox() if m["To"] == submitter.email]
    asked = [text for text in texts if "has not been updated for a year" in text]
    assert len(asked) == 1
    assert f"/stocktaking/{entry.id}" in asked[0]
    sign_in(submitter)
    post_form(client, f"/stocktaking/{entry.id}/confirm", {}, prefix="confirm")
    assert "Possibly out of date" not in text_of(client.get(f"/stocktaking/{entry.id}"))


def test_entry_figures_count_a_period(app, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR, "C3": Role.COORDINATOR})
    author = make_user()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2026, 4, 1, tzinfo=UTC)
    make_entry(app, author, title="Before", publish_by=coordinator, at=start - timedelta(days=30))
    make_entry(app, author, title="Within", publish_by=coordinator, at=start + timedelta(days=3))
    make_entry(app, author, title="Elsewhere", codes=("C3",), publish_by=coordinator,
               at=start + timedelta(days=3))  # fmt: skip
    make_entry(app, author, title="Unpublished", at=start + timedelta(days=3))
    with app.test_request_context():
        before = db.session.scalars(select(Entry).where(Entry.title == "Before")).one()
        revision = services.confirm_entry(before, author)
        revision.written_at = start + timedelta(days=10)
        db.session.commit()
        figures = services.entry_figures([board("C5").id], start, end)
        both = services.entry_figures([board("C5").id, board("C3").id], start, end)
    assert figures == {"new": 1, "updated": 1, "completed": 0,
                       "by_status": {"planned": 0, "ongoing": 2, "completed": 0}}  # fmt: skip
    assert both["new"] == 2
    assert both["by_status"]["ongoing"] == 3


MAX_QUERIES = 8
# Signed in: the account, its roles and its notices' count besides.
MAX_SIGNED_IN_QUERIES = MAX_QUERIES + 3


@pytest.mark.parametrize("entries", [3, 40])
def test_stocktaking_pages_cost_a_bounded_number_of_queries(
    app, client, make_user, sign_in, count_queries, entries
):
    coordinator = make_user(roles={"C5": Role.COORDINATOR, "C3": Role.COORDINATOR})
    authors = [make_user() for _ in range(4)]
    made = [
        make_entry(
            app,
            authors[number % 4],
            codes=("C5", "C3"),
            title=f"Drill {number}",
            publish_by=coordinator,
            countries=["UG", "TZ"],
        )
        for number in range(entries)
    ]
    counts = {}
    for url in ["/stocktaking", f"/b/{C5_SLUG}/stocktaking", "/stocktaking?region=002&page=2",
                f"/stocktaking/{made[0].id}", f"/stocktaking/{made[0].id}/history",
                "/stocktaking.csv", "/stocktaking.json",
                f"/b/{C5_SLUG}/stocktaking.atom"]:  # fmt: skip
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code in (200, 302), url
        counts[url] = counter.count
    assert max(counts.values()) <= MAX_QUERIES, counts
    # Search: the entries found take one query beside the posts'.
    with count_queries() as counter:
        assert "found-entries" in text_of(client.get("/search?q=drill"))
    entry_queries = [s for s in counter.statements if "stocktaking_entries" in s]
    assert len(entry_queries) == 1, entry_queries
    sign_in(authors[0])
    for url in ["/stocktaking", "/stocktaking/yours", f"/stocktaking/{made[0].id}"]:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        assert counter.count <= MAX_SIGNED_IN_QUERIES, (url, counter.statements)


def test_every_country_has_its_m49_region_but_those_the_un_table_leaves_out(ctx):
    assert set(country_names()) - set(placements()) == {"AQ", "TW"}
    assert region_of("KE") == "002"
    assert "KE" in countries_in("014")
    assert "FR" in countries_in("155")
