"""Declarative base, time helpers and SQLite connection settings."""

import enum
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, Executable, MetaData, Result, Select, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def str_enum(cls: type[enum.StrEnum]) -> Enum:
    """Store a StrEnum as its values in a plain string column (no native enum type)."""
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; SQLite gives naive values back, PostgreSQL aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL and foreign keys; let SQLAlchemy, not pysqlite, begin transactions so that
    SAVEPOINTs behave. (How long a writer waits for the lock is pysqlite's `timeout`,
    set from SQLITE_BUSY_SECONDS.)"""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Mark the work inside as meant to write: on SQLite its transactions take the write
    lock when they begin, so that two writers queue instead of one failing half-way."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def mark_writing() -> Token[bool]:
    """As `writing`, until `unmark_writing` (for the span of a request that changes things)."""
    return _write_intent.set(True)


def unmark_writing(token: Token[bool]) -> None:
    _write_intent.reset(token)


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection: Any) -> None:
    """SQLite: BEGIN IMMEDIATE for writers (see `writing`), a plain BEGIN for readers. In WAL
    mode a reader never waits; a deferred transaction that later writes could fail with
    "database is locked" if another writer got there first."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def at_once(*queries: Select[Any]) -> Select[Any]:
    """One statement selecting the one value each of these queries selects (None where it
    finds no row): a page's small questions asked in one round trip."""
    return select(*(query.scalar_subquery() for query in queries))


def values_at_once(*queries: Select[Any]) -> tuple[Any, ...]:
    return tuple(core_execute(at_once(*queries)).one())


def core_execute(statement: Executable, params: dict[str, Any] | None = None) -> Result[Any]:
    """Run a statement that loads rows, not objects, on the session's connection (in its
    transaction): the ORM's way costs about twice as much for nothing it would add.

    Pages read most build their statements once, with bound parameters (SQLAlchemy takes
    longer to build a statement than to run it), and run them here."""
    from forum.extensions import db

    return db.session.connection().execute(statement, params)
