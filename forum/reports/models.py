"""The coordinators' periodic reports: a draft written together, revision by revision,
then published with its facts frozen; a correction is a new version."""

import enum
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, Date, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import str_enum, utcnow
from forum.extensions import db
from forum.posts.models import Thread


class ReportState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


REPORT_STATE_LABELS = {
    ReportState.DRAFT: lazy_pgettext("report state", "Draft"),
    ReportState.PUBLISHED: lazy_pgettext("report state", "Published"),
}


class Section(enum.StrEnum):
    """The standard narrative sections, in the order a report reads."""

    SUMMARY = "summary"
    PROGRESS = "progress"
    STAKEHOLDERS = "stakeholders"
    CHALLENGES = "challenges"
    NEXT_STEPS = "next_steps"


SECTION_LABELS = {
    Section.SUMMARY: _l("Summary"),
    Section.PROGRESS: _l("Progress towards the goals and targets"),
    Section.STAKEHOLDERS: _l("Activities of stakeholders"),
    Section.CHALLENGES: _l("Challenges"),
    Section.NEXT_STEPS: _l("Next steps"),
}


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_board_period", "board_id", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="RESTRICT"))
    # The period covered, both days included.
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    state: Mapped[ReportState] = mapped_column(str_enum(ReportState), default=ReportState.DRAFT)
    version: Mapped[int] = mapped_column(default=1)
    # The published report this version corrects, and why.
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="RESTRICT"), index=True
    )
    correction_note: Mapped[str] = mapped_column(Text, default="")
    # Set when a correction of this report is published: the version that replaces it.
    corrected_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # Frozen at publication (forum.reports.facts), with the references the narrative cites.
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    references: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # The thread on the Meeting of the coordinators board that submitted it.
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    # The newest revision, so that a page reads it without looking through the others.
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_revisions.id", ondelete="SET NULL", use_alter=True)
    )

    board: Mapped[Board] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    corrects: Mapped["Report | None"] = relationship(remote_side=[id], foreign_keys=[corrects_id])
    corrected_by: Mapped["Report | None"] = relationship(
        remote_side=[id], foreign_keys=[corrected_by_id], post_update=True
    )
    thread: Mapped[Thread | None] = relationship()
    current_revision: Mapped["ReportRevision | None"] = relationship(
        foreign_keys=[current_revision_id], post_update=True
    )

    @property
    def is_published(self) -> bool:
        return self.state == ReportState.PUBLISHED

    def __repr__(self) -> str:
        return f"<Report {self.id} board={self.board_id} {self.period_start}..{self.period_end}>"


class ReportRevision(db.Model):
    """One save of a draft: the narrative sections as written, and as shown."""

    __tablename__ = "report_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    # {section: Markdown} and {section: sanitised HTML}, for the sections of Section.
    sections: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    sections_html: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    report: Mapped[Report] = relationship(foreign_keys=[report_id])
    author: Mapped[User] = relationship()
