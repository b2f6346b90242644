"""`make bench`: the pages readers and participants load, and replies, under load.

The data set: 2,000 threads of 101 posts in one board, 5,000 people (built once, kept
in instance/bench-web/; `BENCH_SIZE=small` builds 200 threads instead, for trying
things). Served by gunicorn (2 sync workers, SQLite), each page is loaded from a second
process (see tests/bench/loadgen.py) by anonymous readers (page cache on, then off), a
signed-in member and a coordinator of the board: home, the board's first and middle
pages, the thread's first and middle pages. Then, in-process, the CPU time of each
(median of 200 requests), and replies: CPU per reply through the form (SQLite and
PostgreSQL) and replies/s from 8 people writing at once through gunicorn (SQLite and
PostgreSQL, on copies of the data set). `BENCH_PEER=flaskbb` also runs FlaskBB beside
it (tests/bench/peer.py). Prints JSON.
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from tests.bench import cpu, loadgen, people, writes
from tests.bench.common import (
    BIN,
    ROOT,
    _env,
    _free_port,
    _wait_until_up,
    build_data_set,
    no_control_socket,
)

SMALL = os.environ.get("BENCH_SIZE") == "small"
WEB_DATA = ROOT / "instance" / ("bench-web-small" if SMALL else "bench-web")
BOARD = "C5"
SHAPE = {"users": 500 if SMALL else 5000, "threads": 200 if SMALL else 2000,
         "posts_per_thread": 101, "board": BOARD}  # fmt: skip
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
# One person (or one address) replying at the pace of the benchmark is flood control's
# business, not the benchmark's: the limits are lifted, the checks still run.
SETTINGS = {"REPLY_LIMIT": "1000000 per hour", "POST_LIMIT_PER_ADDRESS": "1000000 per hour"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pages_to_load(data: Path = WEB_DATA) -> dict[str, str]:
    """Home, the board's first and middle pages, the first and middle pages of the thread
    at the top of the board."""
    with sqlite3.connect(data / "forum.sqlite3") as db:
        slug, threads = db.execute(
            "SELECT slug, thread_count FROM boards WHERE code = ?", (BOARD,)
        ).fetchone()
        thread, posts = db.execute(
            "SELECT t.id, t.post_count FROM threads t JOIN boards b ON b.id = t.board_id "
            "WHERE b.code = ? ORDER BY t.last_activity_at DESC LIMIT 1",
            (BOARD,),
        ).fetchone()
    return {
        "home": "/",
        "board": f"/b/{slug}",
        "board_middle": f"/b/{slug}?page={max(1, (threads + 29) // 30 // 2)}",
        "thread": f"/t/{thread}",
        "thread_middle": f"/t/{thread}?page={max(1, (posts + 29) // 30 // 2)}",
    }


@contextmanager
def gunicorn(env: dict[str, str], threads: int = 1, workers: int = 2):
    """This forum under gunicorn (2 workers unless told, sync or with `threads` threads
    each) with these settings; its port."""
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", *no_control_socket(), "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_until_up(port, server)
        loadgen.until_served(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


def load_pages(port: int, pages: dict[str, str], cookie: str = "") -> dict:
    """Each page in turn: a second's warm-up, then SECONDS of load."""
    results = {}
    for name, path in pages.items():
        loadgen.load(port, path, 1.0, cookie)
        results[name] = loadgen.load(port, path, SECONDS, cookie)
    return results


def session_for(port: int, who: str | None) -> str:
    """The Cookie header of `who` (an address; None: anonymous), checked on the home page."""
    if who is None:
        return ""
    cookie = people.http_session(port, who)
    status, text = loadgen.fetch(port, "/", cookie)
    if status != 200 or not people.signed_in(text):
        raise RuntimeError(f"the session of {who} is not signed in")
    return cookie


def through_http(env: dict[str, str], pages: dict[str, str], addresses: dict) -> dict:
    sessions = {"member": addresses["member"], "coordinator": addresses["coordinator"]}
    report = {}
    with gunicorn(env) as port:
        log("under load: anonymous, page cache on")
        report["anonymous_page_cache_on"] = load_pages(port, pages)
        for name, who in sessions.items():
            log(f"under load: signed in as the {name}")
            report[f"signed_in_{name}"] = load_pages(port, pages, session_for(port, who))
    with gunicorn({**env, "FORUM_PAGE_CACHE_SECONDS": "0"}) as port:
        log("under load: anonymous, page cache off")
        report["anonymous_page_cache_off"] = load_pages(port, pages)
    return report


def in_process(pages: dict[str, str], addresses: dict) -> dict:
    log(f"in-process: CPU per request, median of {cpu.REQUESTS}")
    cached = cpu.make_app()
    uncached = cpu.make_app(PAGE_CACHE_SECONDS=0)
    return {
        "anonymous_page_cache_on": cpu.pages(cached, None, pages),
        "anonymous_page_cache_off": cpu.pages(uncached, None, pages),
        "signed_in_member": cpu.pages(cached, addresses["member"], pages),
        "signed_in_coordinator": cpu.pages(cached, addresses["coordinator"], pages),
    }


def main() -> None:
    log(f"data set in {WEB_DATA.relative_to(ROOT)} (built once)")
    built = build_data_set(WEB_DATA, SHAPE)
    env = _env(WEB_DATA, **SETTINGS)
    os.environ.update({key: value for key, value in env.items() if key.startswith("FORUM_")})
    addresses = people.ensure_people(cpu.make_app(), BOARD)
    pages = pages_to_load()
    started = time.monotonic()
    report = {
        "load_average_before": [round(value, 1) for value in os.getloadavg()],
        "data_set": built,
        "server": "gunicorn, 2 sync workers, SQLite",
        "load_generator": loadgen.generator(),
        "seconds_per_page": SECONDS,
        "pages": pages,
        "requests": through_http(env, pages, addresses),
        "cpu_ms_per_request": in_process(pages, addresses),
        "replies": writes.measure(WEB_DATA, built, SHAPE, SETTINGS),
    }
    if os.environ.get("BENCH_PEER") == "flaskbb":
        from tests.bench import peer

        report["flaskbb"] = peer.compare(env, pages, addresses, SHAPE)
    report["minutes"] = round((time.monotonic() - started) / 60, 1)
    report["load_average_after"] = [round(value, 1) for value in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
