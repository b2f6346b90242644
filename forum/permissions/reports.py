"""Who may draft, edit, publish, correct and read the coordinators' periodic reports.

A draft is its board's coordinators' own (admins', too); a published report is read by
whoever may read its board, and is never changed: a correction is a new version."""

from sqlalchemy import ColumnElement, false, true

from forum.boards.models import Board, BoardKind
from forum.permissions.clauses import moderated_board_ids, readable_boards_clause
from forum.permissions.people import (
    Viewer,
)
from forum.permissions.rules import (
    Action,
    add_rules,
    can_moderate_board,
    can_read_board,
)
from forum.reports.models import Report, ReportState

# Boards that report: the action lines (each e-application too) and the coordinators'
# meeting, whose report is the overall one.
REPORTING_KINDS = frozenset({BoardKind.ACTION_LINE, BoardKind.COORDINATION})


def can_read_report(user: Viewer, report: Report) -> bool:
    if report.state == ReportState.PUBLISHED:
        return can_read_board(user, report.board)
    return can_moderate_board(user, report.board)


def can_draft_report(user: Viewer, board: Board) -> bool:
    """A board's coordinators start its reports."""
    return board.kind in REPORTING_KINDS and can_moderate_board(user, board)


def can_edit_report(user: Viewer, report: Report) -> bool:
    """Any coordinator of the board edits a draft; nobody edits a published report."""
    return report.state == ReportState.DRAFT and can_moderate_board(user, report.board)


def can_publish_report(user: Viewer, report: Report) -> bool:
    return can_edit_report(user, report)


def can_correct_report(user: Viewer, report: Report) -> bool:
    """A published report that no later version has replaced yet."""
    return (
        report.state == ReportState.PUBLISHED
        and report.corrected_by_id is None
        and can_moderate_board(user, report.board)
    )


def readable_reports_clause(user: Viewer) -> ColumnElement[bool]:
    """SQL condition on Report (Board joined) equivalent to `can_read_report`."""
    moderated = moderated_board_ids(user)
    if moderated is None:
        drafts: ColumnElement[bool] = true()
    elif moderated:
        drafts = Report.board_id.in_(moderated)
    else:
        drafts = false()
    return ((Report.state == ReportState.PUBLISHED) & readable_boards_clause(user)) | (
        (Report.state == ReportState.DRAFT) & drafts
    )


add_rules(
    {
        Action.READ_REPORT: can_read_report,
        Action.DRAFT_REPORT: can_draft_report,
        Action.EDIT_REPORT: can_edit_report,
        Action.PUBLISH_REPORT: can_publish_report,
        Action.CORRECT_REPORT: can_correct_report,
    }
)
