"""Read-side queries for board listings, filtered by the permissions module."""

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from forum.boards.models import Board, Section
from forum.extensions import db
from forum.permissions import Viewer, readable_boards_clause
from forum.posts.models import Post, Thread


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
            joinedload(Board.last_post).joinedload(Post.author),
            joinedload(Board.last_post).joinedload(Post.thread),
        )
        .order_by(Board.position)
    ).all()
    listings: dict[int, SectionListing] = {}
    for board in boards:
        listing = listings.setdefault(board.section_id, SectionListing(board.section, []))
        listing.boards.append(board)
    return sorted(listings.values(), key=lambda item: item.section.position)


def board_by_slug(slug: str) -> Board | None:
    return db.session.scalar(
        select(Board).where(Board.slug == slug).options(joinedload(Board.parent))
    )


def child_boards(board: Board, viewer: Viewer) -> list[Board]:
    return list(
        db.session.scalars(
            select(Board)
            .where(Board.parent_id == board.id, readable_boards_clause(viewer))
            .order_by(Board.position)
        )
    )


def board_threads(board: Board, *, page: int, per_page: int) -> list[Thread]:
    """One page of threads: pinned first, then most recently active."""
    query: Select[tuple[Thread]] = (
        select(Thread)
        .where(Thread.board_id == board.id, Thread.post_count > 0)
        .options(
            joinedload(Thread.author),
            joinedload(Thread.last_post).joinedload(Post.author),
        )
        .order_by(Thread.is_pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(db.session.scalars(query))
