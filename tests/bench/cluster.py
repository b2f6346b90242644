"""`make bench-cluster`: two web servers, two workers, one PostgreSQL and one Redis, under
a realistic mix of readers, searchers, writers and people changing subscriptions.

From a fresh state each time: empties the PostgreSQL database at BENCH_DATABASE_URL (its
`public` schema is dropped) and the Redis database at BENCH_REDIS_URL, builds a data set
in it with the bulk generator (BENCH_POSTS posts; the search index rebuilt from it), then
starts an SMTP sink on loopback that records every message, two gunicorn instances on
two free loopback ports and two `flask worker` processes, all with the same settings.
For BENCH_SECONDS (60) the load generator sends its mix to both servers at random; then
it waits (bounded) for the outbox to drain and the search index to catch up, and checks:
every acknowledged post is in the database exactly once, readable and searchable on both
servers; every copy of a post was received once by its recipient, and every steady
subscriber got each new post; a person limited on one server is limited on the other.
Prints JSON and exits 1 when a request failed or a check did not hold.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import redis
from sqlalchemy import create_engine, func, select, text

from tests.bench import cluster_checks, cluster_load
from tests.bench.common import BIN, ROOT, _free_port, _wait_until_up, no_control_socket

DATA = ROOT / "instance" / "bench-cluster"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_cluster"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
SIZE = {
    "users": int(os.environ.get("BENCH_USERS", "2000")),
    "threads": int(os.environ.get("BENCH_THREADS", "5000")),
    "posts": int(os.environ.get("BENCH_POSTS", "50000")),
}
PEOPLE = {
    "writers": 50,
    "anonymous_readers": 8,
    "signed_in_readers": 4,
    "searchers": 2,
    "subscription_changers": 4,
    "steady_subscribers": 10,
}
TARGET_BOARDS = 3
THREADS_PER_BOARD = 10
# Every client is 127.0.0.1, and 50 writers post at a pace no one person keeps up: the
# limits per address and per established account are lifted. The limit of new accounts
# stays as shipped; the rate-limit check drives a new account past it.
SETTINGS = {
    "REPLY_LIMIT": "100000 per hour",
    "POST_LIMIT_PER_ADDRESS": "100000 per hour",
}


def _env(smtp_port: int) -> dict[str, str]:
    settings = {
        "INSTANCE_PATH": str(DATA),
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "bench-cluster-" + "k" * 40,
        "SEARCH_INDEX_PATH": str(DATA / "search-index"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_DOMAIN": "forum.example.org",
        "BASE_URL": "http://127.0.0.1",
        **SETTINGS,
    }
    return {**os.environ, **{f"FORUM_{name}": value for name, value in settings.items()}}


def _flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout


def fresh_state(env: dict[str, str]) -> dict:
    """An empty database, Redis database and instance folder, then the data set."""
    engine = create_engine(DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    redis.Redis.from_url(REDIS_URL).flushdb()
    shutil.rmtree(DATA, ignore_errors=True)
    (DATA / "logs").mkdir(parents=True)
    started = time.perf_counter()
    _flask(env, "db", "upgrade")
    _flask(env, "forum", "load-boards")
    figures = json.loads(
        _flask(env, "forum", "demo", *[f"--{k}={v}" for k, v in SIZE.items()]).splitlines()[-1]
    )
    built = time.perf_counter()
    _flask(env, "search", "reindex")
    return {
        **{key: figures[key] for key in SIZE},
        "build_seconds": round(built - started, 1),
        "search_rebuild_seconds": round(time.perf_counter() - built, 1),
    }


def prepare_people(app, password: str) -> tuple[cluster_load.Site, dict]:
    """Boards and threads to write in, and the people of the benchmark: bulk accounts given
    a password, steady subscribers following the target boards post by post, and one new
    account (for the rate-limit check)."""
    from werkzeug.security import generate_password_hash

    from forum.accounts import services as accounts
    from forum.accounts.models import StakeholderGroup, User
    from forum.accounts.services import PASSWORD_METHOD
    from forum.boards.models import Board, PostPolicy, ReadPolicy
    from forum.db import utcnow
    from forum.extensions import db
    from forum.mail import subscriptions
    from forum.mail.models import MailMode
    from forum.posts.models import Post, Thread
    from forum.search import services as search

    rng = random.Random(1405)
    boards = list(db.session.scalars(
        select(Board).where(Board.read_policy == ReadPolicy.PUBLIC,
                            Board.post_policy == PostPolicy.VERIFIED)
        .order_by(Board.thread_count.desc(), Board.id)
    ))  # fmt: skip
    targets, elsewhere = boards[:TARGET_BOARDS], boards[TARGET_BOARDS]
    threads = [
        thread_id
        for board in targets
        for thread_id in db.session.scalars(
            select(Thread.id).where(Thread.board_id == board.id)
            .order_by(Thread.last_activity_at.desc()).limit(THREADS_PER_BOARD)
        )
    ]  # fmt: skip
    all_threads = list(db.session.scalars(select(Thread.id)))
    users = list(db.session.scalars(select(User).order_by(User.id).limit(sum(PEOPLE.values()))))
    password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    for user in users:
        user.password_hash = password_hash
    groups, start = {}, 0
    for role, count in PEOPLE.items():
        groups[role] = [user.email for user in users[start : start + count]]
        for user in users[start : start + count] if role == "steady_subscribers" else []:
            for board in targets:
                subscriptions.set_board_mode(user, board, MailMode.EVERY_POST)
        start += count
    newcomer = accounts.register_user(
        email="newcomer@bench.example.org", password=password, display_name="New Comer",
        stakeholder_group=StakeholderGroup.CIVIL_SOCIETY, organisation="", country=None,
    )  # fmt: skip
    newcomer.email_verified_at = utcnow()
    db.session.commit()
    site = cluster_load.Site(
        ports=[],
        boards=[board.slug for board in targets],
        threads=threads,
        other_threads=rng.sample(all_threads, 200),
        password=password,
    )
    setup = {
        "people": groups,
        "newcomer": newcomer.email,
        "limit_thread": db.session.scalar(
            select(Thread.id).where(Thread.board_id == elsewhere.id).limit(1)
        ),
        "first_new_post": (db.session.scalar(select(func.max(Post.id))) or 0) + 1,
        "search_backend": type(search.backend()).__name__,
    }
    return site, setup


def warm_up(ports: list[int], site: cluster_load.Site) -> None:
    """A few requests to each server's processes first, as a server in service has had."""
    paths = ["/", f"/b/{site.boards[0]}", f"/t/{site.threads[0]}", "/search?q=data", "/sign-in"]
    browser = cluster_load.Browser(ports, cluster_load.Record(), random.Random(0))
    for port in ports:
        for _round in range(4):
            for path in paths:
                browser.send("warm-up", "GET", path, port=port, expect=None)


class Cluster:
    """The SMTP sink, two web servers and two workers, stopped together."""

    def __init__(self, env: dict[str, str], sink_port: int, mail_file: Path) -> None:
        self.env = env
        self.processes: list[subprocess.Popen] = []
        self.sink_port = sink_port
        self.mail_file = mail_file
        self.ports: list[int] = []

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (DATA / "logs" / f"{name}.log").open("w")
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self.processes.append(process)
        return process

    def start(self) -> None:
        sink = self._start("smtp-sink", [str(BIN / "python"), "-m", "tests.bench.smtp_sink",
                                         str(self.sink_port), str(self.mail_file)])  # fmt: skip
        _wait_until_up(self.sink_port, sink)
        for number in (1, 2):
            port = _free_port()
            server = self._start(f"web{number}", [
                str(BIN / "gunicorn"), "--workers", "2", "--threads", "4",
                "--bind", f"127.0.0.1:{port}", *no_control_socket(), "wsgi:app",
            ])  # fmt: skip
            _wait_until_up(port, server)
            self.ports.append(port)
        for number in (1, 2):
            self._start(f"worker{number}", [str(BIN / "flask"), "--app", "wsgi", "worker"])

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> int:
    sink_port = _free_port()
    env = _env(sink_port)
    data_set = fresh_state(env)
    os.environ.update({k: v for k, v in env.items() if k.startswith("FORUM_")})
    from forum import create_app

    app = create_app()
    password = cluster_load.random_password(random.Random(2005))
    with app.test_request_context():
        site, setup = prepare_people(app, password)
    cluster = Cluster(env, sink_port, DATA / "mail-received.tsv")
    record = cluster_load.Record()
    try:
        cluster.start()
        site.ports = cluster.ports
        warm_up(cluster.ports, site)
        people = setup["people"]
        roles = (
            [(cluster_load.writer, n, email) for n, email in enumerate(people["writers"])]
            + [(cluster_load.reader, 100 + n, None) for n in range(PEOPLE["anonymous_readers"])]
            + [(cluster_load.reader, 200 + n, e) for n, e in enumerate(people["signed_in_readers"])]
            + [(cluster_load.searcher, 300 + n) for n in range(PEOPLE["searchers"])]
            + [(cluster_load.subscriber, 400 + n, email)
               for n, email in enumerate(people["subscription_changers"])]
        )  # fmt: skip
        site.stop_at = time.monotonic() + SECONDS
        cluster_load.run(site, record, roles)
        load = record.summary(SECONDS)
        with app.app_context():
            checks = cluster_checks.run_all(app, site, record, setup, cluster.mail_file)
    finally:
        cluster.stop()
    report = {
        "data_set": data_set,
        "servers": "two gunicorn (2 workers, 4 threads each), two flask worker, PostgreSQL, Redis",
        "search_backend": setup["search_backend"],
        "seconds": SECONDS,
        "people": PEOPLE,
        "settings_changed": SETTINGS,
        "load": load,
        "errors": {"count": len(record.errors), "list": record.errors[:50]},
        "checks": checks,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    failed = record.errors or not all(check["ok"] for check in checks.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
