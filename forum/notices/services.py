"""Telling people on the web what happened to their posts, flags and accounts."""

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import utcnow
from forum.extensions import db
from forum.i18n import isolate
from forum.mail.models import MailKind
from forum.mail.outbox import queue
from forum.notices.models import Notice
from forum.permissions import can_read_post
from forum.posts.counters import count_notice
from forum.posts.models import Post, Thread

# Notices the person has just seen on the page that caused them: not mailed.
WEB_ONLY = frozenset({"post_held"})
# Notices of what someone else wrote: they name their post (`Notice.post_id`), and say
# only that it is no longer there once the person may not read it.
ABOUT_POSTS = frozenset({"reply", "mention"})

# What people wrote, quoted in a notice: set apart on the web so that it keeps its own
# direction.
_PEOPLES_TEXT = ("thread", "reason", "author", "sender", "entry")


def notify(user: User, kind: str, **params: Any) -> Notice:
    """Leave a notice for one person, on the web and (unless they turned it off, which
    the worker checks when sending) by email. A `post_id` or `board_slug` among the
    parameters becomes the notice's link; a `board_id` names the board in the reader's
    language when the notice is shown (`board`, its English name, stays for a board
    since removed)."""
    post_id = params["post_id"] if kind in ABOUT_POSTS else None
    notice = Notice(user_id=user.id, kind=kind, params=params, post_id=post_id)
    db.session.add(notice)
    count_notice(user.id)
    db.session.flush()
    if kind not in WEB_ONLY:
        queue(MailKind.NOTICE, user=user, payload={"notice": notice.id})
    return notice


def notice_total(user: User) -> int:
    return db.session.scalar(select(func.count()).where(Notice.user_id == user.id)) or 0


def recent_notices(user: User, *, page: int = 1, per_page: int = 50) -> list[Notice]:
    """A page of the person's notices, newest first."""
    return list(
        db.session.scalars(
            select(Notice)
            .where(Notice.user_id == user.id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )


@dataclass(frozen=True)
class ShownNotice:
    """A notice as its page shows it: its sentence and its link (None for none)."""

    notice: Notice
    text: Markup
    link: str | None


def shown(user: User, notices: list[Notice]) -> list[ShownNotice]:
    """The notices worded for their page, those about posts the person may no longer
    read (withdrawn, or on a board they left) saying only that, with no link."""
    post_ids = {notice.post_id for notice in notices if notice.post_id}
    posts = {}
    if post_ids:
        posts = {
            post.id: post
            for post in db.session.scalars(
                select(Post)
                .where(Post.id.in_(post_ids))
                .options(joinedload(Post.thread).joinedload(Thread.board))
            )
        }
    rows = []
    for notice in notices:
        if notice.post_id and not _still_readable(user, posts.get(notice.post_id)):
            rows.append(ShownNotice(notice, Markup.escape(_gone()), None))
        else:
            rows.append(ShownNotice(notice, describe_html(notice), link_for(notice)))
    return rows


def _still_readable(user: User, post: Post | None) -> bool:
    return post is not None and can_read_post(user, post)


def _gone() -> str:
    return _("The post this notice was about is no longer there.")


def mark_all_read(user: User) -> None:
    db.session.execute(
        update(Notice)
        .where(Notice.user_id == user.id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    user.unread_notices = 0
    db.session.flush()


def open_notice(user: User, notice_id: int) -> str | None:
    """Mark one of the person's notices read; where it leads (None: nowhere now)."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.user_id != user.id:
        return None
    marked = db.session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    if marked.rowcount:
        db.session.execute(
            update(User)
            .where(User.id == user.id, User.unread_notices > 0)
            .values(unread_notices=User.unread_notices - 1)
        )
    db.session.flush()
    [row] = shown(user, [notice])
    return row.link


def link_for(notice: Notice) -> str | None:
    if "post_id" in notice.params:
        return url_for("posts.permalink", post_id=notice.params["post_id"])
    if "entry_id" in notice.params:
        return url_for("stocktaking.entry", entry_id=notice.params["entry_id"])
    if "requests_slug" in notice.params:
        return url_for("consultations.board_consultations", slug=notice.params["requests_slug"])
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
        "reply": lambda: _("%(author)s replied to your post in “%(thread)s”.", **params),
        "mention": lambda: _("%(author)s mentioned you in “%(thread)s”.", **params),
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
        "entry_waiting": lambda: _(
            "The stocktaking entry “%(entry)s” waits for your review.", **params
        ),
        "entry_published": lambda: _("Your stocktaking entry “%(entry)s” was published.", **params),
        "entry_returned": lambda: _(
            "The coordinators ask for changes to your stocktaking entry “%(entry)s”: %(reason)s",
            **params,
        ),
        "entry_rejected": lambda: _(
            "Your stocktaking entry “%(entry)s” was not accepted: %(reason)s", **params
        ),
        "entry_stale": lambda: _(
            "Your stocktaking entry “%(entry)s” has not been updated for a year. Is it still "
            "accurate? Confirm it or update it on its page.",
            **params,
        ),
        "listing_requested": lambda: _(
            "The consultation “%(thread)s” asks to be listed on %(board)s: accept or decline.",
            **params,
        ),
        "listing_accepted": lambda: _(
            "%(board)s now lists the consultation “%(thread)s”.", **params
        ),
        "listing_declined": lambda: _(
            "%(board)s declined to list the consultation “%(thread)s”.", **params
        ),
        "mail_bouncing": lambda: _(
            "Mail to your address bounces, so the forum stopped sending it. Use the link in "
            "the message we sent you, or change your address in your settings.",
            **params,
        ),
    }
    text = texts.get(notice.kind)
    return text() if text else notice.kind
