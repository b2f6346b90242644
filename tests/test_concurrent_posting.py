"""People posting at once, over real connections: counters that never drift, a form sent
twice that posts once, and indexing after each request that keeps up."""

import logging
import re
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.posts import counters
from forum.posts import services as posting
from forum.posts.models import Post, PostStatus, Thread
from forum.search.backend import Query
from forum.search.models import IndexQueueItem
from forum.worker.runner import Worker
from tests.helpers import board, csrf_token, text_of
from tests.live import add_people, signed_in

C5 = "/b/c5-building-confidence-and-security"
PEOPLE = 6
REPLIES_EACH = 5

_SUBMISSION = re.compile(r'name="submission" type="hidden" value="([^"]+)"')


def _all_at_once(count: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(n)` in `count` threads released together; returns their results."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[number] = work(number)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def _start_thread(app: Flask, author_id: int, title: str) -> int:
    with app.test_request_context():
        author = db.session.get(User, author_id)
        thread = posting.create_thread(board("C5"), author, title=title, body="Opening post")
        db.session.commit()
        thread_id = thread.id
        db.session.remove()
    return thread_id


def test_people_replying_at_once_leave_every_counter_equal_to_its_rows(
    make_live_app, caplog: pytest.LogCaptureFixture
):
    app = make_live_app()
    people = add_people(app, PEOPLE)
    thread_id = _start_thread(app, people[0], "Everyone at once")
    clients = [signed_in(app, f"live{n}@example.org") for n in range(PEOPLE)]

    def write(number: int) -> list[int]:
        client = clients[number]
        statuses = []
        for reply in range(REPLIES_EACH):
            token = csrf_token(client)
            statuses.append(
                client.post(
                    f"/t/{thread_id}/reply",
                    data={"csrf_token": token, "body": f"Reply {reply} from {number}"},
                ).status_code
            )
        statuses.append(
            client.post(
                f"{C5}/new",
                data={"csrf_token": csrf_token(client), "title": f"Own {number}", "body": "Hi"},
            ).status_code
        )
        return statuses

    with caplog.at_level(logging.WARNING):
        results = _all_at_once(PEOPLE, write)
    assert all(status == 302 for statuses in results for status in statuses), results

    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        published = select(func.count()).where(Post.status == PostStatus.PUBLISHED)
        assert thread.post_count == 1 + PEOPLE * REPLIES_EACH
        assert thread.post_count == db.session.scalar(published.where(Post.thread_id == thread_id))
        newest = db.session.scalars(
            select(Post.id).where(Post.thread_id == thread_id).order_by(Post.id.desc())
        ).first()
        assert thread.last_post_id == newest
        c5 = board("C5")
        assert c5.thread_count == 1 + PEOPLE
        assert c5.post_count == 1 + PEOPLE * REPLIES_EACH + PEOPLE
        assert c5.post_count == db.session.scalar(
            published.join(Post.thread).where(Thread.board_id == c5.id)
        )
        for person in db.session.scalars(select(User).where(User.id.in_(people))):
            own = db.session.scalar(published.where(Post.author_id == person.id))
            assert person.post_count == own
        assert counters.recount_everything() == {"threads": 0, "boards": 0, "people": 0}
        db.session.rollback()

    # The replies were queued for search (Whoosh) or indexed as they committed
    # (PostgreSQL); the worker's next round indexes the queue.
    worker = Worker(app, idle_seconds=0.01)
    worker.step()
    assert worker.totals["failures"] == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndexQueueItem)) == 0
        results = app.extensions["search"].search(Query(text="Reply", per_page=100))
        assert results.total == PEOPLE * REPLIES_EACH


def test_recount_repairs_counters_that_drifted(make_live_app):
    app = make_live_app()
    [author] = add_people(app, 1)
    thread_id = _start_thread(app, author, "Drifted")
    with app.app_context():
        c5 = board("C5")
        db.session.get(Thread, thread_id).post_count = 40
        c5.post_count, c5.thread_count = 7, 99
        db.session.get(User, author).post_count = 0
        db.session.commit()
        board_id = c5.id
        db.session.remove()

    result = app.test_cli_runner().invoke(args=["forum", "recount"])

    assert result.exit_code == 0, result.output
    assert "Corrected: 1 threads, 1 boards, 1 people." in result.output
    with app.app_context():
        assert db.session.get(Thread, thread_id).post_count == 1
        assert db.session.get(Board, board_id).thread_count == 1
        assert db.session.get(Board, board_id).post_count == 1
        assert db.session.get(User, author).post_count == 1


def _reply_form(client: FlaskClient, thread_id: int) -> dict[str, str]:
    page = text_of(client.get(f"/t/{thread_id}/reply"))
    [submission] = _SUBMISSION.findall(page)
    return {"csrf_token": csrf_token(client), "submission": submission, "body": "Only once"}


def _twin(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second client in the same signed-in session (the same browser, a second click)."""
    twin = app.test_client()
    for cookie in ("session", "remember_token"):
        found = client.get_cookie(cookie)
        if found is not None:
            twin.set_cookie(cookie, found.value)
    return twin


def test_the_same_reply_form_sent_twice_at_once_posts_once(make_live_app):
    app = make_live_app()
    [author] = add_people(app, 1)
    thread_id = _start_thread(app, author, "Double click")
    client = signed_in(app, "live0@example.org")
    form = _reply_form(client, thread_id)
    clients = [client, _twin(app, client)]

    responses = _all_at_once(2, lambda n: clients[n].post(f"/t/{thread_id}/reply", data=form))

    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0].location == responses[1].location
    with app.app_context():
        bodies = db.session.scalars(select(Post.body_source).where(Post.thread_id == thread_id))
        assert list(bodies).count("Only once") == 1
        assert db.session.get(Thread, thread_id).post_count == 2


def test_a_reply_form_sent_again_shows_the_post_it_wrote(client, sign_in, make_user, make_thread):
    thread = make_thread()
    sign_in(make_user())
    form = _reply_form(client, thread.id)

    first = client.post(f"/t/{thread.id}/reply", data=form)
    again = client.post(f"/t/{thread.id}/reply", data=form, follow_redirects=True)

    assert first.status_code == 302
    assert "You sent this form before: here is what it posted." in text_of(again)
    bodies = db.session.scalars(select(Post.body_source).where(Post.thread_id == thread.id))
    assert list(bodies).count("Only once") == 1


def test_a_new_thread_form_sent_twice_starts_one_thread(client, sign_in, make_user):
    sign_in(make_user())
    [submission] = _SUBMISSION.findall(text_of(client.get(f"{C5}/new")))
    form = {
        "csrf_token": csrf_token(client),
        "submission": submission,
        "title": "Posted once",
        "body": "Even when sent twice",
    }

    responses = [client.post(f"{C5}/new", data=form) for _ in range(2)]

    assert responses[0].location == responses[1].location
    titles = db.session.scalars(select(Thread.title).where(Thread.title == "Posted once"))
    assert len(list(titles)) == 1


def test_each_new_form_gets_its_own_token(client, sign_in, make_user, make_thread):
    thread = make_thread()
    sign_in(make_user())
    tokens = {_SUBMISSION.findall(text_of(client.get(f"/t/{thread.id}")))[0] for _ in range(3)}
    assert len(tokens) == 3


def test_a_damaged_submission_token_still_posts(client, sign_in, make_user, make_thread):
    thread = make_thread()
    sign_in(make_user())
    form = {**_reply_form(client, thread.id), "submission": "<not a token>" * 10, "body": "Kept"}

    response = client.post(f"/t/{thread.id}/reply", data=form)

    assert response.status_code == 302
    bodies = db.session.scalars(select(Post.body_source).where(Post.thread_id == thread.id))
    assert "Kept" in list(bodies)


def test_a_message_confirmed_twice_at_once_is_posted_once(make_live_app):
    from forum.inbound import confirmations
    from forum.inbound.lmtp import deliver
    from forum.inbound.models import InboundMessage
    from tests.mailin import _as_sent, email

    app = make_live_app()
    add_people(app, 1, prefix="unsigned")
    message = email("unsigned0@example.org", "Twice", "Confirm me", authenticated=False)
    raw = _as_sent(message.as_bytes(), "c5@forum.example.org")
    answer = deliver(app, raw, envelope_from="unsigned0@example.org",
                     recipient="c5@forum.example.org")  # fmt: skip
    assert "unconfirmed" in answer.status
    with app.test_request_context():
        record = db.session.scalars(select(InboundMessage)).one()
        url = f"/mail/confirm-post/{confirmations.token_for(record)}"
        db.session.remove()
    clients = [app.test_client() for _ in range(2)]
    tokens = [csrf_token(client) for client in clients]

    responses = _all_at_once(2, lambda n: clients[n].post(url, data={"csrf_token": tokens[n]}))

    assert sorted(r.status_code for r in responses) == [200, 409]
    with app.app_context():
        titles = db.session.scalars(select(Thread.title).where(Thread.title == "Twice"))
        assert len(list(titles)) == 1
