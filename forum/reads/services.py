"""Recording how far a person has read: by a "mark as read" button, and when they post.

Positions only move forward: marking an earlier post read never makes later ones new."""

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import utcnow
from forum.extensions import db
from forum.posts.counters import stamp_reads
from forum.posts.models import Thread
from forum.reads.models import BoardRead, ThreadRead


def _move_forward(model: type[ThreadRead] | type[BoardRead], key: dict[str, int], at: datetime):
    """One INSERT … ON CONFLICT that sets the position, unless it stands later already."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**key, read_up_to=at)
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={"read_up_to": statement.excluded.read_up_to},
        where=model.read_up_to < statement.excluded.read_up_to,
    )


def mark_thread_read(user: User, thread: Thread, *, up_to: datetime) -> None:
    """The person has read this thread's posts written up to `up_to`."""
    stamp_reads(user.id, utcnow())
    db.session.execute(
        _move_forward(ThreadRead, {"user_id": user.id, "thread_id": thread.id}, up_to)
    )


def mark_board_read(user: User, board: Board, *, up_to: datetime) -> None:
    """The person has read every thread of this board up to `up_to`."""
    stamp_reads(user.id, utcnow())
    db.session.execute(_move_forward(BoardRead, {"user_id": user.id, "board_id": board.id}, up_to))
