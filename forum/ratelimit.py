"""Rate limits checked inside views, so that a refused request can keep the user's text."""

import math
import time
from dataclasses import dataclass

import limits
from flask import current_app, request

from forum.extensions import limiter


@dataclass(frozen=True)
class Refusal:
    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def hit(setting: str, *identifiers: str) -> Refusal | None:
    """Count one attempt against the limit named by a config setting; a Refusal when over."""
    item = limits.parse(current_app.config[setting])
    key = (setting.lower(), *identifiers)
    if limiter.limiter.hit(item, *key):
        return None
    reset_at = limiter.limiter.get_window_stats(item, *key).reset_time
    return Refusal(retry_after=max(1, int(reset_at - time.time())))


def client_address() -> str:
    return request.remote_addr or "unknown"
