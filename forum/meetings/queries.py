"""Listing meetings: each query filters with the permission clause, so no one sees a
meeting of a board they may not read."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from forum.accounts.models import StakeholderGroup, User
from forum.boards.models import TEAM_ROLES, Board, BoardRole
from forum.db import utcnow
from forum.extensions import db
from forum.meetings.models import Answer, Attendance, CalendarToken, Meeting
from forum.permissions import Viewer, public_meetings_clause, readable_meetings_clause

# The most meetings a listing or feed holds.
LISTED = 50


def _listing(clause: object) -> Select[tuple[Meeting]]:
    return (
        select(Meeting)
        .join(Board, Board.id == Meeting.board_id)
        .where(clause)
        .options(joinedload(Meeting.board))
    )


def upcoming(
    viewer: Viewer, *, board: Board | None = None, now: datetime | None = None
) -> list[Meeting]:
    """Meetings not over yet, soonest first."""
    query = _listing(readable_meetings_clause(viewer)).where(Meeting.ends_at > (now or utcnow()))
    if board is not None:
        query = query.where(Meeting.board_id == board.id)
    return list(db.session.scalars(query.order_by(Meeting.starts_at, Meeting.id).limit(LISTED)))


def past(
    viewer: Viewer, *, board: Board | None = None, now: datetime | None = None
) -> list[Meeting]:
    """Meetings that are over, latest first."""
    query = _listing(readable_meetings_clause(viewer)).where(Meeting.ends_at <= (now or utcnow()))
    if board is not None:
        query = query.where(Meeting.board_id == board.id)
    query = query.order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(LISTED)
    return list(db.session.scalars(query))


def board_upcoming(board: Board, *, limit: int = 5) -> list[Meeting]:
    """A board's next meetings, for its page (its reader may read them all)."""
    query = (
        select(Meeting)
        .where(Meeting.board_id == board.id, Meeting.ends_at > utcnow())
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def in_month(board: Board, start: datetime, end: datetime) -> list[Meeting]:
    """A board's meetings that started in a month, for its archive."""
    query = (
        select(Meeting)
        .where(Meeting.board_id == board.id, Meeting.starts_at >= start, Meeting.starts_at < end)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return list(db.session.scalars(query))


def public_feed(board: Board | None = None) -> list[Meeting]:
    """Meetings of public boards (one board's, or every one's), latest first."""
    query = _listing(public_meetings_clause()).options(joinedload(Meeting.organiser))
    if board is not None:
        query = query.where(Meeting.board_id == board.id)
    return list(db.session.scalars(query.order_by(Meeting.starts_at.desc()).limit(LISTED)))


def readable_feed(viewer: User) -> list[Meeting]:
    """Every meeting this person may read, for their own feed."""
    query = _listing(readable_meetings_clause(viewer)).options(joinedload(Meeting.organiser))
    return list(db.session.scalars(query.order_by(Meeting.starts_at.desc()).limit(LISTED)))


def token_owner(token: str) -> User | None:
    return db.session.scalar(
        select(User)
        .join(CalendarToken, CalendarToken.user_id == User.id)
        .where(CalendarToken.token == token, User.deleted_at.is_(None))
    )


@dataclass
class Turnout:
    """Who answered: counts by stakeholder group for each answer, and the team's names."""

    counts: dict[Answer, Counter[StakeholderGroup]] = field(default_factory=dict)
    members: dict[Answer, list[User]] = field(default_factory=dict)

    def total(self, answer: Answer) -> int:
        return sum(self.counts.get(answer, Counter()).values())


def turnout(meeting: Meeting) -> Turnout:
    """The answers, in two queries: everyone's groups, and the team's names."""
    result = Turnout()
    rows = db.session.execute(
        select(Attendance.answer, User.stakeholder_group)
        .join(User, User.id == Attendance.user_id)
        .where(Attendance.meeting_id == meeting.id, User.deleted_at.is_(None))
    )
    for answer, group in rows:
        result.counts.setdefault(answer, Counter())[group] += 1
    team = db.session.execute(
        select(Attendance.answer, User)
        .join(User, User.id == Attendance.user_id)
        .where(
            Attendance.meeting_id == meeting.id,
            User.deleted_at.is_(None),
            User.id.in_(
                select(BoardRole.user_id).where(
                    BoardRole.board_id == meeting.board_id, BoardRole.role.in_(TEAM_ROLES)
                )
            ),
        )
        .order_by(User.stored_name)
    )
    for answer, user in team:
        result.members.setdefault(answer, []).append(user)
    return result


def answer_of(meeting: Meeting, user: Viewer) -> Answer | None:
    user_id = getattr(user, "id", None)
    if user_id is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Attendance.answer).where(
            Attendance.meeting_id == meeting.id, Attendance.user_id == user_id
        )
    )
