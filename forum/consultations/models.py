"""A consultation (a thread with a question and a closing date) and the boards it is
listed on besides its own."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from forum.db import str_enum, utcnow
from forum.extensions import db
from forum.posts.models import Thread

if TYPE_CHECKING:
    from forum.accounts.models import User
    from forum.boards.models import Board
    from forum.posts.models import Post


class ListingState(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Consultation(db.Model):
    """The thread's question, when it closes, and its summary once posted. The thread
    lives on the board it was opened on; `listings` name the others."""

    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_open", "closed_at", "closes_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), unique=True
    )
    question: Mapped[str] = mapped_column(Text)
    closes_at: Mapped[datetime]
    # Set by the worker when the closing date has passed: the thread is locked then.
    closed_at: Mapped[datetime | None]
    summary_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL", use_alter=True)
    )
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    thread: Mapped[Thread] = relationship(
        backref=backref("consultation", uselist=False, lazy="select")
    )
    opened_by: Mapped["User"] = relationship()
    summary_post: Mapped["Post | None"] = relationship(foreign_keys=[summary_post_id])
    # Every rule about the thread looks at these: loaded with it, boards and all.
    listings: Mapped[list["ConsultationListing"]] = relationship(
        back_populates="consultation", order_by="ConsultationListing.id", lazy="selectin"
    )

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def accepted_boards(self) -> list["Board"]:
        """The boards besides its own that list it."""
        return [
            listing.board for listing in self.listings if listing.state == ListingState.ACCEPTED
        ]


class ConsultationListing(db.Model):
    """A request that another board list a consultation, and its coordinators' answer."""

    __tablename__ = "consultation_listings"
    __table_args__ = (
        UniqueConstraint("consultation_id", "board_id", name="uq_consultation_listings_board"),
        Index("ix_consultation_listings_board", "board_id", "state"),
        Index("ix_consultation_listings_thread", "thread_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    # The consultation's thread, kept here so that board listings join one table.
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    state: Mapped[ListingState] = mapped_column(
        str_enum(ListingState), default=ListingState.REQUESTED
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None]

    consultation: Mapped[Consultation] = relationship(back_populates="listings")
    board: Mapped["Board"] = relationship(lazy="joined")
    requested_by: Mapped["User"] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])
