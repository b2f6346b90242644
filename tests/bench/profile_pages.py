"""CPU time of the pages read most, in-process: what one request costs the server.

    python -m tests.bench.profile_pages [--threads 200] [--profile] [--profile-page NAME]
    python -m tests.bench.profile_pages --compare 200,2000

Builds (once, kept in instance/profile-<threads>/) one board of `--threads` threads of
101 posts each, the issue's data shape, and prints JSON: for a signed-in member, the
board's coordinator and an anonymous reader with the page cache off, the median CPU
time (`time.process_time`) of 200 requests to the first and a middle page of a thread,
the board's first and last page, and home, in milliseconds. With `--profile`, the
twenty costliest functions of one page (the member's thread page unless
`--profile-page` names another, as `coordinator:board`) go to standard error. With
`--compare`, each size in turn and how much each page's cost grew with the data (a
page's cost should not: issue 16 allows 10% from 20,000 to 200,000 posts).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[2]
POSTS_PER_THREAD = 101
AUTHORS = 60
REQUESTS = 200
WARM_UP = 20
PASSWORD = "a long enough passphrase"
READERS = {
    "member": "person0@example.org",
    "coordinator": "person1@example.org",
    "anonymous_uncached": None,
}
# Changes when the data below changes, so that a kept data set is built again.
GENERATOR = 1


def _build(app: Flask, threads: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import insert, select, text, update
    from werkzeug.security import generate_password_hash

    from forum.accounts.models import StakeholderGroup, User
    from forum.accounts.services import PASSWORD_METHOD
    from forum.boards.models import Board, BoardRole, Role
    from forum.boards.services import load_boards
    from forum.db import utcnow
    from forum.demo.bulk import COUNTRIES, FIRST_NAMES, LAST_NAMES, words_of
    from forum.extensions import db
    from forum.posts.models import Post, PostStatus, Thread
    from forum.settings import CONFIG_DIR

    rng = random.Random(16)
    with app.app_context():
        upgrade()
        load_boards(CONFIG_DIR / app.config["BOARDS_FILE"])
        now = utcnow()
        hashed = generate_password_hash(PASSWORD, method=PASSWORD_METHOD)
        groups = list(StakeholderGroup)
        people = [
            {
                "email": f"person{number}@example.org",
                "stored_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "password_hash": hashed,
                "stakeholder_group": groups[number % len(groups)],
                "organisation": f"Organisation {rng.randint(1, 500)}",
                "country": rng.choice(COUNTRIES),
                "email_verified_at": now,
                "created_at": now - timedelta(days=800),
                "locale": "en",
                "timezone": "UTC",
            }
            for number in range(AUTHORS)
        ]
        db.session.execute(insert(User), people)
        ids = list(db.session.scalars(select(User.id).order_by(User.id)))
        board = db.session.scalars(select(Board).where(Board.code == "C5")).one()
        db.session.add(BoardRole(board_id=board.id, user_id=ids[1], role=Role.COORDINATOR))
        thread_id = post_id = 1
        thread_rows, post_rows, ends = [], [], []
        for _ in range(threads):
            start = now - timedelta(days=700) + timedelta(minutes=rng.randrange(900_000))
            first = post_id
            for number in range(POSTS_PER_THREAD):
                paragraphs = [
                    words_of("en", rng, rng.randint(20, 50)).capitalize() + "."
                    for _ in range(rng.randint(1, 3))
                ]
                post_rows.append(
                    {
                        "id": post_id,
                        "thread_id": thread_id,
                        "author_id": rng.choice(ids[2:]),
                        "body_source": "\n\n".join(paragraphs),
                        "body_html": "".join(f"<p>{text}</p>\n" for text in paragraphs),
                        "created_at": start + timedelta(minutes=7 * number),
                        "status": PostStatus.PUBLISHED,
                        "language": "en",
                        "reply_to_id": first if number else None,
                    }
                )
                post_id += 1
            last = start + timedelta(minutes=7 * (POSTS_PER_THREAD - 1))
            thread_rows.append(
                {
                    "id": thread_id,
                    "board_id": board.id,
                    "author_id": post_rows[first - 1]["author_id"],
                    "title": words_of("en", rng, rng.randint(3, 9)).capitalize(),
                    "created_at": start,
                    "last_activity_at": last,
                    "changed_at": last,
                    "post_count": POSTS_PER_THREAD,
                }
            )
            ends.append({"id": thread_id, "first_post_id": first, "last_post_id": post_id - 1})
            thread_id += 1
        db.session.execute(insert(Thread), thread_rows)
        for chunk in range(0, len(post_rows), 20_000):
            db.session.execute(insert(Post), post_rows[chunk : chunk + 20_000])
        db.session.execute(update(Thread), ends)
        db.session.execute(
            text(
                "UPDATE boards SET changed_at = :now, "
                "thread_count = (SELECT count(*) FROM threads t WHERE t.board_id = boards.id), "
                "post_count = (SELECT coalesce(sum(t.post_count), 0) FROM threads t "
                "WHERE t.board_id = boards.id), "
                "last_activity_at = (SELECT max(t.last_activity_at) FROM threads t "
                "WHERE t.board_id = boards.id), "
                "last_post_id = (SELECT t.last_post_id FROM threads t "
                "WHERE t.board_id = boards.id ORDER BY t.last_activity_at DESC LIMIT 1)"
            ),
            {"now": now},
        )
        db.session.commit()


def forum(threads: int) -> Flask:
    """The forum on its data set, built on the first run."""
    instance = ROOT / "instance" / f"profile-{threads}"
    instance.mkdir(parents=True, exist_ok=True)
    os.environ["FORUM_INSTANCE_PATH"] = str(instance)
    from forum import create_app

    database = instance / "forum.sqlite3"
    marker = instance / "built.json"
    schema = sorted(path.name for path in (ROOT / "migrations" / "versions").glob("*.py"))
    shape = {"threads": threads, "generator": GENERATOR, "schema": schema}
    kept = json.loads(marker.read_text()) if marker.exists() else {}
    fresh = {key: kept.get(key) for key in ("threads", "generator")} != {
        "threads": threads,
        "generator": GENERATOR,
    }
    if fresh:
        database.unlink(missing_ok=True)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "BASE_URL": "http://127.0.0.1",
            "MAIL_SERVER": "",
            "REDIS_URL": "",
        }
    )
    if fresh:
        _build(app, threads)
    elif kept != shape:
        # Only the schema moved on: migrate the kept data, as a live forum would be.
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
    marker.write_text(json.dumps(shape))
    return app


def _client(app: Flask, email: str | None) -> FlaskClient:
    from tests.helpers import post_form

    client = app.test_client()
    if email:
        response = post_form(client, "/sign-in", {"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
    return client


def pages(app: Flask, threads: int) -> dict[str, str]:
    from sqlalchemy import select

    from forum.boards.models import Board
    from forum.extensions import db

    with app.app_context():
        slug = db.session.scalar(select(Board.slug).where(Board.code == "C5"))
    per_page = app.config["THREADS_PER_PAGE"]
    thread = threads // 2 or 1
    return {
        "thread": f"/t/{thread}",
        "thread_middle": f"/t/{thread}?page=2",
        "board": f"/b/{slug}",
        "board_last": f"/b/{slug}?page={max(1, -(-threads // per_page))}",
        "home": "/",
    }


def _times(client: FlaskClient, path: str, requests: int) -> list[float]:
    """The CPU time of each of these requests to this page, in seconds."""
    times = []
    for _ in range(requests):
        started = time.process_time()
        response = client.get(path)
        response.get_data()
        times.append(time.process_time() - started)
        assert response.status_code == 200, path
    return times


def cpu_ms(client: FlaskClient, path: str, requests: int = REQUESTS) -> float:
    """The median CPU time of a request to this page, in milliseconds."""
    _times(client, path, WARM_UP)
    return round(statistics.median(_times(client, path, requests)) * 1000, 2)


def profile(client: FlaskClient, path: str, requests: int = REQUESTS) -> str:
    for _ in range(WARM_UP):
        client.get(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path).get_data()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def compare(sizes: list[int], rounds: int = 10) -> dict:
    """Each page at each size, and how much its cost grew from the first size to the
    others, in per cent. The sizes' forums run side by side in this process and take
    turns, a few requests at a time, so that a busy machine slows them alike."""
    apps = {threads: forum(threads) for threads in sizes}
    paths = {threads: pages(app, threads) for threads, app in apps.items()}
    first, *others = sizes
    report: dict = {
        "posts": {str(threads): threads * POSTS_PER_THREAD for threads in sizes},
        "cpu_ms": {},
    }
    for kind, email in READERS.items():
        print(f"Measuring {kind} ...", file=sys.stderr)
        clients = {}
        for threads, app in apps.items():
            app.config["PAGE_CACHE_SECONDS"] = 0 if email is None else 60
            clients[threads] = _client(app, email)
        costs: dict = {}
        for name in paths[first]:
            times: dict[int, list[float]] = {threads: [] for threads in sizes}
            for threads in sizes:
                _times(clients[threads], paths[threads][name], WARM_UP)
            for _ in range(rounds):
                for threads in sizes:
                    path = paths[threads][name]
                    times[threads] += _times(clients[threads], path, REQUESTS // rounds)
            median = {threads: statistics.median(times[threads]) * 1000 for threads in sizes}
            costs[name] = {str(threads): round(median[threads], 2) for threads in sizes}
            for threads in others:
                growth = 100 * (median[threads] / median[first] - 1)
                costs[name][f"growth_{first}_{threads}_percent"] = round(growth, 1)
        report["cpu_ms"][kind] = costs
    report["paths"] = paths[sizes[-1]]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-page", default="member:thread")
    parser.add_argument("--compare", help="sizes in threads, as 200,2000")
    arguments = parser.parse_args()
    if arguments.compare:
        sizes = [int(size) for size in arguments.compare.split(",")]
        print(json.dumps(compare(sizes), indent=2))
        return
    app = forum(arguments.threads)
    paths = pages(app, arguments.threads)
    if arguments.profile:
        kind, _, name = arguments.profile_page.partition(":")
        app.config["PAGE_CACHE_SECONDS"] = 0 if READERS[kind] is None else 60
        print(profile(_client(app, READERS[kind]), paths[name]), file=sys.stderr)
        return
    report: dict = {"threads": arguments.threads, "posts_per_thread": POSTS_PER_THREAD}
    for kind, email in READERS.items():
        # Anonymous readers without the page cache: every page rendered, as for the
        # signed-in (whose pages are never kept).
        app.config["PAGE_CACHE_SECONDS"] = 0 if email is None else 60
        client = _client(app, email)
        report[kind] = {name: cpu_ms(client, path) for name, path in paths.items()}
    report["paths"] = paths
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
