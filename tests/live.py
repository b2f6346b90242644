"""A forum on a database of its own, outside the per-test transaction, for tests in which
several connections work at once and every request commits for real.

On SQLite it is a file of its own; on PostgreSQL a schema of its own in the test
database (`live`), dropped and made again for each test.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from forum import create_app
from forum.accounts.models import StakeholderGroup, User
from forum.boards.services import load_boards
from forum.db import utcnow
from forum.extensions import db
from forum.settings import CONFIG_DIR
from tests.helpers import PASSWORD, ClosingClient, post_form

LIVE_SCHEMA = "live"
# How the live forum's connections name themselves to PostgreSQL (pg_stat_activity).
LIVE_APPLICATION = "forum-live"


def _postgres_url(url: str, lock_timeout_ms: int) -> str:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {LIVE_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {LIVE_SCHEMA}"))
    engine.dispose()
    options = quote(f"-csearch_path={LIVE_SCHEMA} -clock_timeout={lock_timeout_ms}")
    return f"{url}{'&' if '?' in url else '?'}options={options}&application_name={LIVE_APPLICATION}"


@contextmanager
def _logging_kept() -> Iterator[None]:
    """Migrations configure logging from alembic.ini, which would take the root logger's
    handlers away from pytest's log capture."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.fixture
def make_live_app(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, database: None
) -> Iterator[Callable[..., Flask]]:
    """Makes the live forum (settings may be overridden); db.session is a real session
    for the length of the test."""
    from tests.conftest import DATABASE_URL

    made: list[Flask] = []
    saved_session = db.session

    def make(*, lock_timeout_ms: int = 10_000, **overrides: object) -> Flask:
        instance = tmp_path_factory.mktemp("live")
        url = (
            _postgres_url(DATABASE_URL, lock_timeout_ms)
            if DATABASE_URL
            else f"sqlite:///{instance / 'live.sqlite3'}"
        )
        monkeypatch.setenv("FORUM_INSTANCE_PATH", str(instance))
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "BASE_URL": "http://forum.test",
                "MAIL_SERVER": "",
                **overrides,
            }
        )
        app.test_client_class = ClosingClient
        db.session = db._make_scoped_session({})
        with app.app_context(), _logging_kept():
            upgrade()
            load_boards(CONFIG_DIR / app.config["BOARDS_FILE"])
            db.session.commit()
        made.append(app)
        return app

    yield make
    db.session = saved_session
    for app in made:
        app.extensions["search"].close()
        with app.app_context():
            db.engine.dispose()


def add_people(app: Flask, count: int, *, prefix: str = "live") -> list[int]:
    """Verified people whose accounts are old enough to post without moderation."""
    from tests.conftest import _HASH

    with app.app_context():
        people = [
            User(
                email=f"{prefix}{number}@example.org",
                display_name=f"{prefix.title()} {number}",
                password_hash=_HASH,
                stakeholder_group=StakeholderGroup.CIVIL_SOCIETY,
                email_verified_at=utcnow(),
                created_at=utcnow() - timedelta(days=90),
            )
            for number in range(count)
        ]
        db.session.add_all(people)
        db.session.commit()
        ids = [person.id for person in people]
        db.session.remove()
    return ids


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
