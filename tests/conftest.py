"""Fixtures: one migrated database per run, each test inside a transaction rolled back at
its end, real HTTP through the app, and factories for people, roles and threads.

The same suite runs on SQLite (default) and on PostgreSQL when FORUM_TEST_DATABASE_URL
names one (see `make test`).
"""

import mailbox
import os
import smtplib
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.security import generate_password_hash

from forum import create_app
from forum.accounts.models import StakeholderGroup, User
from forum.accounts.services import PASSWORD_METHOD
from forum.boards.models import BoardRole, Role
from forum.boards.services import load_boards
from forum.db import utcnow
from forum.extensions import db, mail
from forum.mail import delivery, mail_context
from forum.posts import services as posting
from forum.posts.models import Thread
from forum.settings import CONFIG_DIR
from forum.site.services import load_default_pages
from tests.helpers import PASSWORD, ClosingClient, QueryCounter, board, post_form

pytest_plugins = ["tests.live", "tests.browser"]

DATABASE_URL = os.environ.get("FORUM_TEST_DATABASE_URL", "")
_HASH = generate_password_hash(PASSWORD, method=PASSWORD_METHOD)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    url = DATABASE_URL or f"sqlite:///{instance / 'test.sqlite3'}"
    if url.startswith("postgresql"):
        _reset_postgres(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORUM_INSTANCE_PATH", str(instance))
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "SERVER_NAME": "forum.test",
                "BASE_URL": "http://forum.test",
                "MAIL_SERVER": "",
                # en_XA, for tests/test_pseudo_locale.py
                "PSEUDO_LOCALE": True,
                # Search right after posting (production leaves it to the worker; see
                # tests/test_search.py for that path).
                "SEARCH_INDEX_AFTER_REQUEST": True,
            }
        )
    app.test_client_class = ClosingClient
    with app.app_context():
        upgrade()
        load_boards(CONFIG_DIR / app.config["BOARDS_FILE"])
        load_default_pages()
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


class _RequestScopedSession(scoped_session):
    """One session for the whole test; the end of a request rolls back what it did not
    commit and forgets what it loaded, as a fresh session would."""

    def remove(self) -> None:
        if self.registry.has():
            self.registry().rollback()


@pytest.fixture(autouse=True)
def database(app: Flask) -> Iterator[None]:
    """Everything a test commits is released into a SAVEPOINT of a transaction that is
    rolled back afterwards."""
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    original = db.session
    db.session = _RequestScopedSession(factory, scopefunc=lambda: "test")
    try:
        yield
    finally:
        db.session.registry().close()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def fresh_limits_and_mail(app: Flask) -> Iterator[None]:
    app.extensions["rate_limits"].reset()
    maildir = Path(app.instance_path) / "maildir"
    for path in maildir.glob("*/*"):
        path.unlink()
    return


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for tests that call services directly (not around requests)."""
    with app.test_request_context():
        yield


def deliver(app: Flask) -> delivery.Report:
    """Run the worker's delivery until nothing is due, as `flask worker` would."""
    with mail_context(app):
        return delivery.deliver_all()


@pytest.fixture
def outbox(app: Flask) -> Callable[[], list[Message]]:
    """Delivers what the outbox holds (no SMTP server: into the instance Maildir), then
    returns every message delivered so far, oldest first."""

    def read() -> list[Message]:
        deliver(app)
        folder = Path(app.instance_path) / "maildir"
        if not folder.exists():
            return []
        box = mailbox.Maildir(folder, create=False)
        return sorted(box, key=lambda m: m.get_date())

    return read


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 1_000_000))

    def make(
        *,
        name: str | None = None,
        email: str | None = None,
        group: StakeholderGroup = StakeholderGroup.CIVIL_SOCIETY,
        verified: bool = True,
        admin: bool = False,
        suspended: bool = False,
        accredited: bool = False,
        roles: dict[str, Role] | None = None,
    ) -> User:
        number = next(counter)
        user = User(
            email=email or f"person{number}@example.org",
            display_name=name or f"Person {number}",
            password_hash=_HASH,
            stakeholder_group=group,
            organisation="Test organisation",
            country="KE",
            email_verified_at=utcnow() if verified else None,
            is_admin=admin,
            is_suspended=suspended,
            accredited=accredited,
        )
        db.session.add(user)
        for code, role in (roles or {}).items():
            db.session.add(BoardRole(board=board(code), user=user, role=role))
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_thread(app: Flask, make_user: Callable[..., User]) -> Callable[..., Thread]:
    def make(
        code: str = "C5",
        *,
        author: User | None = None,
        title: str = "A thread",
        body: str = "First post",
        replies: int = 0,
    ) -> Thread:
        author = author or make_user()
        with app.test_request_context():
            thread = posting.create_thread(board(code), author, title=title, body=body)
            for number in range(replies):
                posting.reply(thread, author, body=f"Reply number {number + 1}")
            db.session.commit()
        return thread

    return make


@pytest.fixture
def sign_in(client: FlaskClient) -> Callable[[User], None]:
    def do(user: User) -> None:
        response = post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)

    return do


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], QueryCounter]:
    return lambda: QueryCounter(app)


@pytest.fixture(autouse=True)
def smtp_only_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test whose code tries to reach an SMTP server off this machine."""
    connect = smtplib.SMTP.connect

    def guarded(
        self: smtplib.SMTP, host: str = "localhost", port: int = 0, *args: object, **kwargs: object
    ) -> object:
        assert host in {"127.0.0.1", "localhost", "::1"}, f"test tried to reach SMTP at {host}"
        return connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a loopback port, which can be stopped and started
    again on the same port, or told to answer with an error code: `answer` after the
    message (DATA), `rcpt_answers` to the RCPT TO of the addresses it names. Without
    `eight_bit` it does not announce 8BITMIME (and refuses 8-bit data)."""

    def __init__(self, *, eight_bit: bool = True) -> None:
        self.received: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.answer = "250 OK"
        self.rcpt_answers: dict[str, str] = {}
        self.eight_bit = eight_bit
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        answer = self.rcpt_answers.get(address, "250 OK")
        if answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return answer

    async def handle_DATA(self, server, session, envelope) -> str:
        if not self.answer.startswith("250"):
            return self.answer
        self.raw.append(envelope.original_content)
        self.received.append(message_from_bytes(envelope.original_content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return self.answer

    def start(self) -> None:
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, decode_data=not self.eight_bit
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def lmtp(app: Flask) -> Iterator[int]:
    """The forum's LMTP listener on a loopback port of its own; yields the port."""
    from forum.inbound import lmtp as lmtp_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = lmtp_server.controller(app, host="127.0.0.1", port=port)
    server.start()
    try:
        yield port
    finally:
        server.stop()


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[EmailMessage]]]:
    """A real SMTP server on a loopback port; yields its port and what it received."""
    server = SmtpServer()
    server.start()
    try:
        yield server.port, server.received
    finally:
        server.stop()


@contextmanager
def _mail_through(app: Flask, server: SmtpServer) -> Iterator[SmtpServer]:
    """The forum's mail goes to this server, started on loopback, until the block ends."""
    server.start()
    saved = {name: app.config[name] for name in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    mail.init_app(app)
    try:
        yield server
    finally:
        server.stop()
        app.config.update(saved)
        mail.init_app(app)


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    """The forum's mail goes to a real SMTP server on loopback for this test."""
    with _mail_through(app, SmtpServer()) as server:
        yield server


@pytest.fixture
def smtp_7bit(app: Flask) -> Iterator[SmtpServer]:
    """As `smtp`, to a server that does not announce 8BITMIME."""
    with _mail_through(app, SmtpServer(eight_bit=False)) as server:
        yield server


@pytest.fixture(autouse=True)
def empty_page_cache(app: Flask) -> None:
    app.extensions["page_cache"].clear()
    app.extensions["post_fragments"].clear()


# The search engines a test that asks for `search_engine` runs with: on PostgreSQL, its
# own backend twice (ranking and sorting in the RUM index where there is one, and as
# with GIN) beside Whoosh.
SEARCH_ENGINES = (
    ["whoosh", "postgres", "postgres-gin"] if DATABASE_URL.startswith("postgresql") else ["whoosh"]
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "search_engine" in metafunc.fixturenames:
        whoosh_only = metafunc.definition.get_closest_marker("whoosh_only")
        engines = ["whoosh"] if whoosh_only else SEARCH_ENGINES
        metafunc.parametrize("search_engine", engines, indirect=True)


@pytest.fixture
def search_engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(autouse=True)
def fresh_search_index(
    app: Flask, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Each test searches with the engine it names (by default the app's), and a Whoosh
    index of its own (the database is rolled back, so must be the index)."""
    from forum.search.pg_backend import PostgresBackend
    from forum.search.whoosh_backend import WhooshBackend

    original = app.extensions["search"]
    callspec = getattr(request.node, "callspec", None)
    name = callspec.params.get("search_engine") if callspec else None
    if name is None:
        name = "postgres" if isinstance(original, PostgresBackend) else "whoosh"
    if name == "whoosh":
        fresh = WhooshBackend(tmp_path_factory.mktemp("index") / "search-index")
    else:
        fresh = PostgresBackend(use_rum=False if name == "postgres-gin" else None)
    app.extensions["search"] = fresh
    yield
    for backend in {app.extensions["search"], fresh}:
        if isinstance(backend, WhooshBackend):
            backend.close()
    app.extensions["search"] = original
