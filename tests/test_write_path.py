"""Writing through the forms costs what the write needs: no page rendered only to be
thrown away, no indexing in the web request (the worker does it, see test_search.py),
and as many SQL statements for a reply in a long thread as in a short one."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, template_rendered
from sqlalchemy import func, select

from forum.extensions import db
from forum.posts.models import Post, Thread
from forum.search.models import IndexQueueItem
from tests.helpers import csrf_token

C5 = "/b/c5-building-confidence-and-security"
# A reply: the person and their session, the thread, flood control and the submission
# token, the post and its counters, the publication log and the copies by email, the
# notice to the person answered, the reading position, the search queue, the redirect.
# PostgreSQL also takes the publication log's lock and writes the post's search row
# (its columns read, the old row deleted, the new one written) instead of queueing it.
MAX_REPLY_QUERIES = {"sqlite": 24, "postgresql": 28}


@contextmanager
def rendered(app: Flask) -> Iterator[list[str]]:
    names: list[str] = []

    def record(sender: Flask, template, context: dict, **extra: object) -> None:
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


@pytest.mark.parametrize("replies", [29, 299])
def test_a_reply_renders_nothing_and_its_queries_do_not_grow(
    app, client, make_user, make_thread, sign_in, count_queries, replies, monkeypatch
):
    monkeypatch.setitem(app.config, "SEARCH_INDEX_AFTER_REQUEST", False)
    thread = make_thread(replies=replies)
    sign_in(make_user())
    token = csrf_token(client)
    with rendered(app) as templates, count_queries() as counter:
        response = client.post(
            f"/t/{thread.id}/reply", data={"csrf_token": token, "body": "Agreed, with a caveat."}
        )
    assert response.status_code == 302
    newest = db.session.scalar(select(func.max(Post.id)).where(Post.thread_id == thread.id))
    last_page = (replies + 2 + 29) // 30
    assert response.location.endswith(f"/t/{thread.id}?page={last_page}#p{newest}")
    assert templates == [], "a page was rendered for a redirect"
    bound = MAX_REPLY_QUERIES[db.session.get_bind().dialect.name]
    assert counter.count <= bound, "\n".join(s[:100] for s in counter.statements)


def test_a_new_thread_renders_nothing_when_it_is_written(app, client, make_user, sign_in):
    sign_in(make_user())
    token = csrf_token(client)
    with rendered(app) as templates:
        response = client.post(
            f"{C5}/new", data={"csrf_token": token, "title": "Spectrum", "body": "Auctions."}
        )
    assert response.status_code == 302
    assert templates == []
    thread = db.session.scalars(select(Thread).where(Thread.title == "Spectrum")).one()
    assert response.location.endswith(f"/t/{thread.id}#p{thread.first_post_id}")


def test_a_form_sent_again_with_errors_is_still_shown(app, client, make_user, sign_in):
    sign_in(make_user())
    token = csrf_token(client)
    with rendered(app) as templates:
        response = client.post(f"{C5}/new", data={"csrf_token": token, "title": "", "body": "x"})
    assert response.status_code == 400
    assert templates[:1] == ["posts/new_thread.html"]
    assert "Give the thread a title." in response.get_data(as_text=True)


def test_the_web_request_only_queues_for_search(
    app, client, make_user, make_thread, sign_in, monkeypatch
):
    """As deployed (Whoosh): the reply is queued, not indexed, by the request."""
    monkeypatch.setitem(app.config, "SEARCH_INDEX_AFTER_REQUEST", False)
    thread = make_thread()
    sign_in(make_user())
    before = db.session.scalar(select(func.count()).select_from(IndexQueueItem))
    client.post(f"/t/{thread.id}/reply", data={"csrf_token": csrf_token(client), "body": "Queued."})
    after = db.session.scalar(select(func.count()).select_from(IndexQueueItem))
    expected = 0 if db.session.get_bind().dialect.name == "postgresql" else 1
    assert after - before == expected
