"""`make bench`: the home, board and thread pages under load, at 200,000 posts.

Builds the large demo data set once (kept in instance/bench/), serves it with gunicorn
(2 sync workers), and loads each page from a second process for a fixed time, twice:
with the page cache that anonymous readers get, and with it off (every page rendered,
as for signed-in readers). Prints JSON: requests/s and latency percentiles per page.
"""

import http.client
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DATA = ROOT / "instance" / "bench"
SIZE = {"users": 5000, "threads": 20000, "posts": 200000}
# Changes when the generator of the bulk data changes, so that the data set is rebuilt.
GENERATOR = 4
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))


def _env(**settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "FORUM_INSTANCE_PATH": str(DATA),
        "FORUM_DATABASE_URL": f"sqlite:///{DATA / 'forum.sqlite3'}",
        **{f"FORUM_{name}": value for name, value in settings.items()},
    }


def _schema() -> list[str]:
    return sorted(path.name for path in (ROOT / "migrations" / "versions").glob("*.py"))


def build_data_set() -> dict:
    """The data set, built once (again when the size or the migrations change)."""
    marker = DATA / "built.json"
    if marker.exists():
        built = json.loads(marker.read_text())
        if (built.get("size"), built.get("schema"), built.get("generator")) == (
            SIZE,
            _schema(),
            GENERATOR,
        ):
            return built
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "forum.sqlite3").unlink(missing_ok=True)
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    run = {"cwd": ROOT, "env": _env(), "check": True, "capture_output": True, "text": True}
    subprocess.run([*flask, "db", "upgrade"], **run)
    subprocess.run([*flask, "forum", "load-boards"], **run)
    started = time.perf_counter()
    options = [f"--{name}={value}" for name, value in SIZE.items()]
    result = subprocess.run([*flask, "forum", "demo", *options], **run)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    built = {
        "size": SIZE,
        "schema": _schema(),
        "generator": GENERATOR,
        "build_seconds": round(time.perf_counter() - started, 1),
        **figures,
    }
    marker.write_text(json.dumps(built))
    return built


def pages_to_load() -> dict[str, str]:
    """The biggest board's first page and the first page of the longest thread."""
    with sqlite3.connect(DATA / "forum.sqlite3") as db:
        slug = db.execute("SELECT slug FROM boards ORDER BY thread_count DESC LIMIT 1").fetchone()
        thread = db.execute("SELECT id FROM threads ORDER BY post_count DESC LIMIT 1").fetchone()
    return {"home": "/", "board": f"/b/{slug[0]}", "thread": f"/t/{thread[0]}"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def load(port: int, path: str, seconds: float, concurrency: int) -> dict:
    """Fetch `path` from `concurrency` threads for `seconds`; latencies of 200 answers."""
    latencies: list[float] = []
    failures = [0]
    stop = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
            finally:
                connection.close()
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                failures[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "path": path,
        "requests": len(latencies),
        "failures": failures[0],
        "requests_per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p99_ms": round(quantiles[98] * 1000, 1),
    }


def measure(pages: dict[str, str], **settings: str) -> dict:
    """Serve with gunicorn under these settings and load each page in turn."""
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=_env(**settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = {}
    try:
        _wait_until_up(port, server)
        with ProcessPoolExecutor(max_workers=1) as loader:
            for name, path in pages.items():
                loader.submit(load, port, path, 1.0, CONCURRENCY).result()
                results[name] = loader.submit(load, port, path, SECONDS, CONCURRENCY).result()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return results


def main() -> None:
    built = build_data_set()
    pages = pages_to_load()
    report = {
        "data_set": built,
        "server": "gunicorn, 2 sync workers, SQLite",
        "seconds_per_page": SECONDS,
        "concurrency": CONCURRENCY,
        "anonymous_with_page_cache": measure(pages),
        "page_cache_off": measure(pages, PAGE_CACHE_SECONDS="0"),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
