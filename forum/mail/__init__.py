"""Email: subscriptions, the outbox and its worker, digests, and the forum's addresses.

Every message goes through the outbox (`forum.mail.outbox`), written in the transaction
of what caused it, and leaves through `forum.mail.delivery`, run by `flask worker`."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app


def init_app(app: Flask) -> None:
    """Connect mail to the events it follows (publications, roles)."""
    from forum.mail import fanout, subscriptions  # noqa: F401


@contextmanager
def mail_context(app: Flask) -> Iterator[None]:
    """A context for work outside web requests (the worker, commands) in which links are
    built against BASE_URL, the address people reach the forum at."""
    with app.test_request_context("/", base_url=app.config["BASE_URL"]):
        yield


def link_for(endpoint: str, **values: Any) -> str:
    """An absolute link for mail, always on BASE_URL: never on the host a request named,
    which its sender chooses (a reset link must not lead to someone else's site)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
