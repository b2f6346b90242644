"""Reading reports for pages: listings filtered by the rules, one report with what its
page shows."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from forum.boards.models import Board
from forum.extensions import db
from forum.permissions import Viewer, readable_reports_clause
from forum.reports.models import Report, ReportRevision, ReportState


def _listed(viewer: Viewer, board: Board | None):
    query = select(Report).join(Board, Board.id == Report.board_id)
    query = query.where(readable_reports_clause(viewer))
    return query if board is None else query.where(Report.board_id == board.id)


def report_total(viewer: Viewer, board: Board | None = None) -> int:
    query = _listed(viewer, board).with_only_columns(func.count(Report.id))
    return db.session.scalar(query) or 0


def listed_reports(
    viewer: Viewer, *, board: Board | None = None, page: int, per_page: int
) -> list[Report]:
    """Reports this viewer may read (drafts of their boards first), newest period first."""
    return list(
        db.session.scalars(
            _listed(viewer, board)
            .options(joinedload(Report.board), joinedload(Report.published_by))
            .order_by(
                (Report.state == ReportState.DRAFT).desc(),
                Report.period_end.desc(),
                Report.id.desc(),
            )
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )


def report_for_page(report_id: int) -> Report | None:
    return db.session.scalars(
        select(Report)
        .where(Report.id == report_id)
        .options(
            joinedload(Report.board).joinedload(Board.parent),
            joinedload(Report.current_revision),
            joinedload(Report.published_by),
            joinedload(Report.corrects),
            joinedload(Report.corrected_by),
            joinedload(Report.thread),
        )
    ).first()


def revisions(report: Report) -> list[ReportRevision]:
    """Every save of the report, newest first, with its author."""
    return list(
        db.session.scalars(
            select(ReportRevision)
            .where(ReportRevision.report_id == report.id)
            .options(selectinload(ReportRevision.author))
            .order_by(ReportRevision.id.desc())
        )
    )
