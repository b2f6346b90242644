"""Demo reports: each action line's report for the last quarter, published by its
coordinator (the admin where it has none), and the overall report of the coordinators."""

from sqlalchemy import select

from forum.accounts.models import User
from forum.boards.models import Board, BoardKind, Role
from forum.db import utcnow
from forum.extensions import db
from forum.posts.models import Thread
from forum.reports import services as reporting

PROGRESS = [
    "Two national strategies were shared for comment, and three partners reported on the "
    "indicators they now collect.",
    "The team agreed a common template for reporting activities, so that next quarter's "
    "figures can be compared across regions.",
    "Contributions came from every stakeholder group; the regional commissions offered to "
    "gather examples from their members.",
]
CHALLENGES = [
    "Participation from least developed countries remains low, partly because of the cost "
    "of connectivity.",
    "Few contributions arrived in languages other than English and French.",
]
NEXT_STEPS = [
    "Invite the stocktaking contributors of this action line to a discussion of results.",
    "Prepare a short questionnaire for national focal points before the next meeting.",
]


def build(admin: User, people: list[User]) -> None:
    """Publish a report for every action line, then the overall report."""
    start, end = reporting.last_quarter(utcnow().date())
    boards = db.session.scalars(
        select(Board)
        .where(Board.kind == BoardKind.ACTION_LINE, Board.parent_id.is_(None))
        .order_by(Board.section_id, Board.position)
    ).all()
    coordinators = {
        role.board_id: role.user
        for person in people
        for role in person.board_roles
        if role.role == Role.COORDINATOR
    }
    for number, board in enumerate(boards):
        author = coordinators.get(board.id, admin)
        thread = db.session.scalars(
            select(Thread).where(Thread.board_id == board.id).order_by(Thread.id)
        ).first()
        cited = f" The discussion of [{thread.title}](/t/{thread.id}) drew most replies." if thread else ""
        report = reporting.start_report(board, author, start=start, end=end)
        reporting.save_revision(
            report,
            author,
            sections={
                "summary": f"The {board.english_label} team met online and on the forum "
                f"during the quarter.{cited}",
                "progress": PROGRESS[number % len(PROGRESS)],
                "stakeholders": "Governments, civil society, business and the UN agencies "
                "each took part; see the figures above.",
                "challenges": CHALLENGES[number % len(CHALLENGES)],
                "next_steps": NEXT_STEPS[number % len(NEXT_STEPS)],
            },
        )
        reporting.publish_report(report, author)
    meeting = reporting.meeting_board()
    chair = coordinators.get(meeting.id, admin) if meeting else admin
    if meeting is not None:
        overall = reporting.start_report(meeting, chair, start=start, end=end)
        reporting.save_revision(
            overall,
            chair,
            sections={
                "summary": "The action lines' reports for the quarter, gathered for the "
                "coordination body.",
                "next_steps": "Agree the indicators the teams will all report next year.",
            },
        )
        reporting.publish_report(overall, chair)
