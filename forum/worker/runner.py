"""`flask worker`: delivers the outbox, keeps the search index in step, queues digests,
closes consultations on their date.

Runs until stopped (SIGINT or SIGTERM end it after the work in hand). Each job catches
its own failures (a locked database, a server that went away, a bug), logs them, waits a
little longer each time it fails and goes on; the others keep running meanwhile. Every
round is recorded as a heartbeat that the admin area shows.

On SQLite only one worker runs at a time (a lock file in the instance folder). On
PostgreSQL any number can, on any number of machines: delivery claims rows with
`FOR UPDATE SKIP LOCKED`, so workers share the outbox; a digest run, the search index
and housekeeping are done by one worker at a time (an advisory lock, see forum.locks),
the others skipping them that round; and the digest run itself takes each person's
settings row with `SKIP LOCKED`, so even two runs at once queue no digest twice.
"""

import fcntl
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from forum.accounts import sessions
from forum.consultations import services as consultations
from forum.db import utcnow, writing
from forum.extensions import db
from forum.locks import exclusive
from forum.mail import delivery, digests, mail_context
from forum.meetings import services as meetings
from forum.search import services as search
from forum.search.whoosh_backend import IndexBusy
from forum.stocktaking import services as stocktaking
from forum.worker import heartbeat

DIGEST_CHECK_SECONDS = 60
HOUSEKEEPING_SECONDS = 3600
CONSULTATION_CHECK_SECONDS = 60
BEAT_SECONDS = 10
BACKOFF_MAX_SECONDS = 300


@dataclass
class Job:
    """One kind of work: how often it runs (every round, or every so many seconds), and
    how its recent failures delay it."""

    name: str
    run: Callable[[], int]
    every: float = 0.0
    failures: int = 0
    next_try: float = 0.0

    def backoff(self, idle_seconds: float) -> float:
        return min(idle_seconds * 2**self.failures, BACKOFF_MAX_SECONDS)


@dataclass
class Worker:
    app: Flask
    idle_seconds: float
    name: str = field(default_factory=heartbeat.worker_name)
    started_at: datetime = field(default_factory=utcnow)
    stopping: bool = False
    next_beat: float = 0.0
    last_error: str | None = None
    totals: dict[str, int] = field(
        default_factory=lambda: {"sent": 0, "indexed": 0, "digests": 0, "failures": 0}
    )
    jobs: list[Job] = field(init=False)

    def __post_init__(self) -> None:
        self.jobs = [
            Job("digests", self._digests, every=DIGEST_CHECK_SECONDS),
            Job("meeting reminders", self._reminders, every=DIGEST_CHECK_SECONDS),
            Job("delivery", self._deliver),
            Job("search index", self._index),
            Job("housekeeping", self._housekeeping, every=HOUSEKEEPING_SECONDS),
            Job("stocktaking reminders", self._stocktaking_reminders, every=HOUSEKEEPING_SECONDS),
            Job("consultations", self._close_consultations, every=CONSULTATION_CHECK_SECONDS),
        ]

    def stop(self, *_args: object) -> None:
        self.stopping = True

    def step(self) -> int:
        """One round of every job that is due; returns how much was done."""
        done = 0
        with mail_context(self.app):
            for job in self.jobs:
                done += self._attempt(job)
            self._beat()
            db.session.remove()
        return done

    def _attempt(self, job: Job) -> int:
        now = time.monotonic()
        if now < job.next_try:
            return 0
        try:
            done = job.run()
        except Exception as error:
            db.session.rollback()
            job.failures += 1
            delay = job.backoff(self.idle_seconds)
            job.next_try = now + delay
            self.totals["failures"] += 1
            self.last_error = f"{job.name}: {type(error).__name__}: {error}"
            current_app.logger.warning(
                "worker: %s failed (%d in a row), trying again in %.0f s: %s",
                job.name, job.failures, delay, error, exc_info=job.failures == 1,
            )  # fmt: skip
            return 0
        job.failures = 0
        job.next_try = now + job.every
        return done

    def _beat(self, *, stopped: bool = False) -> None:
        if not stopped and time.monotonic() < self.next_beat and self.last_error is None:
            return
        try:
            heartbeat.beat(
                self.name,
                started_at=self.started_at,
                totals=self.totals,
                error=self.last_error,
                stopped=stopped,
            )
        except Exception as error:
            db.session.rollback()
            current_app.logger.warning("worker: could not record its heartbeat: %s", error)
            return
        self.last_error = None
        self.next_beat = time.monotonic() + BEAT_SECONDS

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
        queued = 0
        for period in digests.PERIODS:
            with exclusive(f"digests:{period}") as ours:
                if not ours:
                    continue
                run = digests.queue_due(period)
                if run.queued:
                    click.echo(f"digests: {run.queued} {period} digests queued", err=True)
                queued += run.queued
        self.totals["digests"] += queued
        return queued

    def _reminders(self) -> int:
        """Reminders of tomorrow's meetings, to those who said they attend."""
        return _alone(
            "meeting reminders", meetings.queue_reminders, "meetings: {} reminders queued"
        )

    def _housekeeping(self) -> int:
        """Rows that outlived their use: ended sign-in sessions."""
        return _alone("housekeeping", sessions.sweep_expired)

    def _stocktaking_reminders(self) -> int:
        """Ask the submitters of entries not updated for a year to confirm or update them."""
        return _alone("stocktaking reminders", stocktaking.remind_stale)

    def _close_consultations(self) -> int:
        """Consultations whose closing date has come: locked, and the logs say so."""
        return _alone("consultations", consultations.close_due, "consultations: {} closed")

    def run(self, *, once: bool = False) -> None:
        while not self.stopping:
            try:
                done = self.step()
            except Exception:
                current_app.logger.exception("worker: a round failed; going on")
                done = 0
            if once and not done:
                break
            if not done:
                time.sleep(self.idle_seconds)
        with mail_context(self.app):
            self._beat(stopped=True)
            db.session.remove()


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


def _alone(name: str, work: Callable[[], int], said: str = "") -> int:
    """`work` and its commit, by one worker at a time (the others skip it this round);
    `said`, with how much was done, on standard error when something was."""
    with exclusive(name) as ours, writing():
        if not ours:
            return 0
        done = work()
        db.session.commit()
    if done and said:
        click.echo(said.format(done), err=True)
    return done
