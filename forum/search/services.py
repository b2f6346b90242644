"""Keeping the search index in step with the database, and asking it questions."""

import re
from collections.abc import Iterable, Iterator
from functools import cache
from html import unescape
from pathlib import Path

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import Select, bindparam, delete, event, select
from sqlalchemy.orm import Session, joinedload

from forum import events
from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import writing
from forum.extensions import db
from forum.locks import exclusive
from forum.permissions import (
    Viewer,
    listed_on_clause,
    listed_threads_clause,
    readable_boards_clause,
    readable_threads_clause,
)
from forum.posts.models import Post, PostStatus, Thread
from forum.search.backend import Document, Query, Results
from forum.search.models import IndexQueueItem
from forum.search.pg_backend import PostgresBackend
from forum.search.whoosh_backend import IndexBusy, WhooshBackend

_TAG = re.compile(r"<[^>]+>")


def backend() -> WhooshBackend | PostgresBackend:
    return current_app.extensions["search"]


def engine_name(app: Flask) -> str:
    """`FORUM_SEARCH_BACKEND`, or by default `postgres` on PostgreSQL, `whoosh` otherwise."""
    chosen = app.config["SEARCH_BACKEND"]
    if chosen:
        if chosen not in {"whoosh", "postgres"}:
            raise ValueError(f"SEARCH_BACKEND must be whoosh or postgres, not {chosen!r}")
        return chosen
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return "postgres" if url.startswith("postgresql") else "whoosh"


def init_app(app: Flask) -> None:
    if engine_name(app) == "postgres":
        app.extensions["search"] = PostgresBackend()
    else:
        path = Path(app.config["SEARCH_INDEX_PATH"] or Path(app.instance_path) / "search-index")
        app.extensions["search"] = WhooshBackend(path)
    app.after_request(_drain_after_request)


# Recording what changed (inside the transaction of the change) ---------------------------


def enqueue(post_ids: Iterable[int]) -> None:
    """Have these posts' entries brought up to date: by PostgreSQL just before the
    transaction commits, or through the queue for Whoosh, which the worker drains in
    batches (and the request itself after its response, with SEARCH_INDEX_AFTER_REQUEST)."""
    post_ids = set(post_ids)
    if not post_ids:
        return
    if isinstance(backend(), PostgresBackend):
        db.session.info.setdefault(_PENDING, set()).update(post_ids)
        return
    db.session.execute(IndexQueueItem.__table__.insert(), [{"post_id": i} for i in post_ids])
    if has_request_context() and current_app.config["SEARCH_INDEX_AFTER_REQUEST"]:
        g.search_queue_touched = True


_PENDING = "search_pending_posts"


@event.listens_for(Session, "before_commit", insert=True)
def _index_before_commit(session: Session) -> None:
    """The PostgreSQL backend's rows for the posts this transaction changed, written in
    it: searchable, or gone from search, when it commits. First of the hooks before a
    commit: the counters' hook, which locks the rows everyone posting updates, is last."""
    post_ids = session.info.pop(_PENDING, None)
    if post_ids and has_app_context() and isinstance(backend(), PostgresBackend):
        documents = documents_for(post_ids, session=session)
        removals = post_ids - {document.post_id for document in documents}
        backend().apply(documents, removals, session=session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    """A rolled-back transaction's changes are gone, and so is the work they asked for."""
    if not previous_transaction.nested and not session.in_transaction():
        session.info.pop(_PENDING, None)


def _on_post(post: Post, **_details: object) -> None:
    enqueue([post.id])


def _on_thread(thread: Thread, **_details: object) -> None:
    enqueue(db.session.scalars(select(Post.id).where(Post.thread_id == thread.id)))


def _on_author(user: User, **_details: object) -> None:
    enqueue(db.session.scalars(select(Post.id).where(Post.author_id == user.id)))


events.post_published.connect(_on_post)
events.post_edited.connect(_on_post)
events.post_withdrawn.connect(_on_post)
events.thread_changed.connect(_on_thread)
events.author_changed.connect(_on_author)


# Applying it to the index ---------------------------------------------------------------


def plain_text(html: str) -> str:
    """Text of HTML that this forum sanitised itself (tags gone, entities decoded): cheap
    enough to run over every post when the index is rebuilt."""
    return " ".join(unescape(_TAG.sub(" ", html)).split())


def _indexable() -> tuple:
    return (
        Post.status == PostStatus.PUBLISHED,
        listed_threads_clause(),
    )


def document_rows():
    """The columns a document needs, in one select: loading whole posts, authors and
    threads as objects took a tenth of a full rebuild."""
    return (
        select(
            Post.id,
            Post.thread_id,
            Thread.board_id,
            Board.section_id,
            Post.author_id,
            User.stakeholder_group,
            User.country,
            Thread.title,
            Post.body_html,
            User.display_name,
            User.organisation,
            Post.created_at,
            Post.language,
        )
        .join(Post.thread)
        .join(Thread.board)
        .join(Post.author)
        .where(*_indexable())
    )


def _document(row) -> Document:
    return Document(
        post_id=row.id,
        thread_id=row.thread_id,
        board_id=row.board_id,
        section_id=row.section_id,
        author_id=row.author_id,
        group=row.stakeholder_group.value,
        country=row.country or "",
        title=row.title,
        body=plain_text(row.body_html),
        author_name=row.display_name,
        organisation=row.organisation,
        created_at=row.created_at,
        language=row.language,
    )


def documents_for(post_ids: Iterable[int], *, session: Session | None = None) -> list[Document]:
    rows = (session or db.session).execute(_documents_query(), {"post_ids": list(post_ids)})
    return [_document(row) for row in rows]


@cache
def _documents_query() -> Select:
    """`document_rows` of some posts, built once (every post written runs it)."""
    return document_rows().where(Post.id.in_(bindparam("post_ids", expanding=True)))


def drain(limit: int = 500) -> int:
    """Bring the Whoosh index up to date (see `_drain_whoosh`); PostgreSQL has no queue."""
    if isinstance(backend(), PostgresBackend):
        return 0
    return _drain_whoosh(limit)


def _drain_whoosh(limit: int) -> int:
    """Bring the index up to date for up to `limit` queued posts; returns how many.
    Leaves the queue as it is when another process holds the index.

    One drain at a time (`turn`): the queue and the posts are read in a read-only
    transaction, the index written, then the queue rows taken off in a short write, so
    the write lock (SQLite) is never held while the index is written. On PostgreSQL the
    turn is also taken in the database, for workers on other machines writing one index."""
    with backend().turn(), exclusive("search-index") as ours:
        if not ours:
            raise IndexBusy("another worker is updating the index")
        items = db.session.execute(
            select(IndexQueueItem.id, IndexQueueItem.post_id)
            .order_by(IndexQueueItem.id)
            .limit(limit)
        ).all()
        post_ids = {post_id for _, post_id in items}
        documents = documents_for(post_ids) if items else []
        db.session.commit()
        if not items:
            return 0
        removals = post_ids - {document.post_id for document in documents}
        backend().apply(documents, removals)
        with writing():
            db.session.execute(
                delete(IndexQueueItem).where(IndexQueueItem.id.in_([i for i, _ in items]))
            )
            db.session.commit()
    return len(items)


def _drain_after_request(response):
    """Index what this request changed once its response has gone out (only with
    SEARCH_INDEX_AFTER_REQUEST: otherwise the worker does, many posts in one commit of
    the index, and the web process answers the next request sooner)."""
    if g.pop("search_queue_touched", False):
        app = current_app._get_current_object()

        def drain_quietly() -> None:
            """The response has gone: whatever happens here, the worker catches up."""
            with app.app_context():
                try:
                    drain()
                except IndexBusy:
                    db.session.rollback()
                except Exception as error:
                    db.session.rollback()
                    app.logger.warning(
                        "search indexing after a request failed; the worker will catch up: %s",
                        error,
                    )

        response.call_on_close(drain_quietly)
    return response


def all_documents(batch: int = 5000) -> Iterator[list[Document]]:
    """Every indexable post, in batches, for a rebuild."""
    last_id = 0
    while True:
        query = document_rows().where(Post.id > last_id).order_by(Post.id).limit(batch)
        rows = db.session.execute(query).all()
        if not rows:
            return
        yield [_document(row) for row in rows]
        last_id = rows[-1][0]


# Asking ---------------------------------------------------------------------------------


def hidden_board_ids(viewer: Viewer) -> list[int]:
    """Boards this viewer may not read, by the same rule as every listing."""
    return list(db.session.scalars(select(Board.id).where(~readable_boards_clause(viewer))))


def reachable_thread_ids(viewer: Viewer) -> list[int]:
    """Consultations of boards this viewer may not read, listed on one they may read."""
    return list(
        db.session.scalars(
            select(Thread.id)
            .join(Thread.board)
            .where(
                Thread.is_consultation,
                ~readable_boards_clause(viewer),
                readable_threads_clause(viewer),
            )
        )
    )


def listed_thread_ids(board: Board) -> list[int]:
    """Consultations of other boards that this board lists: its search facet has them."""
    return list(
        db.session.scalars(
            select(Thread.id).where(
                Thread.is_consultation, Thread.board_id != board.id, listed_on_clause(board.id)
            )
        )
    )


def search(viewer: Viewer, query: Query) -> tuple[Results, list[Post]]:
    """Results for this viewer, and their posts loaded and checked once more."""
    results = backend().search(query)
    posts = {
        post.id: post
        for post in db.session.scalars(
            select(Post)
            .join(Post.thread)
            .join(Thread.board)
            .where(Post.id.in_(results.post_ids), *_indexable(), readable_threads_clause(viewer))
            .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.board))
        )
    }
    return results, [posts[post_id] for post_id in results.post_ids if post_id in posts]
