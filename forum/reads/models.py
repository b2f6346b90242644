"""Reading positions: how far a person has read a thread, or a whole board."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db


class ThreadRead(db.Model):
    """A person has read a thread's posts written up to `read_up_to`."""

    __tablename__ = "thread_reads"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_up_to: Mapped[datetime]


class BoardRead(db.Model):
    """A person marked every thread of a board read, up to `read_up_to`."""

    __tablename__ = "board_reads"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    board_id: Mapped[int] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_up_to: Mapped[datetime]
