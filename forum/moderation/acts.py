"""What every moderation act shares: its errors, the permission check, the log entry,
and the compare-and-set change of a post's state.

Each act (posts_acts, threads_acts, members) checks the permission module, changes
state, leaves one entry in the moderation log, tells the people concerned, and
flushes; the caller commits. State changes of posts are compare-and-set updates
(`transition`), so when two coordinators act on the same post at once exactly one act
happens and is logged; the other gets AlreadyHandled.
"""

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import update

from forum.accounts.models import User
from forum.boards.models import Board, ReadPolicy
from forum.db import utcnow
from forum.extensions import db
from forum.moderation.models import LogAction, LogEntry
from forum.permissions import Action, can
from forum.posts.models import Post, PostStatus, Thread


class ModerationError(Exception):
    """An act that is not allowed or not possible; the message is for the moderator."""


class AlreadyHandled(ModerationError):
    """Someone else acted on this item first."""


def is_public(board: Board) -> bool:
    return board.read_policy == ReadPolicy.PUBLIC


def require_permission(user: User, action: Action, target: Any = None) -> None:
    if not can(user, action, target):
        raise ModerationError(_("You cannot do this here."))


def record(
    action: LogAction,
    *,
    actor: User | None,
    board: Board | None = None,
    thread: Thread | None = None,
    post: Post | None = None,
    subject: User | None = None,
    reason: str = "",
    **details: Any,
) -> LogEntry:
    entry = LogEntry(
        action=action,
        actor_id=actor.id if actor else None,
        board_id=board.id if board else None,
        thread_id=thread.id if thread else None,
        post_id=post.id if post else None,
        subject_id=subject.id if subject else None,
        reason=reason.strip(),
        details=details,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def transition(
    post: Post, *, from_: Sequence[PostStatus], to: PostStatus, actor: User | None, reason: str = ""
) -> PostStatus:
    """Move a post between states atomically; returns the state it had."""
    before = post.status
    result = db.session.execute(
        update(Post)
        .where(Post.id == post.id, Post.status.in_(from_))
        .values(
            status=to,
            moderated_at=utcnow(),
            moderated_by_id=actor.id if actor else None,
            moderation_reason=reason.strip(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(post)
        raise AlreadyHandled(_("Someone has already handled this post."))
    db.session.expire(post, ["status", "moderated_at", "moderated_by_id", "moderation_reason"])
    return before


def record_on_post(action: LogAction, actor: User | None, post: Post, **fields: Any) -> None:
    """A log entry about one post: its board, thread and author filled in."""
    record(action, actor=actor, board=post.thread.board, thread=post.thread, post=post,
           subject=post.author, **fields)  # fmt: skip
