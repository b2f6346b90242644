"""Search: what is found, by whom, and how bad queries are answered."""

import re

import pytest
from sqlalchemy import func, select

from forum.boards.models import Role
from forum.db import utcnow
from forum.extensions import db
from forum.search import services
from forum.search.models import IndexQueueItem
from forum.search.whoosh_backend import IndexBusy, pair_term
from forum.worker.runner import Worker
from tests.helpers import post_form, text_of

C5 = "/b/c5-building-confidence-and-security"

pytestmark = pytest.mark.usefixtures("search_engine")


def _count(client, **params) -> int:
    page = text_of(client.get("/search", query_string=params))
    match = re.search(r"<h2>(\d+) results?</h2>", page)
    return int(match.group(1)) if match else -1


def _index_all(app) -> None:
    with app.test_request_context():
        while services.drain():
            pass


def test_a_new_post_is_found_right_after_its_request(client, make_user, sign_in):
    """With SEARCH_INDEX_AFTER_REQUEST (as the tests run): indexed once the response is out."""
    sign_in(make_user(name="Kofi Essien"))
    post_form(
        client, f"{C5}/new", {"title": "Spectrum auctions", "body": "Rural broadband tenders"}
    )
    assert _count(client, q="tenders") == 1
    page = text_of(client.get("/search", query_string={"q": "tenders"}))
    assert "Spectrum auctions" in page
    assert "tenders</mark>" in page
    assert db.session.scalar(select(func.count()).select_from(IndexQueueItem)) == 0


def test_new_posts_wait_for_the_workers_next_round(
    app, client, make_user, sign_in, monkeypatch, search_engine
):
    """As deployed: the request only queues its changes (PostgreSQL writes its own rows in
    the transaction), and one round of the worker indexes all that is queued."""
    monkeypatch.setitem(app.config, "SEARCH_INDEX_AFTER_REQUEST", False)
    sign_in(make_user(name="Kofi Essien"))
    for title in ("Spectrum auctions", "Spectrum sharing", "Spectrum pricing"):
        post_form(client, f"{C5}/new", {"title": title, "body": "Rural broadband tenders"})
    queued = db.session.scalar(select(func.count()).select_from(IndexQueueItem))
    if search_engine == "whoosh":
        assert queued == 3
        assert _count(client, q="tenders") == 0
        worker = Worker(app, idle_seconds=0.01)
        assert worker.step() >= 3
        assert worker.totals["indexed"] == 3
        queued = db.session.scalar(select(func.count()).select_from(IndexQueueItem))
    assert queued == 0
    assert _count(client, q="tenders") == 3


def test_private_boards_stay_private(app, client, make_user, sign_in, make_thread):
    member = make_user(roles={"COORD": Role.MEMBER})
    make_thread("COORD", author=member, title="Confidential agenda", body="budget envelope")
    make_thread("C5", title="Public thread", body="budget envelope")
    _index_all(app)
    assert _count(client, q="envelope") == 1
    sign_in(make_user())
    assert _count(client, q="envelope") == 1
    assert _count(client, q="envelope", board="meeting-of-coordinators") == 1, (
        "a filter cannot widen"
    )
    post_form(client, "/sign-out", {}, prefix="sign-out")
    sign_in(member)
    assert _count(client, q="envelope") == 2


def test_hidden_edited_and_renamed_posts_follow_in_the_index(
    app, client, make_user, sign_in, make_thread
):
    author = make_user()
    thread = make_thread("C5", author=author, title="Original", body="alpha words", replies=1)
    reply_id = thread.last_post_id
    _index_all(app)
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    sign_in(coordinator)
    post_form(client, f"/p/{reply_id}/moderate", {"action": "hide", "reason": "x"})
    assert _count(client, q="reply") == 0
    post_form(client, f"/p/{reply_id}/moderate", {"action": "unhide"})
    assert _count(client, q="reply") == 1
    post_form(client, f"/t/{thread.id}/moderate", {"action": "rename", "title": "Renamed topic"})
    assert _count(client, q="renamed", titles="1") == 2
    post_form(client, f"/p/{thread.first_post_id}/edit", {"body": "omega words"})
    assert _count(client, q="alpha") == 0
    assert _count(client, q="omega") == 1
    post_form(client, f"/t/{thread.id}/moderate", {"action": "delete", "reason": "spam"})
    assert _count(client, q="omega") == 0


def test_held_posts_are_not_found(app, client, make_user, sign_in):
    from forum.boards.models import ModerationMode
    from tests.helpers import board

    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    sign_in(make_user())
    post_form(client, f"{C5}/new", {"title": "Waiting", "body": "pending secret"})
    _index_all(app)
    assert _count(client, q="secret") == 0


@pytest.mark.whoosh_only
def test_the_worker_recovers_what_a_busy_index_left(app, client, make_user, sign_in, monkeypatch):
    def busy(*args, **kwargs):
        raise IndexBusy("locked by another writer")

    monkeypatch.setattr(type(app.extensions["search"]), "apply", busy)
    sign_in(make_user())
    response = post_form(client, f"{C5}/new", {"title": "Resilient", "body": "survives crashes"})
    assert response.status_code == 302, "the user never sees the index's trouble"
    assert _count(client, q="survives") == 0
    assert db.session.scalar(select(func.count()).select_from(IndexQueueItem)) == 1
    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["search", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert _count(client, q="survives") == 1


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "AND",
        "OR OR",
        "NOT",
        "*",
        "?",
        "(",
        "title:",
        "x" * 10_000,
        '"',
        "a AND (b",
        "board_id:1",
        "created:5",
        "created:*",
        "day:[0 TO]",
        "[a TO]",
        "it's",
        "'",
        "\\",
        "a\\' b",
        "word:*",
        "a & b | !c <-> d",
        "'a':* <2> 'b'",
        '"l\'école" -',
        "title:'x",
        "ab?d",
    ],
)
def test_bad_queries_get_pages(client, make_thread, query):
    make_thread("C5", body="something")
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_long_query_is_cut_with_a_note(client):
    page = text_of(client.get("/search", query_string={"q": "word " * 2000}))
    assert "only its first 500 characters" in page


@pytest.mark.parametrize(
    "query", ["*", "a*", "NOT anything", "NOT anything NOT else", "anything OR NOT else", "[a TO]"]
)
def test_queries_matching_everything_fall_back_to_words(client, make_thread, query):
    make_thread("C5", body="anything at all")
    page = text_of(client.get("/search", query_string={"q": query}))
    assert "could not be read as written" in page


def test_phrases_and_prefixes_are_searched_as_written(app, client, make_thread, search_engine):
    make_thread("C5", title="One", body="The digital divide remains wide.")
    make_thread("C5", title="Two", body="Divide the digital budget between broadband users.")
    make_thread("C5", title="Three", body="A digital divide, then the divide remains.")
    _index_all(app)
    _assert_phrases_found(client)
    # A rebuild finds the common words and indexes their pairs; phrases then read them.
    result = app.test_cli_runner().invoke(args=["search", "reindex", "--processes", "1"])
    assert result.exit_code == 0, result.output
    if search_engine == "whoosh":
        with app.app_context():
            reader = services.backend()._searcher().reader()
            assert ("content", pair_term("digit", "divid")) in reader
    _assert_phrases_found(client)


def _assert_phrases_found(client) -> None:
    page = text_of(client.get("/search", query_string={"q": '"digital budget"'}))
    assert "could not be read as written" not in page
    assert "<h2>1 result</h2>" in page
    assert "broadband users" in page
    assert _count(client, q='"digital divide"') == 2
    assert _count(client, q='"budget digital"') == 0
    assert _count(client, q='"digital divide remains"') == 1, "both pairs, one phrase"
    assert _count(client, q='"digital divide remains"', titles="1") == 0
    assert _count(client, q="digital divide") == 3
    assert _count(client, q="digital NOT budget") == 2
    assert _count(client, q="broadb*") == 1
    assert "could not be read" not in text_of(client.get("/search", query_string={"q": "wid*"}))


def test_empty_query_shows_the_form(client):
    page = text_of(client.get("/search"))
    assert 'name="q"' in page
    assert "results" not in page


@pytest.mark.parametrize(
    ("body", "query"),
    [
        ("مجتمع المعلومات للجميع", "المعلومات"),
        ("信息社会世界峰会", "社会"),
        ("Информационное общество и развитие", "общество"),
    ],
)
def test_non_latin_scripts_are_findable(app, client, make_thread, body, query):
    make_thread("C5", title="Multilingual", body=body)
    _index_all(app)
    assert _count(client, q=query) == 1


def test_filters_and_sorting(app, client, make_user, make_thread):
    from forum.accounts.models import StakeholderGroup

    government = make_user(group=StakeholderGroup.GOVERNMENT)
    business = make_user(group=StakeholderGroup.PRIVATE_SECTOR)
    make_thread("C5", author=government, title="Roaming charges", body="tariffs")
    make_thread("C6", author=business, title="Licensing", body="tariffs and roaming")
    _index_all(app)
    assert _count(client, q="tariffs") == 2
    assert _count(client, q="tariffs", board="c6-enabling-environment") == 1
    assert _count(client, q="tariffs", group="government") == 1
    assert _count(client, q="roaming", titles="1") == 1
    assert _count(client, q="tariffs", author=str(business.id)) == 1
    assert _count(client, q="tariffs", **{"from": "2000-01-01", "to": "2000-12-31"}) == 0
    today = utcnow().date().isoformat()
    assert _count(client, q="tariffs", **{"from": today, "to": today}) == 2, "days inclusive"
    assert _count(client, q="tariffs", **{"from": "1900-01-01"}) == 2
    newest = text_of(client.get("/search", query_string={"q": "tariffs", "sort": "newest"}))
    assert newest.index("Licensing") < newest.index("Roaming charges")


def test_relevance_prefers_a_word_said_often_in_a_short_post(app, client, make_thread):
    filler = " ".join(f"filler{number}" for number in range(120))
    make_thread("C5", title="Lengthy essay", body=f"Roaming once. {filler}")
    make_thread("C5", title="Brief note", body="Roaming, roaming and more roaming.")
    make_thread("C5", title="Unrelated", body="Nothing to see.")
    _index_all(app)
    page = text_of(client.get("/search", query_string={"q": "roaming"}))
    assert "<h2>2 results</h2>" in page
    assert page.index("Brief note") < page.index("Lengthy essay")


@pytest.mark.parametrize("processes", ["1", "2"])
def test_reindex_and_status(app, client, make_thread, monkeypatch, processes):
    from forum.search import whoosh_backend

    monkeypatch.setattr(whoosh_backend, "REBUILD_CHUNK", 2)
    make_thread("C5", body="rebuilt", replies=2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "reindex", "--processes", processes])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 posts" in result.output
    assert _count(client, q="thread") == 3, "every post, from its segment"
    status = runner.invoke(args=["search", "status"]).output
    assert "Documents indexed: 3" in status
    assert "Published posts:   3" in status
    assert "another schema" not in status


@pytest.mark.whoosh_only
def test_new_posts_segments_merge_but_a_rebuild_stays(app, client, make_thread, monkeypatch):
    from forum.search import whoosh_backend

    monkeypatch.setattr(whoosh_backend, "SMALL_SEGMENT", 3)
    make_thread("C5", title="Rebuilt", body="common ground", replies=3)
    assert (
        app.test_cli_runner().invoke(args=["search", "reindex", "--processes", "1"]).exit_code == 0
    )
    for number in range(11):
        make_thread("C5", title=f"New {number}", body="common ground")
        _index_all(app)

    def segment_sizes() -> list[int]:
        with app.app_context():
            reader = services.backend()._searcher().reader()
            return sorted(leaf.doc_count_all() for leaf, _ in reader.leaf_readers())

    assert segment_sizes() == [4, 11], "one-post segments merged, the rebuilt one kept"
    assert _count(client, q="common ground") == 12


@pytest.mark.whoosh_only
def test_status_tells_when_the_index_predates_the_schema(app, tmp_path, make_thread):
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema

    from forum.search.whoosh_backend import WhooshBackend

    folder = tmp_path / "old-index-1"
    folder.mkdir()
    index.create_in(str(folder), Schema(post_id=ID(stored=True), body=TEXT))
    (tmp_path / "old-index").symlink_to(folder.name)
    app.extensions["search"] = WhooshBackend(tmp_path / "old-index")
    status = app.test_cli_runner().invoke(args=["search", "status"]).output
    assert "another schema" in status
    make_thread("C5", body="waits")
    with app.test_request_context():
        with pytest.raises(IndexBusy):
            services.drain()
        db.session.rollback()
        queued = db.session.scalar(select(func.count()).select_from(IndexQueueItem))
    assert queued == 1, "changes wait in the queue for the rebuild"


def test_dates_with_no_posts_far_off_or_long_ago_get_pages(app, client, make_thread):
    for number in range(3):
        make_thread("C5", title=f"Dated {number}", body="tariffs")
        _index_all(app)  # a segment each
    for dates in [
        {"from": "2001-02-03", "to": "2001-02-03"},
        {"from": "1950-01-01", "to": "1965-01-01"},
        {"from": "2200-01-01"},
        {"to": "2200-01-01"},
    ]:
        response = client.get("/search", query_string={"q": "tariffs", **dates})
        assert response.status_code == 200, dates
    assert _count(client, q="tariffs", **{"from": "2001-02-03", "to": "2001-02-03"}) == 0
    assert _count(client, q="tariffs", **{"from": "1950-01-01", "to": "1965-01-01"}) == 0
    assert _count(client, q="tariffs", **{"to": "2200-01-01"}) == 3
    assert _count(client, q="tariffs", **{"from": "2200-01-01"}) == 0


def test_approved_and_moved_posts_follow_in_the_index(app, client, make_user, sign_in):
    from forum.boards.models import ModerationMode
    from forum.posts.models import Post
    from tests.helpers import board

    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    sign_in(make_user())
    post_form(client, f"{C5}/new", {"title": "Awaiting", "body": "quorum rules"})
    post_form(client, "/sign-out", {}, prefix="sign-out")
    post = db.session.scalars(select(Post).order_by(Post.id.desc())).first()
    assert _count(client, q="quorum") == 0
    sign_in(make_user(admin=True))
    post_form(client, "/queue", {"action": "approve", "post": str(post.id)})
    assert _count(client, q="quorum") == 1
    post_form(
        client, f"/t/{post.thread_id}/moderate", {"action": "move", "board": str(board("C6").id)}
    )
    assert _count(client, q="quorum", board="c6-enabling-environment") == 1
    assert _count(client, q="quorum", board="c5-building-confidence-and-security") == 0


def test_a_common_word_is_counted_up_to_a_limit(app, client, make_user, monkeypatch):
    import sys

    engine_module = sys.modules[type(app.extensions["search"]).__module__]
    monkeypatch.setattr(engine_module, "COUNT_LIMIT", 22)
    author = make_user()
    for number in range(25):
        make_thread_direct(app, author, f"Common {number}", "a shared word")
    _index_all(app)
    page = text_of(client.get("/search", query_string={"q": "shared"}))
    assert "More than 22 results" in page
    assert page.count('<li><a href="/p/') == 20
    assert _count(client, q="common 7", titles="1") == 1


def make_thread_direct(app, author, title, body):
    from forum.posts import services as posting
    from tests.helpers import board

    with app.test_request_context():
        posting.create_thread(board("C5"), author, title=title, body=body)
        db.session.commit()


@pytest.mark.whoosh_only
def test_date_terms_cover_each_day_of_a_range_once():
    from datetime import date, timedelta
    from random import Random

    from forum.search.whoosh_backend import _date_terms

    def days_of(field: str, text: str) -> list[date]:
        if field == "day":
            return [date.fromisoformat(text)]
        first = date.fromisoformat(f"{text}-01" if field == "month" else f"{text}-01-01")
        after = (
            date(first.year + 1, 1, 1)
            if field == "year"
            else date(first.year + first.month // 12, first.month % 12 + 1, 1)
        )
        return [first + timedelta(days=n) for n in range((after - first).days)]

    rng = Random(2005)
    for _ in range(200):
        first = date(2003, 1, 1) + timedelta(days=rng.randrange(4000))
        last = first + timedelta(days=rng.randrange(1200))
        covered = [day for term in _date_terms(first, last) for day in days_of(*term)]
        assert sorted(covered) == [
            first + timedelta(days=n) for n in range((last - first).days + 1)
        ]
    assert list(_date_terms(date(2025, 1, 1), date(2025, 12, 31))) == [("year", "2025")]
