"""The worker never dies: a busy database is waited for or retried, every failure is
logged and recorded in its heartbeat, the admin area says when no worker runs, and
`flask serve` starts again a worker that exits."""

import logging
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.mail.models import MailKind, OutboxMessage, OutboxStatus
from forum.worker.models import WorkerHeartbeat
from forum.worker.runner import Worker
from forum.worker.supervisor import Child, Supervisor
from tests.helpers import text_of
from tests.live import add_people


@contextmanager
def write_lock(app: Flask) -> Iterator[None]:
    """Another connection holds what the worker needs to write, until the block ends."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    engine = create_engine(url)
    with engine.connect() as other:
        other.execute(text("LOCK TABLE outbox, search_queue, worker_heartbeats"))
        try:
            yield
        finally:
            other.rollback()
    engine.dispose()


def _queue_mail(app: Flask) -> None:
    [person] = add_people(app, 1, prefix="worker")
    with app.app_context():
        db.session.add(
            OutboxMessage(
                kind=MailKind.ACCOUNT, user_id=person, subject="Waits", payload={"text": "x"}
            )
        )
        db.session.commit()
        db.session.remove()


def _sent(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
        )
        db.session.remove()
    return count or 0


def test_the_worker_carries_on_when_the_database_stays_busy(
    make_live_app, caplog: pytest.LogCaptureFixture
):
    app = make_live_app(SQLITE_BUSY_SECONDS=0.2, lock_timeout_ms=200)
    _queue_mail(app)
    worker = Worker(app, idle_seconds=0.01)

    with caplog.at_level(logging.WARNING), write_lock(app):
        assert worker.step() == 0
    assert worker.totals["failures"] >= 1
    assert _sent(app) == 0
    failures = [r.getMessage() for r in caplog.records if "failed (1 in a row)" in r.getMessage()]
    assert any(message.startswith("worker: delivery failed") for message in failures), failures

    time.sleep(0.05)
    worker.step()

    assert _sent(app) == 1
    with app.app_context():
        [beat] = db.session.scalars(select(WorkerHeartbeat)).all()
        assert beat.totals["sent"] == 1
        assert ": OperationalError: " in beat.last_error
        db.session.remove()


def test_the_worker_writes_while_another_request_waits_its_turn(make_live_app):
    """A writer that holds the lock briefly delays the worker; it does not fail it."""
    app = make_live_app()
    _queue_mail(app)
    worker = Worker(app, idle_seconds=0.01)
    done = threading.Event()

    def hold_briefly() -> None:
        with write_lock(app):
            done.set()
            time.sleep(0.3)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    done.wait(5)
    worker.step()
    holder.join()

    assert worker.totals["failures"] == 0
    assert _sent(app) == 1


def _heartbeat(minutes_ago: float, *, stopped: bool = False) -> None:
    when = utcnow() - timedelta(minutes=minutes_ago)
    db.session.add(
        WorkerHeartbeat(
            name="host:4242",
            started_at=when - timedelta(hours=1),
            beat_at=when,
            stopped_at=when if stopped else None,
            totals={"sent": 12, "indexed": 3, "digests": 1, "failures": 2},
            last_error="delivery: OperationalError: database is locked",
            last_error_at=when,
        )
    )


def _waiting_mail(person: User, count: int, minutes_ago: float) -> None:
    due = utcnow() - timedelta(minutes=minutes_ago)
    for number in range(count):
        db.session.add(
            OutboxMessage(
                kind=MailKind.ACCOUNT,
                user_id=person.id,
                subject=f"Waiting {number}",
                payload={"text": "x"},
                next_attempt_at=due,
            )
        )
    db.session.commit()


def test_admins_are_told_when_mail_waits_and_no_worker_has_run_for_minutes(
    client, sign_in, make_user
):
    admin = make_user(admin=True)
    _heartbeat(minutes_ago=7)
    _waiting_mail(admin, 59, minutes_ago=6)
    sign_in(admin)

    page = text_of(client.get("/admin/mail"))

    assert "No worker has run for 7 minutes: 59 messages wait." in page
    assert "not responding" in page
    assert "12 messages sent, 3 posts indexed, 1 digest, 2 failures" in page
    assert "delivery: OperationalError: database is locked" in page
    assert "No worker has run for 7 minutes" in text_of(client.get("/admin/"))


def test_admins_are_told_when_no_worker_has_ever_run(client, sign_in, make_user):
    admin = make_user(admin=True)
    _waiting_mail(admin, 1, minutes_ago=5)
    sign_in(admin)

    page = text_of(client.get("/admin/mail"))

    assert "No worker has run yet: 1 message waits." in page


def test_no_warning_while_a_worker_runs_or_mail_is_fresh(client, sign_in, make_user):
    admin = make_user(admin=True)
    _waiting_mail(admin, 4, minutes_ago=1)
    sign_in(admin)
    assert "messages wait" not in text_of(client.get("/admin/mail"))

    _waiting_mail(admin, 4, minutes_ago=30)
    _heartbeat(minutes_ago=0.2)
    db.session.commit()
    page = text_of(client.get("/admin/mail"))
    assert "messages wait" not in page
    assert "running" in page


def test_a_worker_run_shows_in_the_admin_area(app, client, sign_in, make_user, outbox):
    admin = make_user(admin=True)
    _waiting_mail(admin, 2, minutes_ago=1)

    result = app.test_cli_runner().invoke(args=["worker", "--once"])

    assert result.exit_code == 0, result.output
    sign_in(admin)
    page = text_of(client.get("/admin/mail"))
    assert "stopped" in page
    assert "2 messages sent, 0 posts indexed" in page


def test_serve_starts_again_a_worker_that_exits(tmp_path: Path):
    starts = tmp_path / "starts"
    dying_worker = [sys.executable, "-c", f"open({str(starts)!r}, 'a').write('x'); exit(1)"]
    web = [
        sys.executable,
        "-c",
        "import os, sys, time\n"
        f"path = {str(starts)!r}\n"
        "deadline = time.time() + 30\n"
        "while time.time() < deadline:\n"
        "    if os.path.exists(path) and len(open(path).read()) >= 3: sys.exit(0)\n"
        "    time.sleep(0.02)\n"
        "sys.exit(9)\n",
    ]
    supervisor = Supervisor(
        [Child("worker", dying_worker, restart=True), Child("web server", web, restart=False)],
        restart_delay=0.01,
        poll_seconds=0.02,
    )

    assert supervisor.run() == 0
    assert len(starts.read_text()) >= 3
    assert supervisor.children[0].restarts >= 2


def test_no_warning_while_any_worker_runs(client, sign_in, make_user):
    admin = make_user(admin=True)
    _waiting_mail(admin, 3, minutes_ago=30)
    _heartbeat(minutes_ago=0.5)
    db.session.add(
        WorkerHeartbeat(
            name="other:77",
            started_at=utcnow() - timedelta(hours=2),
            beat_at=utcnow(),
            stopped_at=utcnow(),
            totals={},
            last_error="",
        )
    )
    db.session.commit()
    sign_in(admin)

    assert "messages wait" not in text_of(client.get("/admin/mail"))


def test_the_worker_sweeps_ended_sign_in_sessions(app, make_user):
    from forum.accounts.models import UserSession

    person = make_user()
    for days in (-1, 5):
        db.session.add(
            UserSession(
                user_id=person.id,
                token_hash=f"{days:064d}",
                expires_at=utcnow() + timedelta(days=days),
            )
        )
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["worker", "--once"])

    assert result.exit_code == 0, result.output
    left = db.session.scalars(
        select(UserSession.expires_at).where(UserSession.user_id == person.id)
    )
    assert [when > utcnow() for when in left] == [True]
