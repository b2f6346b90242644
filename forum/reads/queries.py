"""What is new for a signed-in person: a post is new when it was published after the
latest of their account's creation, their mark on its board and their mark on its
thread. Listings ask once for a whole page of threads or boards."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import values_at_once
from forum.extensions import db
from forum.permissions import Viewer, account_of, listed_threads_clause, visible_posts_clause
from forum.posts.models import Post, Thread
from forum.reads.models import BoardRead, ThreadRead


def _newer_than_marks(account: User, moment: ColumnElement[datetime]) -> ColumnElement[bool]:
    """SQL condition: `moment` (of a thread, Thread joined) comes after the person's marks."""
    thread_mark = select(ThreadRead.read_up_to).where(
        ThreadRead.user_id == account.id, ThreadRead.thread_id == Thread.id
    )
    board_mark = select(BoardRead.read_up_to).where(
        BoardRead.user_id == account.id, BoardRead.board_id == Thread.board_id
    )
    return and_(
        moment > account.created_at,
        or_(~thread_mark.exists(), moment > thread_mark.scalar_subquery()),
        or_(~board_mark.exists(), moment > board_mark.scalar_subquery()),
    )


def unread_thread_ids(viewer: Viewer, threads: Iterable[Thread]) -> set[int]:
    """Which of these threads have posts new to this viewer (one query, none when no
    thread had a post since the account was made)."""
    account = account_of(viewer)
    if account is None:
        return set()
    candidates = [t.id for t in threads if t.last_activity_at > account.created_at]
    if not candidates:
        return set()
    return set(
        db.session.scalars(
            select(Thread.id).where(
                Thread.id.in_(candidates), _newer_than_marks(account, Thread.last_activity_at)
            )
        )
    )


def unread_board_ids(viewer: Viewer, board_ids: Iterable[int]) -> set[int]:
    """Which of these boards list a thread with posts new to this viewer (one query).

    Each board is asked whether one such thread exists, read in its listing index from
    the later of the account's creation and the person's mark on the board: what is
    older is never read, and the first thread found answers. (Asking for the distinct
    boards of every such thread read all of a big board's threads.)"""
    account = account_of(viewer)
    wanted = list(board_ids)
    if account is None or not wanted:
        return set()
    since = func.coalesce(
        select(BoardRead.read_up_to)
        .where(
            BoardRead.user_id == account.id,
            BoardRead.board_id == Board.id,
            BoardRead.read_up_to > account.created_at,
        )
        .correlate(Board)
        .scalar_subquery(),
        account.created_at,
    )
    thread_mark = select(ThreadRead.read_up_to).where(
        ThreadRead.user_id == account.id, ThreadRead.thread_id == Thread.id
    )
    unread = (
        select(Thread.id)
        .where(
            Thread.board_id == Board.id,
            # Both values named, so that the index (board, pinned, last activity) is
            # read as two ranges of last activity.
            Thread.is_pinned.in_([True, False]),
            Thread.last_activity_at > since,
            listed_threads_clause(),
            or_(~thread_mark.exists(), Thread.last_activity_at > thread_mark.scalar_subquery()),
        )
        .correlate(Board)
    )
    return set(db.session.scalars(select(Board.id).where(Board.id.in_(wanted), unread.exists())))


def read_up_to(viewer: Viewer, thread: Thread) -> datetime | None:
    """Up to when this viewer has read the thread (None for people not signed in)."""
    account = account_of(viewer)
    if account is None:
        return None
    return latest_mark(
        account, *values_at_once(*read_marks(account.id, thread.id, thread.board_id))
    )


def read_marks(
    user_id: int | ColumnElement[int],
    thread_id: int | ColumnElement[int],
    board_id: int | ColumnElement[int],
) -> tuple[Select[tuple[datetime]], ...]:
    """The person's marks on the thread and on its board: queries of one value each, for
    pages that ask them with others in one round trip (values, or bound parameters)."""
    thread_mark = select(ThreadRead.read_up_to).where(
        ThreadRead.user_id == user_id, ThreadRead.thread_id == thread_id
    )
    board_mark = select(BoardRead.read_up_to).where(
        BoardRead.user_id == user_id, BoardRead.board_id == board_id
    )
    return thread_mark, board_mark


def latest_mark(account: User, *marks: datetime | None) -> datetime:
    """Up to when the person has read, from the values of `read_marks`."""
    return max(mark for mark in (account.created_at, *marks) if mark is not None)


def first_unread_post(viewer: Viewer, thread: Thread) -> Post | None:
    """The earliest post of the thread this viewer sees that is new to them."""
    mark = read_up_to(viewer, thread)
    if mark is None:
        return None
    return db.session.scalar(
        select(Post)
        .where(
            Post.thread_id == thread.id,
            visible_posts_clause(viewer, thread.board),
            Post.created_at > mark,
        )
        .order_by(Post.created_at, Post.id)
        .limit(1)
    )
