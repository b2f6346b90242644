"""Rate limits checked inside views, so that a refused request can keep the user's text.

The counters live in RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set: one count for
every server, so a person limited on one is limited on all), and in this process's memory
while that storage does not answer (see forum.shared)."""

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import STRATEGIES, RateLimiter

from forum.shared import Fallback

T = TypeVar("T")


class Counters:
    """The rate limiter over the configured storage, with one in memory to fall back on."""

    def __init__(self, app: Flask) -> None:
        strategy = STRATEGIES[app.config["RATELIMIT_STRATEGY"]]
        self.local = strategy(MemoryStorage())
        uri = app.config["RATELIMIT_STORAGE_URI"]
        self.storage: Storage | None = None
        self.shared: RateLimiter | None = None
        if not uri.startswith("memory://"):
            options = dict(app.config["RATELIMIT_STORAGE_OPTIONS"])
            if uri == app.config["REDIS_URL"]:
                options.setdefault("connection_pool", app.extensions["redis"].connection_pool)
            self.storage = storage_from_string(uri, **options)
            self.shared = strategy(self.storage)
        errors = self.storage.base_exceptions if self.storage else ()
        self.fallback = Fallback("The rate-limit storage", errors, app.logger)

    def run(self, use: Callable[[RateLimiter], T]) -> T:
        shared = self.shared
        if shared is None:
            return use(self.local)
        return self.fallback.run(lambda: use(shared), lambda: use(self.local))

    def reset(self) -> None:
        """Forget every count (for tests)."""
        self.local.storage.reset()
        if self.storage is not None:
            self.fallback.run(self.storage.reset, lambda: None)


def init_app(app: Flask) -> None:
    app.extensions["rate_limits"] = Counters(app)


def _counters() -> Counters:
    return current_app.extensions["rate_limits"]


@dataclass(frozen=True)
class Refusal:
    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


@dataclass(frozen=True)
class Limit:
    """A limit named by a config setting, counted for these identifiers."""

    setting: str
    identifiers: tuple[str, ...]

    @property
    def item(self) -> RateLimitItem:
        return parse(current_app.config[self.setting])

    @property
    def key(self) -> tuple[str, ...]:
        return (self.setting.lower(), *self.identifiers)

    def refusal(self) -> Refusal:
        stats = _counters().run(lambda limiter: limiter.get_window_stats(self.item, *self.key))
        reset_at = stats.reset_time
        return Refusal(retry_after=max(1, int(reset_at - time.time())))


def hit(setting: str, *identifiers: str) -> Refusal | None:
    """Count one attempt against the limit named by a config setting; a Refusal when over."""
    return take(Limit(setting, identifiers))


def take(limit: Limit) -> Refusal | None:
    """Count one attempt against `limit` before it is made; a Refusal when over. Counting
    first means attempts sent at once cannot all slip under the limit."""
    if _counters().run(lambda limiter: limiter.hit(limit.item, *limit.key)):
        return None
    return limit.refusal()


def forget(limit: Limit) -> None:
    """Start `limit` afresh (after an attempt that succeeded)."""
    _counters().run(lambda limiter: limiter.clear(limit.item, *limit.key))


def exhausted(limits: Iterable[Limit]) -> Refusal | None:
    """The first of these limits already used up, without counting anything: for limits
    that count failures only, checked before the attempt and counted after it fails."""
    for limit in limits:
        if not _counters().run(lambda limiter, limit=limit: limiter.test(limit.item, *limit.key)):
            return limit.refusal()
    return None


def count(limits: Iterable[Limit]) -> None:
    """Count one failure against each of these limits."""
    for limit in limits:
        _counters().run(lambda limiter, limit=limit: limiter.hit(limit.item, *limit.key))


def client_address() -> str:
    return request.remote_addr or "unknown"
