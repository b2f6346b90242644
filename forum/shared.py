"""State that several servers share: Redis, when REDIS_URL names one.

Pages kept for anonymous readers (forum.pagecache) and the rate-limit counters (forum.ratelimit,
which flood control uses too) live there, so that every server sees the same. Redis is a
help, never a need: while it does not answer, each use falls back to this process's memory,
the outage is logged once (and its end once), and Redis is asked again every
RETRY_SECONDS rather than on every request, so a dead server costs no time per page.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from flask import Flask

RETRY_SECONDS = 5.0
# A Redis that takes longer than this to answer counts as down.
TIMEOUT_SECONDS = 0.5
KEY_PREFIX = "forum:"

T = TypeVar("T")


class Fallback:
    """Runs a use of a shared store, or its fallback while the store is down."""

    def __init__(
        self,
        what: str,
        errors: type[Exception] | tuple[type[Exception], ...],
        logger: logging.Logger,
    ) -> None:
        self.what = what
        self.errors = errors
        self.logger = logger
        self.down = False
        self.retry_at = 0.0
        self._lock = threading.Lock()

    def run(self, use: Callable[[], T], fallback: Callable[[], T]) -> T:
        if self.down and time.monotonic() < self.retry_at:
            return fallback()
        try:
            result = use()
        except self.errors as error:
            self._failed(error)
            return fallback()
        if self.down:
            self._answered()
        return result

    def _failed(self, error: Exception) -> None:
        with self._lock:
            self.retry_at = time.monotonic() + RETRY_SECONDS
            if self.down:
                return
            self.down = True
        self.logger.warning(
            "%s does not answer (%s): kept in this process's memory until it does", self.what, error
        )

    def _answered(self) -> None:
        with self._lock:
            if not self.down:
                return
            self.down = False
        self.logger.warning("%s answers again", self.what)


def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )


def init_app(app: Flask) -> None:
    """The Redis client of this application (None without REDIS_URL)."""
    url = app.config["REDIS_URL"]
    app.extensions["redis"] = client(url) if url else None
