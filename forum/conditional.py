"""Validators (ETags) for the pages read most, home, boards and threads, so that a browser
that has the page already is answered `304 Not Modified` in a few hundred bytes.

For anonymous readers the ETag is a digest of the page itself, as the page cache keeps
it: exact, whatever changed (a new post, an author's new name, a deployment), and
checked without rendering while the page is in the cache.

A signed-in page is rendered for its viewer alone and is not kept, so its ETag is made
before rendering, from what the page shows: the changed-at stamp that versions the page
cache (it moves when the viewer posts too, held or not, so the reply form's one-time token
is never shown again once used), the viewer (their name, address, rights and roles, the
counts in the header, when they last marked something read), the session (whose secret
the forms' CSRF tokens are signed with), language and time zone, and the release (code,
templates, catalogues, static files).
What none of these covers (another person's new name, say) is bounded as the page cache
bounds it: the ETag also names the current period of PAGE_CACHE_SECONDS, so no page is
confirmed for longer than the page cache would keep it, nor its CSRF tokens for long
(they last an hour). A page with a message waiting to be flashed has no ETag.

There is no Last-Modified: the changed-at stamps do not cover everything a page shows,
so a date would confirm pages that did change.

A signed-in page with an ETag is sent `private, no-cache` rather than `no-store`, so that
the browser may keep it to ask again; signing out tells the browser to clear what it kept
(`Clear-Site-Data`).
"""

import hashlib
import time
from collections.abc import Hashable
from pathlib import Path

from flask import Flask, Response, current_app, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user

from forum.settings import PROJECT_ROOT

ANONYMOUS = "no-cache"
SIGNED_IN = "private, no-cache"


def _release_digest(app: Flask) -> str:
    """A digest of what renders pages: the code, templates, catalogues and static files."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(app.extensions["assets"].digest.encode())
    for folder, pattern in (
        (PROJECT_ROOT / "forum", "*.py"),
        (PROJECT_ROOT / "forum" / "translations", "*.mo"),
        (PROJECT_ROOT / "templates", "*.*"),
    ):
        for path in sorted(folder.rglob(pattern)):
            digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode())
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def init_app(app: Flask) -> None:
    app.extensions["release"] = _release_digest(app)


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def content_tag(page: str) -> str:
    """The digest of the page's own bytes (no `repr` of 40 KB of text first)."""
    digest = hashlib.blake2b(current_app.extensions["release"].encode(), digest_size=16)
    digest.update(page.encode())
    return digest.hexdigest()


def viewer_tag(version: Hashable) -> str | None:
    """The ETag of a signed-in viewer's page of this version, or None when the page has no
    validator (a message to flash, validators turned off with the page cache)."""
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    if seconds <= 0 or "_flashes" in session:
        return None
    from forum.web import waiting_for_moderation

    viewer = current_user
    # Loaded already by the permission checks of the view.
    roles = sorted((role.board_id, str(role.role)) for role in viewer.board_roles)
    return _digest(
        current_app.extensions["release"],
        request.full_path,
        str(get_locale()),
        str(get_timezone()),
        version,
        int(time.time() // seconds),
        session.get("csrf_token"),
        viewer.get_id(),
        viewer.display_name,
        viewer.email,
        viewer.is_verified,
        viewer.is_admin,
        viewer.is_suspended,
        viewer.suspended_until,
        viewer.accredited,
        viewer.unread_notices,
        viewer.reads_marked_at,
        waiting_for_moderation(),
        roles,
    )


def is_fresh(tag: str | None) -> bool:
    """Whether the browser already has the page of this ETag."""
    return tag is not None and request.if_none_match.contains_weak(tag)


def respond(page: str | None, tag: str | None, cache_control: str) -> Response:
    """The page with its ETag, or `304 Not Modified` (`page` None: not rendered, since the
    browser has it)."""
    response = Response(status=304) if page is None else Response(page, mimetype="text/html")
    if tag is not None:
        response.set_etag(tag, weak=True)
        response.headers["Cache-Control"] = cache_control
    return response
