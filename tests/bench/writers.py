"""People replying at once through the reply form of a running server: each signed in
as themselves, each POSTing replies one after the other (a fresh submission token each
time, as each form shown has) to threads of the board, for a fixed time."""

import random
import secrets
import statistics
import threading
import time

from tests.bench import cluster_load, people


def _writer(
    port: int, address: str, threads: list[int], start: threading.Barrier, found: dict
) -> None:
    rng = random.Random(address)
    browser = cluster_load.Browser([port], cluster_load.Record(), rng)
    path = f"/t/{threads[0]}/reply"
    page = browser.send("form", "GET", path) if browser.sign_in(address, people.PASSWORD) else None
    fields = cluster_load.form_fields(page.text, path, path) if page else None
    start.wait()
    if fields is None:
        found["errors"].append(f"{address} could not sign in or found no reply form")
        return
    fields.pop("reply_to", None)
    while time.monotonic() < found["stop_at"]:
        thread_id = rng.choice(threads)
        form = {
            **fields,
            "submission": secrets.token_urlsafe(24),
            "body": " ".join(rng.choices(cluster_load.VOCABULARY, k=rng.randint(8, 40))),
        }
        started = time.perf_counter()
        answer = browser.send("reply", "POST", f"/t/{thread_id}/reply", form=form, expect=302)
        if answer is not None and "#p" in answer.location:
            found["latencies"].append(time.perf_counter() - started)
    found["errors"].extend(error["error"] for error in browser.record.errors)


def replies_per_second(port: int, addresses: list[str], threads: list[int], seconds: float):
    """Every writer in a thread of its own, signed in, then all replying for `seconds`;
    replies/s and latencies."""
    found: dict = {"latencies": [], "errors": [], "stop_at": 0.0}

    def go() -> None:
        found["stop_at"] = time.monotonic() + seconds

    start = threading.Barrier(len(addresses), action=go)
    workers = [
        threading.Thread(target=_writer, args=(port, address, threads, start, found))
        for address in addresses
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = seconds
    latencies = sorted(found["latencies"])
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "writers": len(addresses),
        "replies": len(latencies),
        "replies_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "errors": len(found["errors"]),
        "first_errors": found["errors"][:5],
    }
