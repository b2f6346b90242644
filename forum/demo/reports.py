"""Demo reports: each action line's report for the last quarter, published by its
coordinator (the admin where it has none), citing a thread and a stocktaking entry of the
action line, and the overall report of the coordinators."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from forum.accounts.models import User
from forum.boards.models import Board, BoardKind, Role
from forum.db import utcnow
from forum.extensions import db
from forum.permissions import can_start_thread
from forum.posts import services as posting
from forum.posts.models import Thread
from forum.reports import services as reporting
from forum.stocktaking.models import Entry, EntryBoard, ReviewState

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


MEETING_NOTES = [
    "Notes of our online meeting: partners presented progress on their national projects, "
    "and the team agreed to gather examples of good practice for the quarterly report.",
    "Thank you for the notes. We can add two examples from our region before the end of the month.",
    "Please include figures on the participation of women and young people where you have them.",
]


def _meeting_of_the_quarter(board: Board, people: list[User], start: date) -> None:
    """A thread written during the quarter, so that each report has something to count."""
    authors = [person for person in people if can_start_thread(person, board)]
    if not authors:
        return
    moment = datetime.combine(start, time(9), UTC)
    thread = posting.create_thread(
        board, authors[0], title="Notes of the quarter's online meeting",
        body=MEETING_NOTES[0], at=moment + timedelta(days=20),
    )  # fmt: skip
    for offset, body in enumerate(MEETING_NOTES[1:], start=1):
        posting.reply(thread, authors[offset % len(authors)], body=body,
                      at=moment + timedelta(days=20 + 5 * offset))  # fmt: skip


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
        _meeting_of_the_quarter(board, people, start)
        author = coordinators.get(board.id, admin)
        thread = db.session.scalars(
            select(Thread).where(Thread.board_id == board.id).order_by(Thread.id)
        ).first()
        cited = (
            f" The discussion of [{thread.title}](/t/{thread.id}) drew most replies."
            if thread
            else ""
        )
        entry = db.session.scalars(
            select(Entry)
            .join(EntryBoard, EntryBoard.entry_id == Entry.id)
            .where(
                EntryBoard.board_id.in_(reporting.covered_board_ids(board)),
                Entry.review_state == ReviewState.PUBLISHED,
            )
            .order_by(Entry.id)
        ).first()
        recorded = (
            f" The stocktaking records [{entry.title}](/stocktaking/{entry.id})." if entry else ""
        )
        report = reporting.start_report(board, author, start=start, end=end)
        reporting.save_revision(
            report,
            author,
            sections={
                "summary": f"The {board.english_label} team met online and on the forum "
                f"during the quarter.{cited}",
                "progress": PROGRESS[number % len(PROGRESS)],
                "stakeholders": "Governments, civil society, business and the UN agencies "
                f"each took part; see the figures above.{recorded}",
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
