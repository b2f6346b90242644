"""Moderation acts on threads: delete and restore, lock and pin, rename, move, split
and merge."""

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from forum import events
from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.moderation.acts import (
    AlreadyHandled,
    ModerationError,
    is_public,
    record,
    require_permission,
)
from forum.moderation.models import LogAction
from forum.permissions import Action, can
from forum.posts.counters import recount, recount_authors, recount_board, touch
from forum.posts.models import Post, PostStatus, Thread


def delete_thread(thread: Thread, actor: User, *, reason: str) -> None:
    require_permission(actor, Action.MODERATE_THREAD, thread)
    if thread.is_deleted:
        raise AlreadyHandled(_("This thread is deleted already."))
    if not reason.strip():
        raise ModerationError(_("Say why the thread is deleted."))
    _set_thread_deleted(thread, deleted=True)
    record(
        LogAction.DELETE_THREAD,
        actor=actor,
        board=thread.board,
        thread=thread,
        subject=thread.author,
        reason=reason,
        title=thread.title,
    )


def restore_thread(thread: Thread, admin: User) -> None:
    require_permission(admin, Action.RESTORE)
    if not thread.is_deleted:
        raise AlreadyHandled(_("This thread is not deleted."))
    _set_thread_deleted(thread, deleted=False)
    record(
        LogAction.RESTORE_THREAD,
        actor=admin,
        board=thread.board,
        thread=thread,
        subject=thread.author,
    )


def _set_thread_deleted(thread: Thread, *, deleted: bool) -> None:
    thread.is_deleted = deleted
    recount(thread)
    recount_authors(_author_ids(thread))
    for post in _published_posts(thread):
        if deleted:
            events.post_withdrawn.send(post, status=PostStatus.DELETED)
        else:
            events.post_published.send(post)


def _published_posts(thread: Thread) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post).where(Post.thread_id == thread.id, Post.status == PostStatus.PUBLISHED)
        )
    )


def _author_ids(thread: Thread) -> list[int]:
    return list(db.session.scalars(select(Post.author_id).where(Post.thread_id == thread.id)))


_THREAD_SWITCHES = {
    "is_locked": (
        LogAction.LOCK, LogAction.UNLOCK,
        _l("This thread is locked already."), _l("This thread is not locked."),
    ),
    "is_pinned": (
        LogAction.PIN, LogAction.UNPIN,
        _l("This thread is pinned already."), _l("This thread is not pinned."),
    ),
}  # fmt: skip


def _switch(thread: Thread, moderator: User, switch: str, value: bool, reason: str) -> None:
    """Lock or unlock, pin or unpin: the same act with different words."""
    require_permission(moderator, Action.MODERATE_THREAD, thread)
    on, off, already_on, already_off = _THREAD_SWITCHES[switch]
    if getattr(thread, switch) == value:
        raise AlreadyHandled(str(already_on if value else already_off))
    setattr(thread, switch, value)
    touch(thread)
    record(on if value else off, actor=moderator, board=thread.board, thread=thread, reason=reason)


def set_locked(thread: Thread, moderator: User, *, locked: bool, reason: str = "") -> None:
    _switch(thread, moderator, "is_locked", locked, reason)


def set_pinned(thread: Thread, moderator: User, *, pinned: bool, reason: str = "") -> None:
    _switch(thread, moderator, "is_pinned", pinned, reason)


def rename_thread(thread: Thread, moderator: User, *, title: str, reason: str = "") -> None:
    require_permission(moderator, Action.MODERATE_THREAD, thread)
    title = title.strip()
    if not title or title == thread.title:
        raise ModerationError(_("Give the thread a new title."))
    before = thread.title
    thread.title = title
    touch(thread)
    record(
        LogAction.RENAME,
        actor=moderator,
        board=thread.board,
        thread=thread,
        reason=reason,
        before=before,
        after=title,
    )
    events.thread_changed.send(thread)


def move_thread(thread: Thread, moderator: User, *, target: Board, reason: str = "") -> None:
    if target.id == thread.board_id:
        raise ModerationError(_("The thread is in that board already."))
    if not can(moderator, Action.MOVE_THREAD, (thread, target)):
        raise ModerationError(_("You can move threads only between boards you moderate."))
    source = thread.board
    touch(thread)
    thread.board = target
    db.session.flush()
    recount(thread)
    recount_board(source)
    for board, other in ((source, target), (target, source)):
        record(
            LogAction.MOVE,
            actor=moderator,
            board=board,
            thread=thread,
            reason=reason,
            from_board=source.code if other is target or is_public(source) else "",
            to_board=target.code if other is source or is_public(target) else "",
        )
    events.thread_changed.send(thread)


def split_thread(
    thread: Thread, moderator: User, *, posts: Iterable[Post], title: str, reason: str = ""
) -> Thread:
    """Move some replies of a thread into a new thread of the same board."""
    require_permission(moderator, Action.MODERATE_THREAD, thread)
    chosen = sorted(posts, key=lambda post: (post.created_at, post.id))
    if not chosen or not title.strip():
        raise ModerationError(_("Choose the replies to split off and a title for them."))
    if any(post.thread_id != thread.id or post.id == thread.first_post_id for post in chosen):
        raise ModerationError(_("Only replies of this thread can be split off."))
    first = chosen[0]
    new = Thread(
        board=thread.board,
        author_id=first.author_id,
        title=title.strip(),
        created_at=first.created_at,
        last_activity_at=first.created_at,
    )
    db.session.add(new)
    db.session.flush()
    for post in chosen:
        post.thread = new
    new.first_post = first
    db.session.flush()
    recount(new)
    recount(thread)
    record(
        LogAction.SPLIT,
        actor=moderator,
        board=thread.board,
        thread=thread,
        reason=reason,
        new_thread=new.id,
        posts=[post.id for post in chosen],
    )
    events.thread_changed.send(thread)
    events.thread_changed.send(new)
    return new


def merge_threads(source: Thread, target: Thread, moderator: User, *, reason: str = "") -> None:
    """Move every post of `source` into `target`; the source's address leads to the target."""
    if not can(moderator, Action.MERGE_THREADS, (source, target)):
        raise ModerationError(_("You can merge threads only within boards you moderate."))
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise AlreadyHandled(_("One of these threads has been merged already."))
    db.session.execute(
        update(Post)
        .where(Post.thread_id == source.id)
        .values(thread_id=target.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    source.merged_into_id = target.id
    source.first_post_id = source.last_post_id = None
    db.session.flush()
    recount(source)
    recount(target)
    for board in {source.board, target.board}:
        # A board's public log names the other thread only if that one is public too.
        visible = board.id == target.board_id or is_public(target.board)
        record(
            LogAction.MERGE,
            actor=moderator,
            board=board,
            thread=target if visible else None,
            reason=reason,
            merged_thread=source.id,
        )
    events.thread_changed.send(target)
