"""Two servers of one forum sharing a Redis: pages kept for anonymous readers and rate
limits (flood control among them) are the same on both, and a Redis that stops costs
nothing but the sharing: pages are still served, limits still hold, never a 500.

Each test runs a Redis server of its own on a free loopback port, stopped mid-test."""

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from forum import create_app, shared
from forum.accounts.models import User
from forum.extensions import db
from tests.helpers import PASSWORD, ClosingClient, post_form, text_of

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (apt-get install redis-server)"
)


class RedisServer:
    """A Redis server of this test's own on a loopback port, which can be stopped and
    started again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/7"

    def start(self) -> None:
        subprocess.run(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.folder),
             "--pidfile", str(self.folder / "redis.pid")],
            check=True, capture_output=True,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        try:
            redis.Redis.from_url(self.url).shutdown(nosave=True)
        except redis.ConnectionError:
            return

    def keys(self, pattern: str) -> list[bytes]:
        return list(redis.Redis.from_url(self.url).scan_iter(match=pattern))


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_server(
    app: Flask, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Flask]]:
    """Another server of the forum under test (same database), with the shared Redis."""
    monkeypatch.setattr(shared, "RETRY_SECONDS", 0.2)
    monkeypatch.setenv("FORUM_INSTANCE_PATH", app.instance_path)
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        server = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": app.config["SECRET_KEY"],
                "DATABASE_URL": app.config["DATABASE_URL"],
                "SERVER_NAME": "forum.test",
                "BASE_URL": "http://forum.test",
                "MAIL_SERVER": "",
                "REDIS_URL": redis_server.url,
                "NEW_ACCOUNT_REPLY_LIMIT": "2 per day",
                **overrides,
            }
        )
        server.test_client_class = ClosingClient
        server.extensions["search"] = app.extensions["search"]
        made.append(server)
        return server

    yield make
    for server in made:
        with server.app_context():
            db.engine.dispose()


def _signed_in(server: Flask, user: User) -> FlaskClient:
    client = server.test_client()
    response = post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def test_a_page_kept_by_one_server_is_served_by_the_other(
    make_server, redis_server, make_user, make_thread
):
    first, second = make_server(), make_server()
    author = make_user(name="Ana Original")
    thread = make_thread(author=author, title="Shared page")
    assert "Ana Original" in text_of(first.test_client().get(f"/t/{thread.id}"))
    assert redis_server.keys("forum:page:*")
    # A new display name does not move the thread's stamp: the kept page is still served,
    # by the server that did not render it too.
    db.session.execute(update(User).where(User.id == author.id).values(display_name="Ana Later"))
    db.session.commit()
    assert "Ana Original" in text_of(second.test_client().get(f"/t/{thread.id}"))


def test_a_change_through_one_server_shows_at_once_on_the_other(
    make_server, make_user, make_thread
):
    first, second = make_server(), make_server()
    thread = make_thread(title="Changed elsewhere")
    reader = first.test_client()
    assert "Written on the second" not in text_of(reader.get(f"/t/{thread.id}"))
    writer = _signed_in(second, make_user())
    reply = post_form(writer, f"/t/{thread.id}/reply", {"body": "Written on the second"})
    assert reply.status_code == 302
    assert "Written on the second" in text_of(reader.get(f"/t/{thread.id}"))


def test_a_person_limited_on_one_server_is_limited_on_the_other(
    make_server, redis_server, make_user, make_thread
):
    first, second = make_server(), make_server()
    thread = make_thread()
    person = make_user()
    on_first = _signed_in(first, person)
    for number in range(2):
        response = post_form(on_first, f"/t/{thread.id}/reply", {"body": f"Reply {number}"})
        assert response.status_code == 302
    assert redis_server.keys("LIMITS*")
    refused = post_form(_signed_in(second, person), f"/t/{thread.id}/reply", {"body": "Third"})
    assert refused.status_code == 429
    assert "Third" in text_of(refused)


def test_the_forum_keeps_serving_when_redis_stops(
    make_server, redis_server, make_user, make_thread, caplog
):
    server = make_server()
    thread = make_thread(title="Through an outage")
    reader = server.test_client()
    writer = _signed_in(server, make_user())
    assert post_form(writer, f"/t/{thread.id}/reply", {"body": "Before"}).status_code == 302
    assert reader.get(f"/t/{thread.id}").status_code == 200

    redis_server.stop()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            page = reader.get(f"/t/{thread.id}")
            assert page.status_code == 200
            assert "Before" in text_of(page)
            assert reader.get("/").status_code == 200
            time.sleep(0.25)
        # Flood control still holds, counted in memory: two replies, then a refusal.
        for body in ("During", "During again"):
            assert post_form(writer, f"/t/{thread.id}/reply", {"body": body}).status_code == 302
        refused = post_form(writer, f"/t/{thread.id}/reply", {"body": "Too many"})
        assert refused.status_code == 429
        assert "During" in text_of(reader.get(f"/t/{thread.id}"))
    outages = [r.getMessage() for r in caplog.records if "does not answer" in r.getMessage()]
    assert len([m for m in outages if "page cache" in m]) == 1
    assert len([m for m in outages if "rate-limit" in m]) == 1

    redis_server.start()
    time.sleep(0.25)
    with caplog.at_level(logging.WARNING):
        assert reader.get(f"/t/{thread.id}").status_code == 200
    assert any("answers again" in r.getMessage() for r in caplog.records)
    assert redis_server.keys("forum:page:*")
