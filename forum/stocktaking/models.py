"""Stocktaking entries, the action lines and countries they serve, and their revisions."""

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import StakeholderGroup
from forum.db import str_enum, utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.accounts.models import User
    from forum.boards.models import Board
    from forum.posts.models import Thread


class EntryStatus(enum.StrEnum):
    PLANNED = "planned"
    ONGOING = "ongoing"
    COMPLETED = "completed"


STATUS_LABELS = {
    EntryStatus.PLANNED: lazy_pgettext("activity", "Planned"),
    EntryStatus.ONGOING: lazy_pgettext("activity", "Ongoing"),
    EntryStatus.COMPLETED: lazy_pgettext("activity", "Completed"),
}


class Scope(enum.StrEnum):
    """Where the activity takes place: the countries listed, a region, or the world."""

    COUNTRIES = "countries"
    REGIONAL = "regional"
    GLOBAL = "global"


SCOPE_LABELS = {
    Scope.COUNTRIES: _l("In the countries listed"),
    Scope.REGIONAL: _l("Regional"),
    Scope.GLOBAL: _l("Global"),
}


class ReviewState(enum.StrEnum):
    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"


REVIEW_STATE_LABELS = {
    ReviewState.PENDING: _l("Waiting for review"),
    ReviewState.CHANGES_REQUESTED: _l("Changes asked for"),
    ReviewState.PUBLISHED: lazy_pgettext("entry state", "Published"),
    ReviewState.REJECTED: lazy_pgettext("entry state", "Rejected"),
}


class Entry(db.Model):
    """One activity reported to the stocktaking."""

    __tablename__ = "stocktaking_entries"
    __table_args__ = (Index("ix_stocktaking_entries_listing", "review_state", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary_source: Mapped[str] = mapped_column(Text)
    summary_html: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str] = mapped_column(String(200))
    stakeholder_group: Mapped[StakeholderGroup] = mapped_column(str_enum(StakeholderGroup))
    lead_country: Mapped[str] = mapped_column(String(2))
    scope: Mapped[Scope] = mapped_column(str_enum(Scope), default=Scope.COUNTRIES)
    status: Mapped[EntryStatus] = mapped_column(str_enum(EntryStatus), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    website: Mapped[str] = mapped_column(String(500), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    # Shown to the public only when `show_email` says so.
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    show_email: Mapped[bool] = mapped_column(default=False)
    keywords: Mapped[str] = mapped_column(String(500), default="")
    submitter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The submitter's choice: accounts of the same organisation may update the entry.
    colleagues_may_edit: Mapped[bool] = mapped_column(default=False)
    review_state: Mapped[ReviewState] = mapped_column(
        str_enum(ReviewState), default=ReviewState.PENDING
    )
    review_reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Last saved or confirmed unchanged by its people: what "possibly out of date" counts from.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # When the submitter was last asked to confirm or update it.
    reminded_at: Mapped[datetime | None]
    revision_count: Mapped[int] = mapped_column(default=1)

    submitter: Mapped["User | None"] = relationship(foreign_keys=[submitter_id])
    thread: Mapped["Thread | None"] = relationship()
    lines: Mapped[list["EntryBoard"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="EntryBoard.position"
    )
    countries: Mapped[list["EntryCountry"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="EntryCountry.position"
    )

    @property
    def boards(self) -> list["Board"]:
        """The action lines served, the first (where its discussion is) first."""
        return [line.board for line in self.lines]

    @property
    def country_codes(self) -> list[str]:
        """The lead country first, then the other countries covered."""
        return [row.country for row in self.countries]

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.split(",") if word.strip()]

    @property
    def is_published(self) -> bool:
        return self.review_state == ReviewState.PUBLISHED

    def __repr__(self) -> str:
        return f"<Entry {self.id} {self.title!r}>"


class EntryBoard(db.Model):
    """An action line an entry serves; `position` 0 is its first."""

    __tablename__ = "stocktaking_entry_boards"
    __table_args__ = (Index("ix_stocktaking_entry_boards_board", "board_id", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("stocktaking_entries.id", ondelete="CASCADE"), primary_key=True
    )
    board_id: Mapped[int] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(default=0)

    entry: Mapped[Entry] = relationship(back_populates="lines")
    board: Mapped["Board"] = relationship()


class EntryCountry(db.Model):
    """A country an entry covers (the lead country among them, at position 0)."""

    __tablename__ = "stocktaking_entry_countries"
    __table_args__ = (Index("ix_stocktaking_entry_countries_country", "country", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("stocktaking_entries.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    entry: Mapped[Entry] = relationship(back_populates="countries")


class EntryRevision(db.Model):
    """An entry as one save left it (the first is the submission); a confirmation that it
    is still accurate is a revision with no change."""

    __tablename__ = "stocktaking_revisions"
    __table_args__ = (Index("ix_stocktaking_revisions_entry", "entry_id", "written_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("stocktaking_entries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_only: Mapped[bool] = mapped_column(default=False)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    written_by: Mapped["User | None"] = relationship()
