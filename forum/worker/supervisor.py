"""`flask serve`: the web server, the worker and the LMTP listener together, for one
machine (what `make run` starts). A worker or listener that exits is started again, a
little later each time it dies quickly; stopping the command stops all three."""

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import click
from flask.cli import ScriptInfo

RESTART_DELAY_SECONDS = 1.0
RESTART_DELAY_MAX_SECONDS = 30.0
# A child that ran this long before exiting is restarted at once.
HEALTHY_SECONDS = 60.0


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    restart: bool
    process: subprocess.Popen | None = None
    started: float = 0.0
    quick_exits: int = 0
    restart_at: float | None = None
    restarts: int = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv)  # noqa: S603 (our own commands)
        self.started = time.monotonic()
        self.restart_at = None

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Supervisor:
    children: list[Child]
    restart_delay: float = RESTART_DELAY_SECONDS
    poll_seconds: float = 0.5
    stopping: bool = False

    def stop(self, *_args: object) -> None:
        self.stopping = True

    def run(self) -> int:
        """Until a child that is not restarted exits, or until stopped; returns its code."""
        for child in self.children:
            child.start()
        try:
            while not self.stopping:
                for child in self.children:
                    code = self._check(child)
                    if code is not None:
                        return code
                time.sleep(self.poll_seconds)
            return 0
        finally:
            for child in self.children:
                child.stop()

    def _check(self, child: Child) -> int | None:
        now = time.monotonic()
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restarts += 1
                child.start()
            return None
        code = child.exited()
        if code is None:
            return None
        if not child.restart:
            click.echo(f"{child.name} exited with code {code}; stopping the others.", err=True)
            return code
        child.quick_exits = child.quick_exits + 1 if now - child.started < HEALTHY_SECONDS else 0
        delay = min(self.restart_delay * 2 ** max(child.quick_exits - 1, 0),
                    RESTART_DELAY_MAX_SECONDS)  # fmt: skip
        click.echo(f"{child.name} exited with code {code}; starting it again in {delay:.0f} s.",
                   err=True)  # fmt: skip
        child.restart_at = now + delay
        return None


def flask_command(app_import: str | None, *args: str) -> list[str]:
    """A `flask` command line for the same application as this one."""
    where = ["--app", app_import] if app_import else []
    return [sys.executable, "-m", "flask", *where, *args]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.pass_obj
def serve_command(info: ScriptInfo, host: str, port: int) -> None:
    """Serve the forum with its worker and LMTP listener; restart either if it exits."""
    app_import = info.app_import_path
    web = flask_command(app_import, "run", "--host", host, "--port", str(port))
    supervisor = Supervisor(
        [
            Child("worker", flask_command(app_import, "worker"), restart=True),
            Child("LMTP listener", flask_command(app_import, "mail", "lmtp"), restart=True),
            Child("web server", web, restart=False),
        ]
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, supervisor.stop)
    sys.exit(supervisor.run())
