"""Workers' heartbeats, and what the admin area says when mail waits with no worker."""

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import delete, func, select

from forum.db import utcnow, writing
from forum.extensions import db
from forum.mail.models import OutboxMessage, OutboxStatus
from forum.worker.models import WorkerHeartbeat

# How long after its last beat a worker still counts as alive, and how long rows of
# stopped workers are kept.
ALIVE_SECONDS = 120
KEEP_DAYS = 7


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(
    name: str,
    *,
    started_at: datetime,
    totals: dict[str, int],
    error: str | None = None,
    stopped: bool = False,
) -> None:
    """Record that this worker went round its loop (and the error of a job, if any)."""
    now = utcnow()
    with writing():
        row = db.session.get(WorkerHeartbeat, name) or WorkerHeartbeat(
            name=name, started_at=started_at, totals={}, last_error=""
        )
        row.beat_at = now
        row.totals = dict(totals)
        row.stopped_at = now if stopped else None
        if error:
            row.last_error, row.last_error_at = error[:2000], now
        db.session.add(row)
        db.session.execute(
            delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - timedelta(days=KEEP_DAYS))
        )
        db.session.commit()


@dataclass(frozen=True)
class WorkerState:
    row: WorkerHeartbeat
    alive: bool


def workers(limit: int = 20) -> list[WorkerState]:
    """The workers seen lately, the most recent first."""
    rows = db.session.scalars(
        select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc()).limit(limit)
    )
    return [WorkerState(row, _alive(row)) for row in rows]


def _alive(row: WorkerHeartbeat) -> bool:
    recent = utcnow() - row.beat_at < timedelta(seconds=ALIVE_SECONDS)
    return row.stopped_at is None and recent


def stall_warning() -> str | None:
    """A plain sentence when mail has waited for minutes and no worker is alive."""
    states = workers()
    if any(state.alive for state in states):
        return None
    now = utcnow()
    due = (OutboxMessage.status == OutboxStatus.QUEUED) & (OutboxMessage.next_attempt_at <= now)
    waiting, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(due)
    ).one()
    stall = timedelta(seconds=current_app.config["WORKER_STALL_SECONDS"])
    if not waiting or oldest > now - stall:
        return None
    if not states:
        return ngettext(
            "No worker has run yet: %(num)d message waits. Start one with “flask worker”.",
            "No worker has run yet: %(num)d messages wait. Start one with “flask worker”.",
            waiting,
        )
    minutes = max(1, int((now - states[0].row.beat_at).total_seconds() // 60))
    return ngettext(
        "No worker has run for %(minutes)d minutes: %(num)d message waits.",
        "No worker has run for %(minutes)d minutes: %(num)d messages wait.",
        waiting,
        minutes=minutes,
    )
