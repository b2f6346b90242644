"""Replies in `make bench`: CPU per reply through the form (in-process), replies/s from 8
people writing at once through gunicorn, and afterwards whether every counter still
equals the rows it counts; on SQLite and on PostgreSQL, each time on a fresh copy of the
data set (a copied file; a database made from a template database).

PostgreSQL: BENCH_POSTGRES_URL (default .../bench_write) holds the data set, loaded once;
the copy is that name with `_scratch`. Skipped, and said so, when no server answers."""

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, select, text

from tests.bench import cpu, people, writers
from tests.bench.common import BIN, ROOT, _env, _schema

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_write"
)
WRITERS = 8
SECONDS = float(os.environ.get("BENCH_WRITE_SECONDS", "15"))
SERVERS = [  # label, workers, threads a worker
    ("sync_workers", 2, 1),
    ("workers_with_4_threads", 2, 4),
    ("4_sync_workers", 4, 1),
]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def environment(env: dict[str, str]):
    """The FORUM_* settings of `env` for the apps made in this process meanwhile."""
    saved = {key: value for key, value in os.environ.items() if key.startswith("FORUM_")}
    for key in saved:
        del os.environ[key]
    os.environ.update({key: value for key, value in env.items() if key.startswith("FORUM_")})
    try:
        yield
    finally:
        for key in [key for key in os.environ if key.startswith("FORUM_")]:
            del os.environ[key]
        os.environ.update(saved)


def _threads(app, board_code: str, count: int = 50) -> list[int]:
    from forum.boards.models import Board
    from forum.extensions import db
    from forum.posts.models import Thread

    with app.app_context():
        ids = list(
            db.session.scalars(
                select(Thread.id)
                .join(Thread.board)
                .where(Board.code == board_code)
                .order_by(Thread.id)
                .limit(count)
            )
        )
        db.session.remove()
    return ids


def _counters_hold(app) -> bool:
    """Whether every thread's, board's and person's counters equal their rows."""
    from forum.extensions import db
    from forum.posts import counters

    with app.app_context():
        wrong = counters.recount_everything()
        db.session.rollback()
        db.session.remove()
    return not any(wrong.values())


def _measure_copy(env: dict[str, str], board_code: str, engine: str) -> dict:
    from tests.bench.web import gunicorn

    with environment(env):
        app = cpu.make_app()
        addresses = people.ensure_people(app, board_code, writers=WRITERS)
        threads = _threads(app, board_code)
        _log(f"replies on {engine}: CPU per reply in-process, {cpu.REPLIES} replies")
        one_by_one = cpu.replies(app, addresses["member"], threads)
        with app.app_context():
            from forum.extensions import db

            db.engine.dispose()
    report = {"reply_through_the_form": one_by_one}
    names = [addresses[f"writer{n}"] for n in range(1, WRITERS + 1)]
    # As the pages are served (2 sync workers); with 4 threads a worker, as
    # deploy/gunicorn.conf.py serves (so that one waiting on the database's commit does not
    # idle its process); and with 4 sync workers, two a core, for the same reason.
    for label, workers, server_threads in SERVERS:
        _log(f"replies on {engine}: {WRITERS} people at once for {SECONDS:.0f} s, {label}")
        with gunicorn(env, threads=server_threads, workers=workers) as port:
            at_once = writers.replies_per_second(port, names, threads, SECONDS)
        report[f"people_replying_at_once_{label}"] = at_once
    with environment(env):
        app = cpu.make_app()
        report["counters_equal_their_rows"] = _counters_hold(app)
        with app.app_context():
            from forum.extensions import db

            db.engine.dispose()
    return report


def on_sqlite(data: Path, board_code: str, settings: dict[str, str]) -> dict:
    copy = data.parent / f"{data.name}-write"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    for name in ("forum.sqlite3", "secret_key"):
        if (data / name).exists():
            shutil.copy2(data / name, copy / name)
    try:
        return _measure_copy(_env(copy, **settings), board_code, "SQLite")
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _plain(url: str, database: str | None = None) -> str:
    base, _, name = url.replace("postgresql+psycopg://", "postgresql://", 1).rpartition("/")
    return f"{base}/{database or name}"


def _answers(url: str) -> bool:
    """Whether the server answers; the benchmark's database is made there if missing."""
    name = url.rpartition("/")[2]
    try:
        with psycopg.connect(_plain(url, "postgres"), autocommit=True, connect_timeout=3) as c:
            if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                c.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return False
    return True


def _load_postgres(built: dict, shape: dict, board_code: str, settings: dict) -> None:
    """The data set in PostgreSQL, with the benchmark's people, once per data set."""
    record = ROOT / "instance" / f"bench-web-{POSTGRES_URL.rpartition('/')[2]}.json"
    wanted = {"data_set": built["size"], "schema": _schema(), "url": POSTGRES_URL}
    if record.exists() and json.loads(record.read_text()) == wanted:
        return
    _log("loading the data set into PostgreSQL (once)")
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    env = {**os.environ, "FORUM_DATABASE_URL": POSTGRES_URL}
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True}
    options = [f"--{name.replace('_', '-')}={value}" for name, value in shape.items()]
    for command in (["db", "upgrade"], ["forum", "load-boards"], ["forum", "demo", *options]):
        subprocess.run([*flask, *command], **run)
    with environment({**env, **{f"FORUM_{k}": v for k, v in settings.items()}}):
        app = cpu.make_app()
        people.ensure_people(app, board_code, writers=WRITERS)
        with app.app_context():
            from forum.extensions import db

            db.engine.dispose()
    record.write_text(json.dumps(wanted))


def on_postgres(data: Path, built: dict, shape: dict, settings: dict[str, str]) -> dict:
    if not _answers(POSTGRES_URL):
        return {"skipped": f"PostgreSQL at {POSTGRES_URL} does not answer"}
    board_code = shape["board"]
    _load_postgres(built, shape, board_code, settings)
    source = POSTGRES_URL.rpartition("/")[2]
    scratch = f"{source}_scratch"
    with psycopg.connect(_plain(POSTGRES_URL, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.execute(f'CREATE DATABASE "{scratch}" TEMPLATE "{source}"')
    url = f"{POSTGRES_URL.rpartition('/')[0]}/{scratch}"
    try:
        env = _env(data, DATABASE_URL=url, **settings)
        return _measure_copy(env, board_code, "PostgreSQL")
    finally:
        with psycopg.connect(_plain(POSTGRES_URL, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')


def measure(data: Path, built: dict, shape: dict, settings: dict[str, str]) -> dict:
    started = time.monotonic()
    report = {
        "sqlite": on_sqlite(data, shape["board"], settings),
        "postgresql": on_postgres(data, built, shape, settings),
    }
    report["seconds"] = round(time.monotonic() - started)
    return report
