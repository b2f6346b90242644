"""The archives: months of each board, threads active in a month, posts for feeds."""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_login import AnonymousUserMixin
from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import contains_eager, joinedload

from forum.boards.models import Board
from forum.extensions import db
from forum.permissions import listed_on_clause, listed_threads_clause
from forum.posts.models import Post, PostStatus, Thread
from forum.posts.queries import listed_posts

FEED_SIZE = 30


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    posts: int
    threads: int


def _published_in(board: Board) -> tuple:
    return (
        listed_on_clause(board.id),
        Post.status == PostStatus.PUBLISHED,
        listed_threads_clause(),
    )


def months(board: Board) -> list[Month]:
    """Every month with published posts on this board, newest first, with counts."""
    year = extract("year", Post.created_at)
    month = extract("month", Post.created_at)
    rows = db.session.execute(
        select(year, month, func.count(Post.id), func.count(func.distinct(Post.thread_id)))
        .join(Post.thread)
        .where(*_published_in(board))
        .group_by(year, month)
        .order_by(year.desc(), month.desc())
    ).all()
    return [Month(int(y), int(m), posts, threads) for y, m, posts, threads in rows]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def threads_in_month(board: Board, year: int, month: int) -> list[tuple[Thread, int]]:
    """Threads with published posts in that month, with how many, in order of activity."""
    start, end = month_bounds(year, month)
    rows = db.session.execute(
        select(Thread, func.count(Post.id))
        .join(Post, Post.thread_id == Thread.id)
        .where(*_published_in(board), Post.created_at >= start, Post.created_at < end)
        .group_by(Thread.id)
        .order_by(func.min(Post.created_at))
        .options(joinedload(Thread.author))
    ).all()
    return [(thread, count) for thread, count in rows]


def posts_in_month(board: Board, year: int, month: int) -> list[Post]:
    start, end = month_bounds(year, month)
    return list(
        db.session.scalars(
            select(Post)
            .join(Post.thread)
            .where(*_published_in(board), Post.created_at >= start, Post.created_at < end)
            .options(joinedload(Post.author), joinedload(Post.thread))
            .order_by(Post.created_at, Post.id)
        )
    )


def thread_posts(thread: Thread) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.thread_id == thread.id, Post.status == PostStatus.PUBLISHED)
            .options(joinedload(Post.author), joinedload(Post.thread))
            .order_by(Post.created_at, Post.id)
        )
    )


def _feed_query(board: Board | None) -> Select[tuple[Post]]:
    """Posts that anyone without an account sees on the pages: feeds are read that way."""
    return listed_posts(AnonymousUserMixin(), board).options(
        joinedload(Post.author), contains_eager(Post.thread).contains_eager(Thread.board)
    )


def public_posts(*, board: Board | None = None, thread: Thread | None = None) -> list[Post]:
    """The latest posts an anonymous reader may see, for Atom feeds."""
    query = _feed_query(board if thread is None else thread.board)
    if thread is not None:
        query = query.where(Post.thread_id == thread.id)
    query = query.order_by(Post.created_at.desc(), Post.id.desc()).limit(FEED_SIZE)
    return list(db.session.scalars(query))


def opening_posts(board: Board) -> list[Post]:
    """The first posts of the board's newest threads, those an anonymous reader may see."""
    query = (
        _feed_query(board)
        .where(Post.id == Thread.first_post_id)
        .order_by(Thread.created_at.desc(), Thread.id.desc())
        .limit(FEED_SIZE)
    )
    return list(db.session.scalars(query))
