"""Listing pages cost a bounded number of SQL queries, whatever their size."""

import pytest
from sqlalchemy import select

from forum.boards.models import Role
from forum.extensions import db
from forum.posts import services as posting
from forum.posts.models import Post
from tests.helpers import signed_in, text_of

MAX_QUERIES = 6
# Signed in, a board or thread page also reads how the person follows it by email, and
# what is new to them on the page (one query for the whole page); a board page also
# lists its upcoming meetings (one query).
MAX_SIGNED_IN_QUERIES = MAX_QUERIES + 3


@pytest.mark.parametrize("replies", [29, 299])
def test_thread_page_queries_do_not_grow(client, make_thread, count_queries, replies):
    thread = make_thread(replies=replies)
    last_page = (replies + 1 + 29) // 30
    with count_queries() as counter:
        response = client.get(f"/t/{thread.id}" + (f"?page={last_page}" if last_page > 1 else ""))
    assert response.status_code == 200
    assert "Reply number" in text_of(response)
    assert counter.count <= MAX_QUERIES, counter.statements


@pytest.mark.parametrize("threads", [3, 40])
def test_board_page_queries_do_not_grow(client, make_user, make_thread, count_queries, threads):
    authors = [make_user() for _ in range(5)]
    for number in range(threads):
        make_thread("C5", author=authors[number % 5], title=f"Thread {number}", replies=1)
    with count_queries() as counter:
        response = client.get("/b/c5-building-confidence-and-security")
    assert response.status_code == 200
    assert counter.count <= MAX_QUERIES, counter.statements


def test_signed_in_pages_stay_bounded(client, make_user, sign_in, make_thread, count_queries):
    coordinator = make_user(roles={"C5": Role.COORDINATOR, "CSB": Role.MEMBER})
    thread = make_thread(replies=40)
    sign_in(coordinator)
    for url in [
        "/",
        "/b/c5-building-confidence-and-security",
        f"/t/{thread.id}",
        f"/t/{thread.id}?page=2",
    ]:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        assert counter.count <= MAX_SIGNED_IN_QUERIES, (url, [s[:90] for s in counter.statements])


@pytest.mark.parametrize("kind", ["member", "coordinator"])
def test_a_signed_in_thread_page_asks_as_much_for_300_posts_as_for_30(
    app, make_user, make_thread, count_queries, kind
):
    """Each post's answer to the post it answers, the reader's marks and email setting,
    the count of what they see: none of it grows with the thread (nor for a page deep in
    it)."""
    reader = make_user(roles={"C5": Role.COORDINATOR} if kind == "coordinator" else None)
    client = signed_in(app, reader)
    counts = {}
    for replies in (29, 299):
        thread = make_thread(replies=replies)
        with app.test_request_context():
            last = db.session.scalars(
                select(Post).where(Post.thread_id == thread.id).order_by(Post.id.desc())
            ).first()
            posting.reply(thread, make_user(), body="An answer", reply_to=last)
            db.session.commit()
        thread_id = thread.id
        for page in (1, (replies + 2 + 29) // 30):
            path = f"/t/{thread_id}?page={page}" if page > 1 else f"/t/{thread_id}"
            with count_queries() as counter:
                response = client.get(path)
            assert response.status_code == 200
            assert ("Reply number" if page == 1 else "An answer") in text_of(response)
            counts[replies, "first" if page == 1 else "last"] = counter.statements
    for page in ("first", "last"):
        assert len(counts[299, page]) == len(counts[29, page]), counts
        assert len(counts[299, page]) <= MAX_QUERIES, counts[299, page]


def test_home_page_queries(client, make_thread, count_queries):
    for code in ["C1", "C2", "C5", "C7-EHEALTH", "GB"]:
        make_thread(code, replies=2) if code != "GB" else None
    with count_queries() as counter:
        assert client.get("/").status_code == 200
    assert counter.count <= 2, counter.statements


def test_unread_marks_of_a_board_page_take_one_query(
    client, make_user, make_thread, sign_in, count_queries
):
    reader = make_user()
    sign_in(reader)
    counts = []
    for threads in (3, 30):
        while len(counts) < threads:
            make_thread("C5", title=f"Thread {len(counts)}", replies=1)
            counts.append(None)
        with count_queries() as counter:
            page = text_of(client.get("/b/c5-building-confidence-and-security"))
        assert page.count('class="tag new"') == threads
        counts[threads - 1] = counter.count
    assert counts[2] == counts[29] <= MAX_SIGNED_IN_QUERIES
