"""Each worker's heartbeat: when it last went round its loop, and what it did."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import utcnow
from forum.extensions import db


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeats"

    # "host:pid", unique while the process lives.
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
    # Totals since it started: {"sent": n, "indexed": n, "digests": n, "failures": n}.
    totals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<WorkerHeartbeat {self.name} {self.beat_at:%H:%M:%S}>"
