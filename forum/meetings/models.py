"""Meetings, the answers of those who will (or will not) attend, and the secret
addresses of people's private calendar feeds."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import str_enum, utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.accounts.models import User
    from forum.boards.models import Board
    from forum.posts.models import Post, Thread


class Invitees(enum.StrEnum):
    """Who is invited by email: the board's team, its followers, or all its readers."""

    MEMBERS = "members"
    FOLLOWERS = "followers"
    READERS = "readers"


INVITEE_LABELS = {
    Invitees.MEMBERS: _l("The board's members and coordinators"),
    Invitees.FOLLOWERS: _l("Everyone who follows the board by email"),
    Invitees.READERS: _l("Everyone who may read the board"),
}


class Answer(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    NOT = "not"

    @property
    def attends(self) -> bool:
        return self != Answer.NOT


ANSWER_LABELS = {
    Answer.IN_PERSON: lazy_pgettext("attendance", "In person"),
    Answer.ONLINE: lazy_pgettext("attendance", "Online"),
    Answer.NOT: lazy_pgettext("attendance", "Not attending"),
}


class AnswerSource(enum.StrEnum):
    WEB = "web"
    MAIL = "mail"


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_board_starts", "board_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="RESTRICT"))
    organiser_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    # The organiser's time zone (IANA name): the meeting's times as they set them.
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(300), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    dial_in: Mapped[str] = mapped_column(Text, default="")
    agenda_source: Mapped[str] = mapped_column(Text, default="")
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    # Links to the meeting's documents, one address a line.
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    invitees: Mapped[Invitees] = mapped_column(str_enum(Invitees), default=Invitees.MEMBERS)
    # RFC 5545 SEQUENCE: grows with every change that invitations announce.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # Set once the reminders of the day before are queued.
    reminded_at: Mapped[datetime | None]
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    minutes_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))

    board: Mapped["Board"] = relationship()
    organiser: Mapped["User"] = relationship()
    thread: Mapped["Thread | None"] = relationship()
    minutes_post: Mapped["Post | None"] = relationship()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.title!r}>"


class Attendance(db.Model):
    """One person's answer to one meeting's invitation."""

    __tablename__ = "meeting_attendances"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id", name="uq_meeting_attendances_meeting_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answer: Mapped[Answer] = mapped_column(str_enum(Answer))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[AnswerSource] = mapped_column(str_enum(AnswerSource), default=AnswerSource.WEB)

    user: Mapped["User"] = relationship()


class CalendarToken(db.Model):
    """The secret in the address of a person's own calendar feed, which holds the
    meetings of every board they may read; a reset replaces it, and the old address
    then opens nothing."""

    __tablename__ = "calendar_tokens"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
