"""The database going away under the forum: its connections cut (`pg_terminate_backend`, as a
restart of PostgreSQL does) while requests run. Requests caught in the cut get a 503 page
in the reader's language, never a 500; the next ones are served again, without restarting
the application."""

import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, text

from forum.accounts.models import User
from forum.extensions import db
from forum.posts import services as posting
from tests.conftest import DATABASE_URL
from tests.helpers import board, csrf_token, text_of
from tests.live import LIVE_APPLICATION, LIVE_SCHEMA, add_people, signed_in

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgresql"),
    reason="cuts the forum's connections with pg_terminate_backend, on PostgreSQL only",
)


@pytest.fixture
def admin_connection() -> Iterator[Connection]:
    """A connection of the test's own, outside the forum's pool, that cuts the forum's."""
    engine = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _cut(connection: Connection, *, waiting_on_lock: bool = False) -> int:
    """Terminate the live forum's connections (only those waiting for a lock, if asked)."""
    return connection.execute(
        text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name AND (NOT :waiting OR wait_event_type = 'Lock')"
        ),
        {"name": LIVE_APPLICATION, "waiting": waiting_on_lock},
    ).scalar_one()


def _thread(app: Flask, author_id: int) -> int:
    with app.test_request_context():
        author = db.session.get(User, author_id)
        thread = posting.create_thread(board("C5"), author, title="Under load", body="Opening")
        db.session.commit()
        thread_id = thread.id
        db.session.remove()
    return thread_id


def test_idle_connections_cut_are_replaced_without_an_error(make_live_app, admin_connection):
    app = make_live_app()
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert _cut(admin_connection) >= 1
    time.sleep(0.2)
    assert client.get("/").status_code == 200


def test_a_request_whose_connection_is_cut_gets_a_503_page_then_the_forum_recovers(
    make_live_app, admin_connection
):
    app = make_live_app(PAGE_CACHE_SECONDS=0)
    [author_id] = add_people(app, 1)
    thread_id = _thread(app, author_id)
    reader = app.test_client()
    outcome: dict[str, object] = {}

    locker = create_engine(DATABASE_URL).connect()
    locker.execute(text(f"LOCK TABLE {LIVE_SCHEMA}.threads IN ACCESS EXCLUSIVE MODE"))

    def read() -> None:
        response = reader.get(f"/t/{thread_id}", headers={"Accept-Language": "fr"})
        outcome["status"] = response.status_code
        outcome["page"] = text_of(response)
        outcome["retry_after"] = response.headers.get("Retry-After")

    request = threading.Thread(target=read)
    request.start()
    deadline = time.monotonic() + 10
    while not _cut(admin_connection, waiting_on_lock=True):
        assert time.monotonic() < deadline, "the request never waited for the table"
        time.sleep(0.02)
    locker.rollback()
    locker.close()
    locker.engine.dispose()
    request.join(timeout=30)

    assert outcome["status"] == 503
    assert "Le forum est momentanément indisponible" in outcome["page"]
    assert outcome["retry_after"] == "30"
    recovered = reader.get(f"/t/{thread_id}")
    assert recovered.status_code == 200
    assert "Under load" in text_of(recovered)


def test_cutting_every_connection_under_load_never_gives_a_500(make_live_app, admin_connection):
    app = make_live_app(PAGE_CACHE_SECONDS=0)
    people = add_people(app, 3)
    thread_id = _thread(app, people[0])
    statuses: list[int] = []
    stop = threading.Event()

    def read() -> None:
        client = app.test_client()
        while not stop.is_set():
            statuses.append(client.get(f"/t/{thread_id}").status_code)

    writers = [signed_in(app, f"live{number}@example.org") for number in (1, 2)]
    tokens = [csrf_token(client) for client in writers]

    def write(client: FlaskClient, token: str) -> None:
        sent = 0
        while not stop.is_set() and sent < 40:
            form = {"csrf_token": token, "body": f"Reply {sent}"}
            response = client.post(f"/t/{thread_id}/reply", data=form)
            statuses.append(response.status_code)
            sent += 1

    workers = [threading.Thread(target=read) for _ in range(3)]
    pairs = zip(writers, tokens, strict=True)
    workers += [threading.Thread(target=write, args=pair) for pair in pairs]
    for worker in workers:
        worker.start()
    for _ in range(8):
        time.sleep(0.3)
        _cut(admin_connection)
    stop.set()
    for worker in workers:
        worker.join(timeout=60)

    assert statuses
    assert set(statuses) <= {200, 302, 503}, sorted(set(statuses))
    client = app.test_client()
    assert all(client.get(f"/t/{thread_id}").status_code == 200 for _ in range(5))
