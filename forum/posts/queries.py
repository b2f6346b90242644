"""Read-side queries for threads and posts, filtered by the permissions module."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import ColumnElement, Row, Select, bindparam, func, select
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import core_execute
from forum.extensions import db
from forum.permissions import (
    Viewer,
    Visibility,
    account_of,
    listed_on_clause,
    listed_threads_clause,
    moderation_board,
    readable_threads_clause,
    visibility,
    visible_posts_clause,
    visible_posts_of,
)
from forum.posts.models import Post, PostStatus, Thread


@cache
def _thread_with_board_query() -> Select[tuple[Thread]]:
    return (
        select(Thread).where(Thread.id == bindparam("thread_id")).options(joinedload(Thread.board))
    )


def thread_with_board(thread_id: int) -> Thread | None:
    return db.session.scalar(_thread_with_board_query(), {"thread_id": thread_id})


def submitted_post(author: User, token: str | None) -> Post | None:
    """The post this person already wrote with this form, if they send it again."""
    if not token:
        return None
    return db.session.scalar(
        select(Post).where(Post.author_id == author.id, Post.submission_token == token)
    )


def visible_total_query(
    kind: Visibility, viewer_id: int | ColumnElement[int], thread_id: int | ColumnElement[int]
) -> Select[tuple[int]]:
    """The COUNT of the posts of a thread that a viewer of this kind sees (values, or bound
    parameters)."""
    return (
        select(func.count())
        .select_from(Post)
        .where(Post.thread_id == thread_id, visible_posts_of(kind, viewer_id))
    )


# What a thread page shows of each post and its author: columns, not objects.
_PAGE_COLUMNS = (
    Post.id,
    Post.author_id,
    Post.status,
    Post.created_at,
    Post.edited_at,
    Post.edited_by_id,
    Post.language,
    Post.body_html,
    Post.moderation_reason,
    Post.reply_to_id,
    User.stored_name.label("author_name"),
    User.deleted_at.label("author_deleted_at"),
    User.stakeholder_group.label("author_group"),
    User.organisation.label("author_organisation"),
    User.country.label("author_country"),
)


@cache
def _page_posts_query(kind: Visibility) -> Select[tuple]:
    return (
        select(*_PAGE_COLUMNS)
        .join(User, User.id == Post.author_id)
        .where(
            Post.thread_id == bindparam("thread_id"),
            visible_posts_of(kind, bindparam("viewer_id")),
        )
        .order_by(Post.created_at, Post.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def page_posts(thread: Thread, viewer: Viewer, *, page: int, per_page: int) -> list[Row]:
    """One page of the posts of a thread this viewer sees, as rows of `_PAGE_COLUMNS`."""
    account = account_of(viewer)
    params = {
        "thread_id": thread.id,
        "viewer_id": account.id if account is not None else 0,
        "limit": per_page,
        "offset": (page - 1) * per_page,
    }
    query = _page_posts_query(visibility(viewer, moderation_board(viewer, thread)))
    return list(core_execute(query, params))


def thread_posts(thread: Thread, viewer: Viewer, *, page: int, per_page: int) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .where(
                Post.thread_id == thread.id,
                visible_posts_clause(viewer, moderation_board(viewer, thread)),
            )
            .options(joinedload(Post.author))
            .order_by(Post.created_at, Post.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )


def listed_posts(viewer: Viewer, board: Board | None = None) -> Select[tuple[Post]]:
    """Posts this viewer sees in the listed threads of the boards they may read (of one
    board, or of all), by the rule of the thread pages: what feeds list."""
    query = (
        select(Post)
        .join(Post.thread)
        .join(Thread.board)
        .where(
            readable_threads_clause(viewer),
            listed_threads_clause(),
            visible_posts_clause(viewer, board),
        )
    )
    return query if board is None else query.where(listed_on_clause(board.id))


@dataclass(frozen=True)
class Answered:
    """A post that others on a thread page answer: who wrote it and its number there."""

    id: int
    author_name: str
    number: int


def answered_posts(
    thread: Thread, viewer: Viewer, posts: list[Post] | list[Row]
) -> dict[int, Answered]:
    """The posts that these posts answer, other than the thread's first post, numbered
    as this viewer sees the thread (one query, whatever page they stand on)."""
    wanted = {
        post.reply_to_id
        for post in posts
        if post.reply_to_id is not None and post.reply_to_id != thread.first_post_id
    }
    if not wanted:
        return {}
    numbered = (
        select(
            Post.id,
            Post.author_id,
            func.row_number().over(order_by=(Post.created_at, Post.id)).label("number"),
        )
        .where(
            Post.thread_id == thread.id,
            visible_posts_clause(viewer, moderation_board(viewer, thread)),
        )
        .subquery()
    )
    rows = db.session.execute(
        select(numbered.c.id, User, numbered.c.number)
        .join(User, User.id == numbered.c.author_id)
        .where(numbered.c.id.in_(wanted))
    )
    return {row.id: Answered(row.id, row.User.display_name, row.number) for row in rows}


def post_with_thread(post_id: int) -> Post | None:
    return db.session.scalar(
        select(Post)
        .where(Post.id == post_id)
        .options(joinedload(Post.thread).joinedload(Thread.board), joinedload(Post.author))
    )


def post_page(post: Post, viewer: Viewer, per_page: int) -> int:
    """The page of its thread on which this post stands for this viewer."""
    account = account_of(viewer)
    params = {
        "thread_id": post.thread_id,
        "viewer_id": account.id if account is not None else 0,
        "created_at": post.created_at,
        "post_id": post.id,
    }
    query = _posts_before_query(visibility(viewer, moderation_board(viewer, post.thread)))
    before = db.session.scalar(query, params) or 0  # after a flush: it may follow a change
    return before // per_page + 1


@cache
def _posts_before_query(kind: Visibility) -> Select[tuple[int]]:
    """How many posts of a thread that a viewer of this kind sees come before a post."""
    at = bindparam("created_at", type_=Post.created_at.type)
    earlier = (Post.created_at < at) | ((Post.created_at == at) & (Post.id < bindparam("post_id")))
    thread_id = bindparam("thread_id")
    return visible_total_query(kind, bindparam("viewer_id"), thread_id).where(earlier)


def recent_posts_by(user: User, *, viewer: Viewer, limit: int = 20) -> list[Post]:
    """A person's latest published posts in boards the viewer may read."""
    return list(
        db.session.scalars(
            select(Post)
            .join(Post.thread)
            .join(Thread.board)
            .where(
                Post.author_id == user.id,
                Post.status == PostStatus.PUBLISHED,
                listed_threads_clause(),
                readable_threads_clause(viewer),
            )
            .options(joinedload(Post.thread).joinedload(Thread.board))
            .order_by(Post.created_at.desc())
            .limit(limit)
        )
    )
