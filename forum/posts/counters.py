"""Counters and last-post pointers of threads, boards and people, and the change stamps
that version cached pages: moved by single UPDATE statements, recounted from the rows
they count."""

import copy
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Integer,
    Update,
    bindparam,
    case,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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
    for board in _stamped_boards(thread):
        board.changed_at = now


def count_published(post: Post) -> None:
    """Count a post that readers can now see. The thread's counters move at once, in one
    UPDATE that also returns them; its boards' and its author's move when the transaction
    commits (`_apply_at_commit`). Counters move by increments, never by reading and
    writing them back, so that people posting at once never overwrite each other's."""
    thread = post.thread
    now = utcnow()
    db.session.flush()
    changed = {"changed_at": now, "post_count": 1, "last_post": (post.created_at, post.id)}
    returning = ("post_count", "last_post_id", "last_activity_at")
    counted = _update_row(db.session, Thread, thread.id, changed, returning).one()
    for name, value in {**counted._asdict(), "changed_at": now}.items():
        set_committed_value(thread, name, value)
    db.session.expire(thread, ["last_post"])
    changes = _at_commit(db.session)
    for board in _stamped_boards(thread):
        changes.board(board.id, now)
    changes.board(thread.board_id, now).count(post, new_thread=counted.post_count == 1)
    changes.person(post.author_id).posts += 1


def count_notice(user_id: int) -> None:
    """One more unread notice for this person, counted when the transaction commits."""
    _at_commit(db.session).person(user_id).notices += 1


def stamp_reads(user_id: int, at: datetime) -> None:
    """The person's read marks changed (the version of their cached pages), stamped when
    the transaction commits."""
    _at_commit(db.session).person(user_id).reads_marked_at = at


def _stamped_boards(thread: Thread) -> Iterable[Board]:
    """The boards whose pages show this thread, and their parents."""
    for listing in consultation_boards(thread):
        board: Board | None = listing
        while board is not None:
            yield board
            board = board.parent


# Changes kept until commit ------------------------------------------------------------
#
# A board's row is what everyone posting in it updates. Its UPDATE locks the row until
# the transaction ends, so it is made last, just before the commit, with the people's
# rows after it, each kind in id order: people posting at once in one board then wait
# for each other only for those last statements, and never deadlock.


@dataclass
class _BoardChange:
    changed_at: datetime
    threads: int = 0
    posts: int = 0
    newest: tuple[datetime, int] | None = None  # (created_at, id) of the newest post

    def count(self, post: Post, *, new_thread: bool) -> None:
        self.posts += 1
        self.threads += 1 if new_thread else 0
        self.newest = max(self.newest or (post.created_at, post.id), (post.created_at, post.id))


@dataclass
class _PersonChange:
    posts: int = 0
    notices: int = 0
    reads_marked_at: datetime | None = None


@dataclass
class _Changes:
    boards: dict[int, _BoardChange] = field(default_factory=dict)
    people: dict[int, _PersonChange] = field(default_factory=dict)

    def board(self, board_id: int, at: datetime) -> _BoardChange:
        change = self.boards.setdefault(board_id, _BoardChange(at))
        change.changed_at = max(change.changed_at, at)
        return change

    def person(self, user_id: int) -> _PersonChange:
        return self.people.setdefault(user_id, _PersonChange())


_AT_COMMIT = "counters_at_commit"
_SAVEPOINTS = "counters_at_savepoints"


def _at_commit(session: Session) -> _Changes:
    return session.info.setdefault(_AT_COMMIT, _Changes())


def _board_changes(change: _BoardChange) -> dict:
    changes: dict = {"changed_at": change.changed_at}
    if change.posts:
        changes.update(
            post_count=change.posts, thread_count=change.threads, last_post=change.newest
        )
    return changes


def _person_changes(change: _PersonChange) -> dict:
    changes = {
        "post_count": change.posts,
        "unread_notices": change.notices,
        "reads_marked_at": change.reads_marked_at,
    }
    return {name: value for name, value in changes.items() if value}


@event.listens_for(Session, "before_commit")
def _apply_at_commit(session: Session) -> None:
    changes: _Changes | None = session.info.pop(_AT_COMMIT, None)
    if changes is None:
        return
    rows = [(Board, board_id, _board_changes(c)) for board_id, c in changes.boards.items()]
    rows += [(User, user_id, _person_changes(c)) for user_id, c in changes.people.items()]
    for model, row_id, changed in sorted(rows, key=lambda row: (row[0] is User, row[1])):
        if changed:
            _update_row(session, model, row_id, changed)
            if (obj := session.identity_map.get(identity_key(model, row_id))) is not None:
                session.expire(obj, [n for name in changed for n in _ATTRIBUTES.get(name, [name])])


_INCREMENTED = frozenset({"post_count", "thread_count", "unread_notices"})
_ATTRIBUTES = {"last_post": ["last_post_id", "last_activity_at", "last_post"]}


def _update_row(session: Session, model: type, row_id: int, changed: dict, returning=()):
    """UPDATE one row: counters in `changed` move by their value, "last_post" (a post's
    (created_at, id)) becomes the last post unless a later one is there, other columns
    are set. Statements are built once per set of columns."""
    params = {"row_id": row_id}
    for name, value in changed.items():
        if name == "last_post":
            params["newest_at"], params["newest_id"] = value
        else:
            params[name] = value
    statement = _counting_update(model, tuple(sorted(changed)), tuple(returning))
    return session.execute(statement, params, execution_options={"synchronize_session": False})


@cache
def _counting_update(model: type, names: tuple[str, ...], returning: tuple[str, ...]) -> Update:
    values: dict = {}
    for name in names:
        column = getattr(model, name, None)
        if name == "last_post":
            at = bindparam("newest_at", type_=model.last_activity_at.type)
            values.update(_if_newest(model, at, bindparam("newest_id", type_=Integer)))
        elif name in _INCREMENTED:
            values[name] = column + bindparam(name)
        else:
            values[name] = bindparam(name, type_=column.type)
    statement = update(model).where(model.id == bindparam("row_id")).values(**values)
    return statement.returning(*(getattr(model, name) for name in returning))


@event.listens_for(Session, "after_transaction_create")
def _remember_before_savepoint(session: Session, transaction: SessionTransaction) -> None:
    """What was kept before a savepoint, to go back to if it is rolled back."""
    if transaction.nested:
        saved = session.info.setdefault(_SAVEPOINTS, weakref.WeakKeyDictionary())
        saved[transaction] = copy.deepcopy(session.info.get(_AT_COMMIT))


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    """Changes of a rolled-back transaction are gone; a rolled-back savepoint's too."""
    if previous_transaction.nested:
        saved = session.info.get(_SAVEPOINTS, {})
        if previous_transaction in saved:
            session.info[_AT_COMMIT] = saved[previous_transaction] or _Changes()
        session.expire_all()  # counters set from RETURNING, which the savepoint undid
    elif not session.in_transaction():
        session.info.pop(_AT_COMMIT, None)
        session.info.pop(_SAVEPOINTS, None)


def _drop_counts(*, board_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> None:
    """Counts kept for these rows, which a recount is about to set from the rows
    themselves (stamps and other changes stay)."""
    changes: _Changes | None = db.session.info.get(_AT_COMMIT)
    if changes is None:
        return
    for board_id in board_ids:
        if (board := changes.boards.get(board_id)) is not None:
            board.threads = board.posts = 0
            board.newest = None
    for user_id in user_ids:
        if (person := changes.people.get(user_id)) is not None:
            person.posts = 0


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


def _if_newest(model: type[Thread] | type[Board], at: ColumnElement, post_id: ColumnElement):
    """SET clauses that make the post (`post_id`, written `at`) the last post unless a
    later one is there already."""
    newer = model.last_activity_at.is_(None) | (model.last_activity_at <= at)
    return {
        "last_post_id": case((newer, post_id), else_=model.last_post_id),
        "last_activity_at": case((newer, at), else_=model.last_activity_at),
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
    _drop_counts(board_ids=[board.id])
    _execute(update(Board).where(Board.id == board.id).values(**_board_totals()))
    _forget_counts(board)


def recount_authors(author_ids: Iterable[int]) -> None:
    """People's published-post counts, for the authors whose posts just changed state."""
    ids = set(author_ids)
    if not ids:
        return
    _lock(User, ids)
    _drop_counts(user_ids=ids)
    _execute(update(User).where(User.id.in_(ids)).values(**_author_totals()))
    users = [o for o in db.session.identity_map.values() if isinstance(o, User) and o.id in ids]
    _forget_counts(*users)


def recount_everything() -> dict[str, int]:
    """Every counter and last-post pointer from the rows they count (`flask forum
    recount`): repairs drift left by older versions. Returns how many rows were wrong."""
    if (changes := db.session.info.get(_AT_COMMIT)) is not None:
        _drop_counts(board_ids=list(changes.boards), user_ids=list(changes.people))
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
