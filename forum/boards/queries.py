"""Read-side queries for board listings, filtered by the permissions module."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import ColumnElement, Select, bindparam, func, select, union_all
from sqlalchemy.orm import joinedload, with_expression
from sqlalchemy.orm.strategy_options import _AbstractLoad

from forum.accounts.models import User
from forum.boards.models import Board, BoardRole, Role, Section
from forum.extensions import db
from forum.permissions import (
    Viewer,
    listed_elsewhere_clause,
    listed_elsewhere_count,
    listed_threads_clause,
    readable_boards_clause,
    readable_threads_clause,
)
from forum.posts.models import Post, Thread


def _last_post_summary(last_post: _AbstractLoad) -> _AbstractLoad:
    """What listings show of a last post: who and when, never its body."""
    return (
        last_post.load_only(Post.id, Post.thread_id, Post.author_id, Post.created_at)
        .joinedload(Post.author)
        .load_only(User.id, User.stored_name, User.deleted_at)
    )


@dataclass
class SectionListing:
    section: Section
    boards: list[Board]


def home_sections(viewer: Viewer) -> list[SectionListing]:
    """Sections with the boards this viewer may read, each with its last post and author."""
    boards = db.session.scalars(
        select(Board)
        .where(readable_boards_clause(viewer))
        .options(
            joinedload(Board.section),
            _last_post_summary(joinedload(Board.last_post)),
            joinedload(Board.last_post).joinedload(Post.thread).load_only(Thread.id, Thread.title),
        )
        .order_by(Board.position)
    ).all()
    listings: dict[int, SectionListing] = {}
    for board in boards:
        listing = listings.setdefault(board.section_id, SectionListing(board.section, []))
        listing.boards.append(board)
    return sorted(listings.values(), key=lambda item: item.section.position)


def last_change(viewer: Viewer) -> datetime | None:
    """When any board this viewer may read last changed: the home page's version."""
    return db.session.scalar(
        select(func.max(Board.changed_at)).where(readable_boards_clause(viewer))
    )


def board_by_slug(slug: str) -> Board | None:
    """A board with its parent and its team (roles and their people), in one query."""
    return (
        db.session.scalars(
            select(Board)
            .where(Board.slug == slug)
            .options(
                joinedload(Board.parent),
                joinedload(Board.roles).joinedload(BoardRole.user),
                with_expression(Board.listed_elsewhere, listed_elsewhere_count()),
            )
        )
        .unique()
        .first()
    )


def team(board: Board) -> list[BoardRole]:
    """Coordinators, members and banned people of a board, coordinators first."""
    order = {Role.COORDINATOR: 0, Role.MEMBER: 1, Role.BANNED: 2}
    return sorted(board.roles, key=lambda r: (order[r.role], r.user.display_name.lower()))


def child_boards(board: Board, viewer: Viewer) -> list[Board]:
    return list(
        db.session.scalars(
            select(Board)
            .where(Board.parent_id == board.id, readable_boards_clause(viewer))
            .order_by(Board.position)
        )
    )


@cache
def _board_threads_query() -> Select[tuple[Thread]]:
    board_id = bindparam("board_id")
    columns = (Thread.id, Thread.is_pinned, Thread.last_activity_at)
    own = select(*columns).where(Thread.board_id == board_id, listed_threads_clause())
    elsewhere = select(*columns).where(listed_elsewhere_clause(board_id), listed_threads_clause())
    listing = union_all(own, elsewhere)
    ids = (
        listing.order_by(
            listing.selected_columns.is_pinned.desc(),
            listing.selected_columns.last_activity_at.desc(),
            listing.selected_columns.id.desc(),
        )
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery()
    )
    return (
        select(Thread)
        .join(ids, ids.c.id == Thread.id)
        .options(
            joinedload(Thread.author).load_only(User.id, User.stored_name, User.deleted_at),
            _last_post_summary(joinedload(Thread.last_post)),
        )
        .order_by(Thread.is_pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
    )


def board_threads(board: Board, *, page: int, per_page: int) -> list[Thread]:
    """One page of threads: pinned first, then most recently active.

    The page's thread ids are found first and only those threads are joined to their
    authors and last posts. The board's own threads are read in the order of its listing
    index, which holds every column the listing tests, so that OFFSET (page 67 of 2,000
    threads) skips index entries, never rows; the consultations of other boards it
    lists, few, are merged in. One condition with OR for both sorted every thread of
    the board for every page. The statement is built once, with bound parameters."""
    params = {"board_id": board.id, "limit": per_page, "offset": (page - 1) * per_page}
    return list(db.session.scalars(_board_threads_query(), params))


def _latest_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Listed threads this viewer may read, on their own board or through another."""
    return readable_threads_clause(viewer) & listed_threads_clause()


def latest_thread_total(viewer: Viewer) -> int:
    """How many threads the Latest page lists for this viewer."""
    total = db.session.scalar(
        select(func.count()).select_from(Thread).join(Thread.board).where(_latest_clause(viewer))
    )
    return total or 0


def latest_threads(viewer: Viewer, *, newest: bool, page: int, per_page: int) -> list[Thread]:
    """One page of the threads of every board this viewer may read: the most recently
    active first, or with `newest` the most recently started."""
    order = Thread.created_at if newest else Thread.last_activity_at
    return list(
        db.session.scalars(
            select(Thread)
            .join(Thread.board)
            .where(_latest_clause(viewer))
            .options(
                joinedload(Thread.board),
                joinedload(Thread.author).load_only(User.id, User.display_name),
                _last_post_summary(joinedload(Thread.last_post)),
            )
            .order_by(order.desc(), Thread.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
