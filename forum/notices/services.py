"""Telling people on the web what happened to their posts, flags and accounts."""

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select, update

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import utcnow
from forum.extensions import db
from forum.i18n import isolate
from forum.mail.models import MailKind
from forum.mail.outbox import queue
from forum.notices.models import Notice

# Notices the person has just seen on the page that caused them: not mailed.
WEB_ONLY = frozenset({"post_held"})

# What people wrote, quoted in a notice: set apart on the web so that it keeps its own
# direction.
_PEOPLES_TEXT = ("thread", "reason", "author", "sender")


def notify(user: User, kind: str, **params: Any) -> Notice:
    """Leave a notice for one person, on the web and (unless they turned it off, which
    the worker checks when sending) by email. A `post_id` or `board_slug` among the
    parameters becomes the notice's link; a `board_id` names the board in the reader's
    language when the notice is shown (`board`, its English name, stays for a board
    since removed)."""
    notice = Notice(user_id=user.id, kind=kind, params=params)
    db.session.add(notice)
    db.session.execute(
        update(User).where(User.id == user.id).values(unread_notices=User.unread_notices + 1)
    )
    db.session.flush()
    if kind not in WEB_ONLY:
        queue(MailKind.NOTICE, user=user, payload={"notice": notice.id})
    return notice


def recent_notices(user: User, limit: int = 50) -> list[Notice]:
    return list(
        db.session.scalars(
            select(Notice)
            .where(Notice.user_id == user.id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(user: User) -> None:
    db.session.execute(
        update(Notice)
        .where(Notice.user_id == user.id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    user.unread_notices = 0
    db.session.flush()


def link_for(notice: Notice) -> str | None:
    if "post_id" in notice.params:
        return url_for("posts.permalink", post_id=notice.params["post_id"])
    if "board_slug" in notice.params:
        return url_for("boards.board", slug=notice.params["board_slug"])
    return None


def describe_html(notice: Notice) -> Markup:
    """The notice in the reader's language for a page, titles and names in <bdi>."""
    params = {
        name: isolate(value) if name in _PEOPLES_TEXT else Markup.escape(value)
        for name, value in _named_in_readers_language(notice.params).items()
    }
    # The sentence is the catalogue's own; every value put into it is escaped above.
    return Markup(describe(notice, params=params))  # noqa: S704


def _named_in_readers_language(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with the board named in the reader's language."""
    board = db.session.get(Board, params["board_id"]) if "board_id" in params else None
    return params if board is None else {**params, "board": board.label}


def describe(notice: Notice, *, params: dict[str, Any] | None = None) -> str:
    """The notice in the reader's language."""
    params = dict(_named_in_readers_language(notice.params) if params is None else params)
    if "role" in params:
        params["role"] = _("coordinator") if params["role"] == "coordinator" else _("member")
    texts = {
        "post_held": lambda: _(
            "Your post in “%(thread)s” waits for a coordinator's approval.", **params
        ),
        "post_approved": lambda: _(
            "Your post in “%(thread)s” was approved and is now public.", **params
        ),
        "post_rejected": lambda: _(
            "Your post in “%(thread)s” was not accepted: %(reason)s", **params
        ),
        "post_hidden": lambda: _("Your post in “%(thread)s” was hidden: %(reason)s", **params),
        "post_unhidden": lambda: _("Your post in “%(thread)s” is visible again.", **params),
        "post_deleted": lambda: _("Your post in “%(thread)s” was deleted: %(reason)s", **params),
        "flag_kept": lambda: _(
            "You flagged a post in “%(thread)s”; the coordinators kept it.", **params
        ),
        "flag_hidden": lambda: _(
            "You flagged a post in “%(thread)s”; the coordinators hid it.", **params
        ),
        "flag_deleted": lambda: _(
            "You flagged a post in “%(thread)s”; the coordinators deleted it.", **params
        ),
        "banned": lambda: _("You can no longer post in %(board)s: %(reason)s", **params),
        "unbanned": lambda: _("You can post in %(board)s again.", **params),
        "suspended": lambda: _("Your account is suspended: %(reason)s", **params),
        "unsuspended": lambda: _("Your account is no longer suspended.", **params),
        "role_granted": lambda: _("You are now %(role)s of %(board)s.", **params),
        "role_revoked": lambda: _("You are no longer %(role)s of %(board)s.", **params),
        "post_waiting": lambda: _(
            "A post by %(author)s in “%(thread)s” waits for your approval.", **params
        ),
        "mail_waiting": lambda: _(
            "A message from %(sender)s, who has no account, waits for your decision in the "
            "queue of %(board)s.",
            **params,
        ),
        "mail_bouncing": lambda: _(
            "Mail to your address bounces, so the forum stopped sending it. Use the link in "
            "the message we sent you, or change your address in your settings.",
            **params,
        ),
    }
    text = texts.get(notice.kind)
    return text() if text else notice.kind
