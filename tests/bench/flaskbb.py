"""FlaskBB 3.0.0rc5 beside this forum (`BENCH_PEER=flaskbb make bench`).

Installed from PyPI into a virtualenv of its own outside the repository
(~/.cache/wsis-forum-bench/ or BENCH_PEER_HOME) with Python 3.12, which FlaskBB needs,
and filled once with the same shape of data as the forum's benchmark: topics of 101
posts in one forum, 30 posts and 30 topics a page, bodies of the same generated words
in Markdown; its own SQLite database there. Served by gunicorn with 2 sync workers on
loopback; the member signs in through FlaskBB's login form (its CSRF token included)."""

import json
import os
import random
import shutil
import sqlite3
import subprocess
from pathlib import Path

from tests.bench import cluster_load, loadgen
from tests.bench.common import _free_port, _wait_until_up, no_control_socket

VERSION = "3.0.0rc5"
HOME = Path(os.environ.get("BENCH_PEER_HOME", Path.home() / ".cache" / "wsis-forum-bench"))
VENV = HOME / f"flaskbb-{VERSION}"
DATA = HOME / "flaskbb-data"
MEMBER = ("member", "member@example.org", "bench-password-member")
ADMIN = ("admin", "admin@example.org", "bench-password-admin")
# Its settings that the benchmark's data shape needs (FlaskBB's default is 10 of each).
PER_PAGE = {"POSTS_PER_PAGE": "30", "TOPICS_PER_PAGE": "30"}
CONFIG = """\
SQLALCHEMY_DATABASE_URI = "sqlite:///{database}"
SQLALCHEMY_TRACK_MODIFICATIONS = False
SECRET_KEY = "flaskbb-bench-{key}"
WTF_CSRF_ENABLED = True
WTF_CSRF_SECRET_KEY = "flaskbb-bench-csrf-{key}"
SEARCH_BACKEND = "sql"
REDIS_ENABLED = False
RATELIMIT_STORAGE_URI = "memory://"
CACHE_TYPE = "SimpleCache"
CACHE_DEFAULT_TIMEOUT = 60
USE_DEFAULT_LOGGING = False
LOG_CONF_FILE = None
SEND_LOGS = False
MAIL_SERVER = "127.0.0.1"
"""


class PeerMissing(RuntimeError):
    """What FlaskBB needs is not on this machine (the message says what)."""


def python312() -> str:
    """A working `python3.12`: on PATH, or a pyenv installation of it (pyenv's shim
    answers only where 3.12 is the selected version)."""
    candidates = [shutil.which("python3.12")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "--version"], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.startswith("Python 3.12"):
            return candidate
    raise PeerMissing("FlaskBB needs Python 3.12: no python3.12 found on PATH or in ~/.pyenv")


def install() -> None:
    """FlaskBB and gunicorn in their own virtualenv, once."""
    marker = VENV / "installed.txt"
    if marker.exists() and marker.read_text() == VERSION:
        return
    shutil.rmtree(VENV, ignore_errors=True)
    HOME.mkdir(parents=True, exist_ok=True)
    subprocess.run([python312(), "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "pip"), "install", "--quiet"]
    subprocess.run([*pip, f"flaskbb=={VERSION}", "gunicorn"], check=True)
    marker.write_text(VERSION)


def _flaskbb(*args: str) -> None:
    command = [str(VENV / "bin" / "flaskbb"), "--config", str(DATA / "flaskbb.cfg"), *args]
    subprocess.run(command, check=True, capture_output=True, text=True)


def populate(threads: int, posts_per_thread: int, words) -> dict:
    """FlaskBB's own installer and bulk generator (topics of one first post and
    `posts_per_thread - 1` replies in its first forum), then the bodies replaced by
    generated Markdown like the forum's and the page sizes set to 30. Once per shape."""
    shape = {"version": VERSION, "threads": threads, "posts_per_thread": posts_per_thread}
    marker = DATA / "built.json"
    if marker.exists() and json.loads(marker.read_text()) == shape:
        return shape
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    database = DATA / "flaskbb.sqlite"
    key = random.Random().randbytes(16).hex()
    (DATA / "flaskbb.cfg").write_text(CONFIG.format(database=database, key=key))
    name, address, password = ADMIN
    _flaskbb("install", "--force", "-u", name, "-e", address, "-p", password)
    name, address, password = MEMBER
    _flaskbb("users", "new", "-u", name, "-e", address, "-p", password, "-g", "member")
    _flaskbb("populate", "--bulk-data", "--topics", str(threads),
             "--posts", str(posts_per_thread - 1))  # fmt: skip
    rng = random.Random(2005)
    with sqlite3.connect(database) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM posts")]
        bodies = [
            ("\n\n".join(words(rng) for _ in range(rng.randint(1, 4))), post_id) for post_id in ids
        ]
        connection.executemany("UPDATE posts SET content = ? WHERE id = ?", bodies)
        for setting, value in PER_PAGE.items():
            connection.execute("UPDATE settings SET value = ? WHERE key = ?", (value, setting))
    marker.write_text(json.dumps(shape))
    return shape


def pages() -> dict[str, str]:
    """Home, the forum, and a topic of full length: its first page and a middle one."""
    with sqlite3.connect(DATA / "flaskbb.sqlite") as connection:
        [forum_id, topic_id, posts] = connection.execute(
            "SELECT forum_id, id, post_count FROM topics ORDER BY post_count DESC, "
            "last_updated DESC LIMIT 1"
        ).fetchone()
    middle = max(1, (posts + 29) // 30 // 2)
    return {
        "home": "/",
        "board": f"/forum/{forum_id}",
        "thread": f"/topic/{topic_id}",
        "thread_middle": f"/topic/{topic_id}?page={middle}",
    }


class Server:
    """FlaskBB under gunicorn, 2 sync workers, on a free loopback port."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        gunicorn = VENV / "bin" / "gunicorn"
        factory = f"flaskbb:create_app(config={str(DATA / 'flaskbb.cfg')!r})"
        self.process = subprocess.Popen(
            [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
             *no_control_socket(gunicorn), factory],
            cwd=DATA, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        _wait_until_up(self.port, self.process)
        loadgen.until_served(self.port)

    def member_cookie(self) -> str:
        """Sign the member in through FlaskBB's login form; the Cookie header."""
        browser = cluster_load.Browser([self.port], cluster_load.Record(), random.Random(0))
        name, _address, password = MEMBER
        answer = browser.submit(
            "login", "/auth/login", "/auth/login", {"login": name, "password": password}
        )
        if answer is None:
            raise RuntimeError(f"FlaskBB sign-in failed: {browser.record.errors}")
        return "; ".join(f"{key}={value}" for key, value in browser.cookies.items())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
