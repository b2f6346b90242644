"""What waits for moderators, and the moderation log, filtered by the permissions module."""

from collections.abc import Collection

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.moderation.models import Flag, LogEntry
from forum.permissions import Viewer, moderated_board_ids, readable_boards_clause
from forum.posts.models import Post, PostStatus, Thread


def _in_boards(query: Select, board_ids: Collection[int] | None) -> Select:
    return query if board_ids is None else query.where(Thread.board_id.in_(board_ids))


def _few_in_boards(query: Select, board_ids: Collection[int] | None) -> Select:
    """`_in_boards` for a query that starts from a few rows (held posts, open flags):
    `+ 0` keeps the boards' index out of the plan, which SQLite would otherwise follow
    through every thread and post of the boards (a cost that grows with their size)."""
    return query if board_ids is None else query.where((Thread.board_id + 0).in_(board_ids))


_LIVE_THREAD = (Thread.is_deleted.is_(False), Thread.merged_into_id.is_(None))
_FLAGGABLE = (PostStatus.PUBLISHED, PostStatus.HIDDEN)


def waiting_count(viewer: Viewer) -> int:
    """Held posts and posts with open flags in the boards this viewer moderates."""
    board_ids = moderated_board_ids(viewer)
    if board_ids is not None and not board_ids:
        return 0
    held = _few_in_boards(
        select(func.count())
        .select_from(Post)
        .join(Post.thread)
        .where(Post.status == PostStatus.PENDING, *_LIVE_THREAD),
        board_ids,
    )
    flagged = _few_in_boards(
        select(func.count(func.distinct(Flag.post_id)))
        .select_from(Flag)
        .join(Post, Post.id == Flag.post_id)
        .join(Post.thread)
        .where(Flag.resolved_at.is_(None), Post.status.in_(_FLAGGABLE), *_LIVE_THREAD),
        board_ids,
    )
    return (
        db.session.execute(select(held.scalar_subquery() + flagged.scalar_subquery())).scalar() or 0
    )


def held_posts(viewer: Viewer, board: Board | None = None, limit: int = 100) -> list[Post]:
    """Posts waiting for approval, oldest first."""
    query = _queue_query(viewer, board).where(Post.status == PostStatus.PENDING)
    return list(db.session.scalars(query.order_by(Post.created_at, Post.id).limit(limit)))


def flagged_posts(viewer: Viewer, board: Board | None = None, limit: int = 100) -> list[Post]:
    """Posts with open flags, oldest flag first, with their flags loaded."""
    open_flags = select(Flag.post_id).where(Flag.resolved_at.is_(None))
    query = _queue_query(viewer, board).where(Post.id.in_(open_flags), Post.status.in_(_FLAGGABLE))
    return list(db.session.scalars(query.order_by(Post.created_at, Post.id).limit(limit)))


def open_flags_by_post(posts: list[Post]) -> dict[int, list[Flag]]:
    flags = db.session.scalars(
        select(Flag)
        .where(Flag.post_id.in_([p.id for p in posts]), Flag.resolved_at.is_(None))
        .options(joinedload(Flag.user))
        .order_by(Flag.created_at)
    )
    grouped: dict[int, list[Flag]] = {}
    for flag in flags:
        grouped.setdefault(flag.post_id, []).append(flag)
    return grouped


def _queue_query(viewer: Viewer, board: Board | None) -> Select:
    query = (
        select(Post)
        .join(Post.thread)
        .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.board))
    )
    query = _in_boards(query, moderated_board_ids(viewer)).where(*_LIVE_THREAD)
    return query.where(Thread.board_id == board.id) if board is not None else query


def board_log(board: Board, *, page: int, per_page: int) -> list[LogEntry]:
    return list(
        db.session.scalars(
            select(LogEntry)
            .where(LogEntry.board_id == board.id)
            .options(joinedload(LogEntry.actor), joinedload(LogEntry.subject))
            .order_by(LogEntry.created_at.desc(), LogEntry.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )


def board_log_total(board: Board) -> int:
    return db.session.scalar(select(func.count()).where(LogEntry.board_id == board.id)) or 0


def _visible_log(viewer: Viewer) -> Select:
    """Entries of boards the viewer may read, and those about accounts (no board)."""
    readable = select(Board.id).where(readable_boards_clause(viewer))
    return select(LogEntry).where(LogEntry.board_id.is_(None) | LogEntry.board_id.in_(readable))


def site_log(viewer: Viewer, *, page: int, per_page: int) -> list[LogEntry]:
    return list(
        db.session.scalars(
            _visible_log(viewer)
            .options(
                joinedload(LogEntry.actor), joinedload(LogEntry.subject), joinedload(LogEntry.board)
            )
            .order_by(LogEntry.created_at.desc(), LogEntry.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )


def site_log_total(viewer: Viewer) -> int:
    counted = _visible_log(viewer).with_only_columns(func.count())
    return db.session.scalar(counted) or 0


def moderated_boards(viewer: Viewer) -> list[Board]:
    board_ids = moderated_board_ids(viewer)
    query = select(Board).order_by(Board.position)
    if board_ids is not None:
        query = query.where(Board.id.in_(board_ids))
    return list(db.session.scalars(query))


def posts_by_ids(ids: Collection[int]) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.id.in_(ids))
            .options(joinedload(Post.thread).joinedload(Thread.board), joinedload(Post.author))
        )
    )


def user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)
