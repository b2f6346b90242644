"""`flask worker`: delivers the outbox, keeps the search index in step, queues digests.

Runs until stopped (SIGINT or SIGTERM end it after the work in hand). On SQLite only one
worker runs at a time (a lock file in the instance folder); on PostgreSQL any number
can, since each claims different rows.
"""

import fcntl
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from forum.extensions import db
from forum.mail import delivery, digests, mail_context
from forum.search import services as search
from forum.search.whoosh_backend import IndexBusy

DIGEST_CHECK_SECONDS = 60


@dataclass
class Worker:
    app: Flask
    idle_seconds: float
    stopping: bool = False
    next_digest_check: float = 0.0
    totals: dict[str, int] = field(default_factory=lambda: {"sent": 0, "indexed": 0})

    def stop(self, *_args: object) -> None:
        self.stopping = True

    def step(self) -> int:
        """One round of every kind of work; returns how much was done."""
        with mail_context(self.app):
            done = self._digests() + self._deliver() + self._index()
            db.session.remove()
        return done

    def _deliver(self) -> int:
        report = delivery.deliver_due()
        self.totals["sent"] += report.sent
        if report.retried or report.failed:
            click.echo(
                f"mail: {report.sent} sent, {report.retried} to retry, {report.failed} failed",
                err=True,
            )
        return report.handled

    def _index(self) -> int:
        try:
            indexed = search.drain()
        except IndexBusy:
            db.session.rollback()
            return 0
        self.totals["indexed"] += indexed
        return indexed

    def _digests(self) -> int:
        if time.monotonic() < self.next_digest_check:
            return 0
        self.next_digest_check = time.monotonic() + DIGEST_CHECK_SECONDS
        queued = 0
        for period in digests.PERIODS:
            run = digests.queue_due(period)
            if run.queued:
                click.echo(f"digests: {run.queued} {period} digests queued", err=True)
            queued += run.queued
        return queued

    def run(self, *, once: bool = False) -> None:
        while not self.stopping:
            done = self.step()
            if once and not done:
                return
            if not done:
                time.sleep(self.idle_seconds)


@contextmanager
def single_worker_on_sqlite(app: Flask) -> Iterator[None]:
    """SQLite has one writer at a time: a second worker waits for the first to stop."""
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    if not sqlite:
        yield
        return
    path = Path(app.instance_path) / "worker.lock"
    with path.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            click.echo("Another worker is running on this SQLite database; waiting.", err=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@click.command("worker")
@click.option("--once", is_flag=True, help="Do what is due, then stop.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Deliver mail, index posts and queue digests, until stopped."""
    app = current_app._get_current_object()
    worker = Worker(app, idle_seconds=app.config["WORKER_IDLE_SECONDS"])
    previous = {sig: signal.signal(sig, worker.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    where = app.config["MAIL_SERVER"] or "instance/maildir"
    try:
        with single_worker_on_sqlite(app):
            click.echo(f"Worker started: mail to {where}.", err=True)
            worker.run(once=once)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(
        f"Worker stopped: {worker.totals['sent']} sent, {worker.totals['indexed']} indexed.",
        err=True,
    )
