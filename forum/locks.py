"""Jobs that one worker at a time does, across machines: a PostgreSQL advisory lock.

The lock is held on a connection of its own for the length of the job, so it ends with
the job, or with the process if that dies (PostgreSQL drops a dead client's locks), and
never waits: a worker that finds the job taken skips it this round. On SQLite one worker
runs at a time anyway (see forum.worker.runner), so the job is always free.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from forum.extensions import db


def lock_key(name: str) -> int:
    """A stable 64-bit advisory lock number for a job's name."""
    return int.from_bytes(hashlib.sha256(f"forum:{name}".encode()).digest()[:8], signed=True)


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Whether this process has the job `name` to itself for the block."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    with db.engine.connect() as connection:
        got = connection.scalar(select(func.pg_try_advisory_lock(key)))
        connection.commit()
        try:
            yield bool(got)
        finally:
            # A connection that died took the lock with it.
            with suppress(DBAPIError):
                if got:
                    connection.scalar(select(func.pg_advisory_unlock(key)))
                    connection.commit()
