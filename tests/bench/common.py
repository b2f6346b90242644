"""What the benchmarks share: the bulk data sets (built once, kept in instance/), a free
loopback port, and waiting for a server to answer."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DATA = ROOT / "instance" / "bench"
SIZE = {"users": 5000, "threads": 20000, "posts": 200000}
# Changes when the generator of the bulk data changes, so that the data sets are rebuilt.
GENERATOR = 4


def _env(data: Path = DATA, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "FORUM_INSTANCE_PATH": str(data),
        "FORUM_DATABASE_URL": f"sqlite:///{data / 'forum.sqlite3'}",
        **{f"FORUM_{name}": value for name, value in settings.items()},
    }


def _schema() -> list[str]:
    return sorted(path.name for path in (ROOT / "migrations" / "versions").glob("*.py"))


def build_data_set(data: Path = DATA, size: dict | None = None) -> dict:
    """The SQLite data set of this size (options of `flask forum demo`) in `data`, built
    once (again when the size, the migrations or the generator change)."""
    size = size or SIZE
    marker = data / "built.json"
    if marker.exists():
        built = json.loads(marker.read_text())
        if (built.get("size"), built.get("schema"), built.get("generator")) == (
            size,
            _schema(),
            GENERATOR,
        ):
            return built
    data.mkdir(parents=True, exist_ok=True)
    (data / "forum.sqlite3").unlink(missing_ok=True)
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    run = {"cwd": ROOT, "env": _env(data), "check": True, "capture_output": True, "text": True}
    subprocess.run([*flask, "db", "upgrade"], **run)
    subprocess.run([*flask, "forum", "load-boards"], **run)
    started = time.perf_counter()
    options = [f"--{name.replace('_', '-')}={value}" for name, value in size.items()]
    result = subprocess.run([*flask, "forum", "demo", *options], **run)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    built = {
        "size": size,
        "schema": _schema(),
        "generator": GENERATOR,
        "build_seconds": round(time.perf_counter() - started, 1),
        **figures,
    }
    marker.write_text(json.dumps(built))
    return built


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def no_control_socket(gunicorn: Path = BIN / "gunicorn") -> list[str]:
    """Gunicorn 24 and later open a control socket at one path per user: two instances
    (and anyone else's) would take it from each other."""
    usage = subprocess.run([str(gunicorn), "--help"], capture_output=True, text=True)
    return ["--no-control-socket"] if "--no-control-socket" in usage.stdout else []
