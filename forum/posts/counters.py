"""Counters and last-post pointers of threads, boards and people, and the change stamps
that version cached pages: moved by single UPDATE statements, recounted from the rows
they count."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, func, literal, or_, select, update

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import utcnow
from forum.extensions import db
from forum.permissions import consultation_boards, listed_threads_clause
from forum.posts.models import Post, PostStatus, Thread


def touch(thread: Thread, at: datetime | None = None) -> None:
    """Mark a thread and the boards that list it as changed (the pages' cache version)."""
    now = at or utcnow()
    thread.changed_at = now
    for listing in consultation_boards(thread):
        board: Board | None = listing
        while board is not None:
            board.changed_at = now
            board = board.parent


def count_published(post: Post) -> None:
    """Count a post that readers can now see. Counters and last-post pointers move in
    single UPDATE statements rather than by reading and writing them back, so that people
    posting at once never overwrite each other's."""
    thread, board = post.thread, post.thread.board
    touch(thread)
    db.session.flush()
    thread_posts = db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(post_count=Thread.post_count + 1, **_if_newest(Thread, post))
        .returning(Thread.post_count),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    _execute(
        update(Board)
        .where(Board.id == board.id)
        .values(
            thread_count=Board.thread_count + (1 if thread_posts == 1 else 0),
            post_count=Board.post_count + 1,
            **_if_newest(Board, post),
        )
    )
    _execute(update(User).where(User.id == post.author_id).values(post_count=User.post_count + 1))
    _forget_counts(thread, board, post.author)


_COUNTED = {
    Thread: ["post_count", "last_post_id", "last_post", "last_activity_at"],
    Board: ["post_count", "thread_count", "last_post_id", "last_post", "last_activity_at"],
    User: ["post_count"],
}


def _execute(statement) -> None:
    db.session.execute(statement, execution_options={"synchronize_session": False})


def _forget_counts(*objects: Thread | Board | User) -> None:
    """The counters just changed in the database: read them again when next needed."""
    for obj in objects:
        names = next(names for model, names in _COUNTED.items() if isinstance(obj, model))
        db.session.expire(obj, names)


def _if_newest(model: type[Thread] | type[Board], post: Post) -> dict:
    """SET clauses that make `post` the last post unless a later one is there already."""
    when = literal(post.created_at, model.last_activity_at.type)
    newer = model.last_activity_at.is_(None) | (model.last_activity_at <= when)
    return {
        "last_post_id": case((newer, post.id), else_=model.last_post_id),
        "last_activity_at": case((newer, when), else_=model.last_activity_at),
    }


def _lock(model: type[User], ids: Iterable[int]) -> None:
    """Wait for transactions that are counting into these rows, so that a recount reads
    what they wrote (PostgreSQL: each statement sees what was committed before it began)."""
    db.session.execute(
        select(model.id).where(model.id.in_(sorted(set(ids)))).order_by(model.id).with_for_update()
    )


def _thread_totals() -> dict:
    """SET clauses that count a thread's published posts and find its last one."""
    published = (Post.thread_id == Thread.id) & (Post.status == PostStatus.PUBLISHED)
    latest = select(Post).where(published).order_by(Post.created_at.desc(), Post.id.desc())
    latest = latest.limit(1)
    return {
        "post_count": select(func.count()).select_from(Post).where(published).scalar_subquery(),
        "last_post_id": func.coalesce(
            latest.with_only_columns(Post.id).scalar_subquery(), Thread.last_post_id
        ),
        "last_activity_at": func.coalesce(
            latest.with_only_columns(Post.created_at).scalar_subquery(), Thread.last_activity_at
        ),
    }


def _board_totals() -> dict:
    """SET clauses that count a board's listed threads and their posts."""
    listed = (Thread.board_id == Board.id) & listed_threads_clause()
    latest = select(Thread).where(listed).order_by(Thread.last_activity_at.desc()).limit(1)
    return {
        "thread_count": select(func.count()).select_from(Thread).where(listed).scalar_subquery(),
        "post_count": select(func.coalesce(func.sum(Thread.post_count), 0))
        .where(listed)
        .scalar_subquery(),
        "last_post_id": latest.with_only_columns(Thread.last_post_id).scalar_subquery(),
        "last_activity_at": latest.with_only_columns(Thread.last_activity_at).scalar_subquery(),
    }


def _author_totals() -> dict:
    """The SET clause that counts a person's published posts in threads not deleted."""
    counted = (
        select(func.count())
        .select_from(Post)
        .join(Post.thread)
        .where(
            Post.author_id == User.id,
            Post.status == PostStatus.PUBLISHED,
            Thread.is_deleted.is_(False),
        )
    )
    return {"post_count": counted.scalar_subquery()}


def recount(thread: Thread) -> None:
    """Counters and last post of a thread, its board and its authors, from the published
    posts: after anything takes posts away or moves them (hide, delete, split, merge)."""
    touch(thread)
    db.session.flush()  # updating its stamp locks the row: counts below see what others wrote
    _execute(update(Thread).where(Thread.id == thread.id).values(**_thread_totals()))
    _forget_counts(thread)
    recount_board(thread.board)


def recount_board(board: Board) -> None:
    board.changed_at = utcnow()
    db.session.flush()  # as in `recount`: the stamp's update locks the row first
    _execute(update(Board).where(Board.id == board.id).values(**_board_totals()))
    _forget_counts(board)


def recount_authors(author_ids: Iterable[int]) -> None:
    """People's published-post counts, for the authors whose posts just changed state."""
    ids = set(author_ids)
    if not ids:
        return
    _lock(User, ids)
    _execute(update(User).where(User.id.in_(ids)).values(**_author_totals()))
    users = [o for o in db.session.identity_map.values() if isinstance(o, User) and o.id in ids]
    _forget_counts(*users)


def recount_everything() -> dict[str, int]:
    """Every counter and last-post pointer from the rows they count (`flask forum
    recount`): repairs drift left by older versions. Returns how many rows were wrong."""
    corrected = {}
    for label, model, totals in (
        ("threads", Thread, _thread_totals()),
        ("boards", Board, _board_totals()),
        ("people", User, _author_totals()),
    ):
        wrong = or_(*(getattr(model, name).is_distinct_from(v) for name, v in totals.items()))
        result = db.session.execute(
            update(model).where(wrong).values(**totals),
            execution_options={"synchronize_session": False},
        )
        corrected[label] = result.rowcount
    db.session.expire_all()
    return corrected
