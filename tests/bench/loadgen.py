"""Loading one address of a server for a while: with wrk where the machine has it, else
with a small generator of Python threads; both report requests/s and p50/p99.

Every connection sends the same cookies (a signed-in session, or none). Answers other
than 200 are counted as failures, not as requests served."""

import http.client
import re
import shutil
import statistics
import subprocess
import threading
import time

CONNECTIONS = 8
WRK = shutil.which("wrk")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def generator() -> str:
    return f"wrk, {CONNECTIONS} connections" if WRK else f"python, {CONNECTIONS} threads"


def load(port: int, path: str, seconds: float, cookie: str = "") -> dict:
    """Load http://127.0.0.1:`port``path` for `seconds`."""
    measure = _wrk if WRK else _threads
    return {"path": path, **measure(port, path, seconds, cookie)}


def _milliseconds(output: str, percent: int) -> float:
    found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    if found is None:
        raise RuntimeError(f"wrk said:\n{output}")
    number, unit = found.groups()
    return round(float(number) * _UNITS.get(unit, 60_000.0), 1)


def _wrk(port: int, path: str, seconds: float, cookie: str) -> dict:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    command = [WRK, "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "10s", *headers, f"http://127.0.0.1:{port}{path}"]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read \d+, write \d+, timeout (\d+)", output)
    failures = (int(failed.group(1)) if failed else 0) + (
        int(errors.group(1)) + int(errors.group(2)) if errors else 0
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    served = requests - (int(failed.group(1)) if failed else 0)
    return {
        "requests": served,
        "failures": failures,
        "requests_per_second": round(rate * served / requests, 1) if requests else 0.0,
        "p50_ms": _milliseconds(output, 50),
        "p99_ms": _milliseconds(output, 99),
    }


def _threads(port: int, path: str, seconds: float, cookie: str) -> dict:
    latencies: list[float] = []
    failures = [0]
    stop = time.monotonic() + seconds
    headers = {"Cookie": cookie} if cookie else {}

    def worker() -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", path, headers=headers)
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

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "failures": failures[0],
        "requests_per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
    }


def until_served(port: int, path: str = "/", times: int = 6) -> None:
    """Wait until the server's workers answer (gunicorn's port is open before its workers
    have loaded the application); a few requests at once, so that each worker has."""
    deadline = time.monotonic() + 120
    threads = [threading.Thread(target=fetch, args=(port, path)) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(1.0, deadline - time.monotonic()))


def fetch(port: int, path: str, cookie: str = "") -> tuple[int, str]:
    """One GET: its status and text (to check what a session is served)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()
