"""CPU time per request in-process (`time.process_time`, the median of many requests):
pages through the test client, and replies through the reply form.

The client closes every response, as a WSGI server does, so what runs after a response
(in the web process) is counted with its request."""

import os
import secrets
import statistics
import time

from flask import Flask

from tests.bench import cluster_load, people
from tests.helpers import ClosingClient

REQUESTS = int(os.environ.get("BENCH_CPU_REQUESTS", "200"))
REPLIES = int(os.environ.get("BENCH_CPU_REPLIES", "200"))


def make_app(**settings: object) -> Flask:
    """The forum of the environment's FORUM_* settings, with these on top."""
    from forum import create_app

    app = create_app(settings)
    app.test_client_class = ClosingClient
    return app


def client(app: Flask, who: str | None):
    """An anonymous test client, or one signed in as `who` (an address)."""
    if who is None:
        anonymous = app.test_client()
        anonymous.environ_base["REMOTE_ADDR"] = "127.0.0.1"
        return anonymous
    return people.client_session(app, who)


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def pages(app: Flask, who: str | None, paths: dict[str, str]) -> dict[str, float]:
    """Milliseconds of CPU per request for each page (after a few unmeasured ones)."""
    browser = client(app, who)
    figures = {}
    for name, path in paths.items():
        for _ in range(5):
            assert browser.get(path).status_code == 200, path
        samples = []
        for _ in range(REQUESTS):
            started = time.process_time()
            response = browser.get(path)
            samples.append(time.process_time() - started)
            assert response.status_code == 200, path
        figures[name] = _median_ms(samples)
    return figures


def replies(app: Flask, who: str, thread_ids: list[int], count: int = REPLIES) -> dict:
    """Replies through the reply form: the form is fetched once per thread (its CSRF
    token lasts the session), each POST has its own submission token, as each form
    shown does. Milliseconds of CPU per POST, and the wall time per POST."""
    browser = client(app, who)
    forms = {}
    for thread_id in thread_ids:
        path = f"/t/{thread_id}/reply"
        page = browser.get(path).get_data(as_text=True)
        forms[thread_id] = cluster_load.form_fields(page, path, path)
    cpu, wall = [], []
    for number in range(count):
        thread_id = thread_ids[number % len(thread_ids)]
        fields = {
            **forms[thread_id],
            "submission": secrets.token_urlsafe(24),
            "body": f"Reply {number} on access to information in rural areas.\n\nSecond line.",
        }
        started, started_wall = time.process_time(), time.perf_counter()
        response = browser.post(f"/t/{thread_id}/reply", data=fields)
        cpu.append(time.process_time() - started)
        wall.append(time.perf_counter() - started_wall)
        if response.status_code != 302 or "#p" not in response.headers.get("Location", ""):
            raise RuntimeError(f"reply {number} was refused: {response.status_code}")
    return {"replies": count, "cpu_ms_median": _median_ms(cpu), "wall_ms_median": _median_ms(wall)}
