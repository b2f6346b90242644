"""Notices: what the forum tells one person, on the web and by email (what became of
their posts, flags and roles; replies to their posts; mentions of their name)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Connect the notices of replies and mentions to the publication of posts."""
    from forum.notices import replies  # noqa: F401
