"""Rate limits checked inside views, so that a refused request can keep the user's text."""

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, request
from limits import RateLimitItem, parse

from forum.extensions import limiter


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
        reset_at = limiter.limiter.get_window_stats(self.item, *self.key).reset_time
        return Refusal(retry_after=max(1, int(reset_at - time.time())))


def hit(setting: str, *identifiers: str) -> Refusal | None:
    """Count one attempt against the limit named by a config setting; a Refusal when over."""
    return take(Limit(setting, identifiers))


def take(limit: Limit) -> Refusal | None:
    """Count one attempt against `limit` before it is made; a Refusal when over. Counting
    first means attempts sent at once cannot all slip under the limit."""
    if limiter.limiter.hit(limit.item, *limit.key):
        return None
    return limit.refusal()


def forget(limit: Limit) -> None:
    """Start `limit` afresh (after an attempt that succeeded)."""
    limiter.limiter.clear(limit.item, *limit.key)


def exhausted(limits: Iterable[Limit]) -> Refusal | None:
    """The first of these limits already used up, without counting anything: for limits
    that count failures only, checked before the attempt and counted after it fails."""
    for limit in limits:
        if not limiter.limiter.test(limit.item, *limit.key):
            return limit.refusal()
    return None


def count(limits: Iterable[Limit]) -> None:
    """Count one failure against each of these limits."""
    for limit in limits:
        limiter.limiter.hit(limit.item, *limit.key)


def client_address() -> str:
    return request.remote_addr or "unknown"
