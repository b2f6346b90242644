"""Several `flask worker` processes on one PostgreSQL database: they share the outbox and
deliver each message once; one killed (SIGKILL) in the middle of a delivery batch or of
a digest run leaves nothing lost and nothing doubled once another takes over."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from forum.accounts.models import User
from forum.extensions import db
from forum.mail.models import MailKind, MailMode, OutboxMessage, OutboxStatus, Subscription
from forum.posts import services as posting
from forum.worker.models import WorkerHeartbeat
from tests.conftest import DATABASE_URL, SmtpServer
from tests.helpers import board
from tests.live import add_people

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgresql"),
    reason="several workers share one database on PostgreSQL only (SQLite runs one worker)",
)

PROJECT = Path(__file__).resolve().parent.parent


class HoldingSmtpServer(SmtpServer):
    """An SMTP sink that can keep one conversation waiting at RCPT TO for `hold_address`,
    once, until released: the moment to kill the worker that sent it."""

    def __init__(self, hold_address: str = "") -> None:
        super().__init__()
        self.hold_address = hold_address
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address == self.hold_address and not self.holding.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 try again later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    def subjects(self) -> Counter[str]:
        return Counter(str(message["Subject"]) for message in self.received)


@pytest.fixture
def sink() -> Iterator[HoldingSmtpServer]:
    server = HoldingSmtpServer(hold_address="hold@example.org")
    server.start()
    try:
        yield server
    finally:
        server.release.set()
        server.stop()


@pytest.fixture
def start_worker(
    tmp_path: Path, sink: HoldingSmtpServer
) -> Iterator[Callable[..., subprocess.Popen]]:
    """Starts `flask worker` as a process of its own on the live forum's database."""
    started: list[subprocess.Popen] = []

    def start(app: Flask, **settings: object) -> subprocess.Popen:
        environment = {
            **os.environ,
            "FORUM_DATABASE_URL": app.config["DATABASE_URL"],
            "FORUM_INSTANCE_PATH": str(tmp_path / f"worker{len(started)}"),
            "FORUM_SECRET_KEY": app.config["SECRET_KEY"],
            "FORUM_MAIL_SERVER": "127.0.0.1",
            "FORUM_MAIL_PORT": str(sink.port),
            "FORUM_WORKER_IDLE_SECONDS": "0.2",
            **{f"FORUM_{name}": str(value) for name, value in settings.items()},
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            cwd=PROJECT, env=environment,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def _queue_mail(app: Flask, count: int, *, hold_at: int | None = None) -> None:
    """`count` account messages, "Message 0" to "Message <count-1>", to live people."""
    people = add_people(app, 20, prefix="reader")
    with app.app_context():
        rows = [
            {
                "kind": MailKind.ACCOUNT,
                "user_id": people[number % len(people)],
                "to_address": "hold@example.org" if number == hold_at else None,
                "subject": f"Message {number}",
                "payload": {"text": f"Body of message {number}"},
                "reason": "",
                "last_error": "",
            }
            for number in range(count)
        ]
        db.session.execute(insert(OutboxMessage), rows)
        db.session.commit()
        db.session.remove()


def _wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def _outbox_done(app: Flask) -> Callable[[], bool]:
    def done() -> bool:
        with app.app_context():
            waiting = db.session.scalar(
                select(func.count()).where(OutboxMessage.status != OutboxStatus.SENT)
            )
            db.session.remove()
        return waiting == 0

    return done


def _workers_running(app: Flask, count: int) -> Callable[[], bool]:
    def running() -> bool:
        with app.app_context():
            beating = db.session.scalar(select(func.count()).select_from(WorkerHeartbeat))
            db.session.remove()
        return beating >= count

    return running


def _stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        assert process.wait(timeout=60) == 0


def test_two_workers_share_the_outbox_and_deliver_each_message_once(
    make_live_app, start_worker, sink
):
    app = make_live_app()
    workers = [start_worker(app, MAIL_BATCH_SIZE=50) for _ in range(2)]
    # Both running before the mail is queued: on a loaded machine one process can take
    # seconds longer to start, and the other would have sent everything by then.
    _wait_until(_workers_running(app, 2), 120, "both workers were running")
    _queue_mail(app, 2000)
    _wait_until(_outbox_done(app), 240, "every message was sent")
    _stop(*workers)

    subjects = sink.subjects()
    assert len(subjects) == 2000
    assert set(subjects.values()) == {1}
    with app.app_context():
        sent_by = {
            row.name: row.totals["sent"] for row in db.session.scalars(select(WorkerHeartbeat))
        }
        db.session.remove()
    assert len(sent_by) == 2
    assert sum(sent_by.values()) == 2000
    assert all(sent > 0 for sent in sent_by.values()), sent_by


def test_a_worker_killed_mid_batch_leaves_nothing_lost_or_doubled(
    make_live_app, start_worker, sink
):
    app = make_live_app()
    _queue_mail(app, 300, hold_at=60)
    settings = {"MAIL_BATCH_SIZE": 100, "MAIL_CLAIM_SECONDS": 2}
    first = start_worker(app, **settings)
    assert sink.holding.wait(timeout=60), "the worker never reached the held message"
    first.send_signal(signal.SIGKILL)
    first.wait()
    sink.release.set()

    second = start_worker(app, **settings)
    _wait_until(_outbox_done(app), 120, "every message was sent")
    _stop(second)
    subjects = sink.subjects()
    assert len(subjects) == 300
    assert set(subjects.values()) == {1}, [s for s, n in subjects.items() if n > 1][:5]


def _digest_subscribers(app: Flask, count: int) -> list[int]:
    people = add_people(app, count, prefix="digest")
    with app.test_request_context():
        c5 = board("C5")
        db.session.execute(
            insert(Subscription),
            [{"user_id": person, "board_id": c5.id, "mode": MailMode.DAILY} for person in people],
        )
        author = add_people(app, 1, prefix="author")[0]
        writer = db.session.get(User, author)
        for number in range(3):
            posting.create_thread(c5, writer, title=f"Digest topic {number}", body="Text")
        db.session.commit()
        db.session.remove()
    return people


def _digests_queued(app: Flask) -> Counter[int]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage.user_id).where(OutboxMessage.kind == MailKind.DIGEST)
        ).all()
        db.session.remove()
    return Counter(rows)


def test_a_worker_killed_mid_digest_run_leaves_nothing_lost_or_doubled(make_live_app, start_worker):
    app = make_live_app()
    people = _digest_subscribers(app, 1600)
    # Mail waits (no attempt is due for an hour) so that only the digest run is at work.
    first = start_worker(app, MAIL_RETRY_SECONDS=3600)
    _wait_until(lambda: len(_digests_queued(app)) > 0, 120, "the first batch was queued")
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = len(_digests_queued(app))
    assert 0 < killed_at < len(people), "the run was not caught in the middle"

    second = start_worker(app)
    _wait_until(lambda: len(_digests_queued(app)) == len(people), 120, "every digest was queued")
    _stop(second)
    queued = _digests_queued(app)
    assert set(queued) == set(people)
    assert set(queued.values()) == {1}
