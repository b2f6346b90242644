"""Everything the forum holds about a person, for them to take away: a JSON document,
and their posts as an mbox file."""

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import selectinload

from forum.accounts.models import User, UserSession
from forum.archives.formats import mbox
from forum.boards.models import Board, BoardRole
from forum.extensions import db
from forum.inbound.models import InboundMessage
from forum.mail.models import MailSettings, Subscription, ThreadWatch
from forum.moderation.models import Flag, LogEntry
from forum.notices.models import Notice
from forum.posts.models import Post, Thread

FORMAT_VERSION = 1


def _plain(value: Any) -> Any:
    """A column's value as JSON holds it: times in ISO 8601 (UTC), enums by value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _columns(row: Any, *, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    skipped = set(leave_out)
    return {
        attribute.key: _plain(getattr(row, attribute.key))
        for attribute in inspect(row).mapper.column_attrs
        if attribute.key not in skipped
    }


def _profile(user: User) -> dict[str, Any]:
    profile = _columns(user, leave_out={"password_hash", "stored_name", "unread_notices"})
    profile["display_name"] = user.stored_name
    profile["roles"] = [
        {"board": role.board.code, "role": role.role.value}
        for role in db.session.scalars(
            select(BoardRole).where(BoardRole.user_id == user.id).order_by(BoardRole.id)
        )
    ]
    return profile


def _settings(user: User) -> dict[str, Any]:
    settings = db.session.get(MailSettings, user.id) or MailSettings.defaults_for(user.id)
    return {"locale": user.locale, "timezone": user.timezone, "mail": _columns(settings)}


def _subscriptions(user: User) -> dict[str, list[dict[str, Any]]]:
    boards = db.session.execute(
        select(Board.code, Subscription.mode)
        .join(Board, Board.id == Subscription.board_id)
        .where(Subscription.user_id == user.id)
        .order_by(Board.code)
    )
    threads = db.session.execute(
        select(Thread.id, Thread.title, ThreadWatch.mode)
        .join(Thread, Thread.id == ThreadWatch.thread_id)
        .where(ThreadWatch.user_id == user.id)
        .order_by(Thread.id)
    )
    return {
        "boards": [{"board": code, "mode": _plain(mode)} for code, mode in boards],
        "threads": [
            {"thread_id": thread_id, "title": title, "mode": _plain(mode)}
            for thread_id, title, mode in threads
        ],
    }


def own_posts(user: User) -> list[Post]:
    """Every post the person wrote, in any state, oldest first, with thread and board."""
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.author_id == user.id)
            .options(selectinload(Post.thread).selectinload(Thread.board))
            .options(selectinload(Post.revisions))
            .order_by(Post.created_at, Post.id)
        )
    )


def _post(post: Post) -> dict[str, Any]:
    """A post with its earlier versions; a version a moderator redacted is named, not given
    (it was hidden for what it said of someone)."""
    return {
        "id": post.id,
        "thread_id": post.thread_id,
        "thread_title": post.thread.title,
        "board": post.thread.board.code,
        "created_at": _plain(post.created_at),
        "edited_at": _plain(post.edited_at),
        "status": post.status.value,
        "source": post.source.value,
        "language": post.language,
        "reply_to_id": post.reply_to_id,
        "body": post.body_source,
        "revisions": [
            {
                "written_at": _plain(revision.written_at),
                "replaced_at": _plain(revision.replaced_at),
                "redacted": revision.redacted_at is not None,
                "body": None if revision.redacted_at is not None else revision.body_source,
            }
            for revision in post.revisions
        ],
    }


def _rows(model: Any, *conditions: Any, leave_out: Iterable[str] = ()) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(model).where(*conditions).order_by(model.id))
    return [_columns(row, leave_out=leave_out) for row in rows]


def personal_data(user: User) -> dict[str, Any]:
    """The JSON document of the account page's download."""
    return {
        "format": FORMAT_VERSION,
        "profile": _profile(user),
        "settings": _settings(user),
        "subscriptions": _subscriptions(user),
        "posts": [_post(post) for post in own_posts(user)],
        "flags": _rows(Flag, Flag.user_id == user.id, leave_out={"user_id", "resolved_by_id"}),
        "notices": _rows(Notice, Notice.user_id == user.id, leave_out={"user_id"}),
        "sessions": _rows(
            UserSession, UserSession.user_id == user.id, leave_out={"user_id", "token_hash"}
        ),
        "received_mail": _rows(
            InboundMessage,
            or_(InboundMessage.user_id == user.id, InboundMessage.from_address == user.email),
            leave_out={"raw", "user_id", "board_id", "full_text"},
        ),
        "moderation_log_about_you": _rows(
            LogEntry, LogEntry.subject_id == user.id, leave_out={"actor_id", "subject_id"}
        ),
    }


def posts_mbox(user: User) -> bytes:
    """The person's posts as an mboxrd file, thread by thread, as the archives write them."""
    by_thread: dict[int, list[Post]] = {}
    for post in own_posts(user):
        by_thread.setdefault(post.thread_id, []).append(post)
    return b"".join(mbox(posts, code=posts[0].thread.board.code) for posts in by_thread.values())
