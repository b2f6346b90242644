"""Who may do what with meetings: they are their board's, so whoever may not read the
board never learns of them (pages, .ics files, feeds, invitations alike)."""

from datetime import datetime

from sqlalchemy import ColumnElement

from forum.boards.models import Board, ReadPolicy
from forum.db import utcnow
from forum.meetings.models import Meeting
from forum.permissions.clauses import readable_boards_clause
from forum.permissions.people import (
    Viewer,
    participant_of,
)
from forum.permissions.rules import (
    Action,
    add_rules,
    can_moderate_board,
    can_read_board,
)


def can_read_meeting(user: Viewer, meeting: Meeting) -> bool:
    return can_read_board(user, meeting.board)


def can_schedule_meeting(user: Viewer, board: Board) -> bool:
    """A board's coordinators (and admins) convene its meetings."""
    return can_moderate_board(user, board)


def can_change_meeting(user: Viewer, meeting: Meeting) -> bool:
    """Changing or cancelling: the board's coordinators, until it is cancelled or over."""
    return (
        can_moderate_board(user, meeting.board)
        and not meeting.is_cancelled
        and meeting.ends_at > utcnow()
    )


def can_answer_meeting(user: Viewer, meeting: Meeting, moment: datetime | None = None) -> bool:
    """Saying whether one attends: anyone who takes part and may read the board, until
    the meeting ends, unless it was cancelled."""
    account = participant_of(user)
    return (
        account is not None
        and can_read_board(account, meeting.board)
        and not meeting.is_cancelled
        and meeting.ends_at > (moment or utcnow())
    )


def can_post_minutes(user: Viewer, meeting: Meeting) -> bool:
    """The minutes: a coordinator, once the meeting has begun, in its thread."""
    return (
        can_moderate_board(user, meeting.board)
        and not meeting.is_cancelled
        and meeting.thread_id is not None
        and meeting.starts_at <= utcnow()
    )


def readable_meetings_clause(user: Viewer) -> ColumnElement[bool]:
    """SQL condition on Meeting joined to Board, equivalent to `can_read_meeting`."""
    return readable_boards_clause(user)


def public_meetings_clause() -> ColumnElement[bool]:
    """SQL condition on Board for what subscribable feeds without a secret may hold."""
    return Board.read_policy == ReadPolicy.PUBLIC


add_rules(
    {
        Action.READ_MEETING: can_read_meeting,
        Action.SCHEDULE_MEETING: can_schedule_meeting,
        Action.CHANGE_MEETING: can_change_meeting,
        Action.ANSWER_MEETING: can_answer_meeting,
        Action.POST_MINUTES: can_post_minutes,
    }
)
