"""Opening a consultation, asking other boards to list it and answering, closing it on
its date and posting its summary. Each checks the permission rules, changes state,
leaves its entries in the public moderation log of the boards concerned, tells the
people concerned, and flushes; the caller commits."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from forum import events
from forum.accounts.models import User
from forum.boards.models import Board, BoardRole, Role
from forum.consultations.models import Consultation, ConsultationListing, ListingState
from forum.db import utcnow
from forum.extensions import db
from forum.mail.fanout import queue_copies
from forum.moderation.acts import is_public, record
from forum.moderation.models import LogAction
from forum.notices.services import notify
from forum.permissions import (
    Action,
    can,
    can_ask_listing,
    can_moderate_board,
    consultation_boards,
    is_coordinator,
)
from forum.posts import services as posting
from forum.posts.counters import touch
from forum.posts.models import Post, PostStatus, Thread

# How far ahead a consultation may close: long enough for any round of comments, short
# enough that a mistyped year is caught.
LONGEST = timedelta(days=366)
QUESTION_MAX = 2000


class ConsultationError(Exception):
    """A consultation act that cannot be done; the message is for the person."""


def check_closing(closes_at: datetime, *, now: datetime | None = None) -> None:
    """A closing date must lie ahead, and within a year."""
    now = now or utcnow()
    if closes_at <= now:
        raise ConsultationError(_("The closing date has passed: choose one in the future."))
    if closes_at > now + LONGEST:
        raise ConsultationError(_("A consultation closes within a year: choose an earlier date."))


def open_consultation(
    board: Board,
    opener: User,
    *,
    title: str,
    question: str,
    body: str,
    closes_at: datetime,
    other_boards: list[Board],
) -> Consultation:
    """A thread on `board` with its question and closing date; each of `other_boards` is
    asked to list it (at once listed where the opener coordinates too)."""
    if not can(opener, Action.OPEN_CONSULTATION, board):
        raise ConsultationError(_("Only the coordinators of a board open consultations on it."))
    if not question.strip():
        raise ConsultationError(_("Write the question the consultation asks."))
    check_closing(closes_at)
    thread = posting.create_thread(board, opener, title=title, body=body)
    thread.is_consultation = True
    consultation = Consultation(
        thread=thread, question=question.strip(), closes_at=closes_at, opened_by_id=opener.id
    )
    db.session.add(consultation)
    db.session.flush()
    record(LogAction.OPEN_CONSULTATION, actor=opener, board=board, thread=thread)
    for other in other_boards:
        if other.id != board.id:
            ask_listing(consultation, other, opener)
    return consultation


def ask_listing(consultation: Consultation, board: Board, requester: User) -> ConsultationListing:
    """Ask `board` to list the consultation: its coordinators are told and answer; a
    requester who coordinates that board too answers for it at once (an admin asks as
    anyone does, and may then answer on the board's page)."""
    thread = consultation.thread
    if not can_ask_listing(requester, thread, board):
        # Worded as for a board that does not exist: a board one may not read stays unseen.
        raise ConsultationError(_("There is no board %(code)s.", code=board.code))
    if any(listing.board_id == board.id for listing in consultation.listings):
        raise ConsultationError(_("%(board)s has already been asked.", board=board.label))
    if board.id == thread.board_id:
        raise ConsultationError(_("The consultation is on %(board)s already.", board=board.label))
    listing = ConsultationListing(
        consultation=consultation, thread_id=thread.id, board=board, requested_by_id=requester.id
    )
    db.session.add(listing)
    db.session.flush()
    _log_on_both(LogAction.REQUEST_LISTING, requester, listing)
    if is_coordinator(requester, board) and can_moderate_board(requester, board):
        decide_listing(listing, requester, accept=True)
        return listing
    for coordinator in _coordinators(board):
        if coordinator.id != requester.id:
            notify(
                coordinator,
                "listing_requested",
                board_id=board.id,
                board=board.english_label,
                requests_slug=board.slug,
                thread=thread.title,
            )
    return listing


def decide_listing(listing: ConsultationListing, decider: User, *, accept: bool) -> None:
    """Accept or decline a request, once: of two coordinators answering at once, the
    second is told it was answered."""
    if not can(decider, Action.DECIDE_LISTING, listing):
        raise ConsultationError(_("This request has been answered already."))
    state = ListingState.ACCEPTED if accept else ListingState.DECLINED
    done = db.session.execute(
        update(ConsultationListing)
        .where(
            ConsultationListing.id == listing.id,
            ConsultationListing.state == ListingState.REQUESTED,
        )
        .values(state=state, decided_by_id=decider.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(listing, ["state", "decided_by_id", "decided_at"])
    if done.rowcount != 1:
        raise ConsultationError(_("This request has been answered already."))
    thread = listing.consultation.thread
    _log_on_both(LogAction.ACCEPT_LISTING if accept else LogAction.DECLINE_LISTING, decider,
                 listing)  # fmt: skip
    kind = "listing_accepted" if accept else "listing_declined"
    told = {decider.id}
    for person in [listing.requested_by, *_coordinators(listing.board)]:
        if person.id not in told:
            told.add(person.id)
            notify(person, kind, board_id=listing.board_id, board=listing.board.english_label,
                   post_id=thread.first_post_id, thread=thread.title)  # fmt: skip
    if accept:
        touch(thread)
        events.thread_changed.send(thread)
        _copy_opening_post(thread)


def _copy_opening_post(thread: Thread) -> None:
    """The followers of a board that now lists the consultation get its opening post,
    as for a thread started there (no one gets it twice: see `queue_copies`)."""
    first = thread.first_post
    if first is not None and first.status == PostStatus.PUBLISHED:
        queue_copies(first)


def _log_on_both(action: LogAction, actor: User, listing: ConsultationListing) -> None:
    """The same entry on the consultation's board and on the board asked, naming each
    board only where its log's readers may know it."""
    thread = listing.consultation.thread
    home, asked = thread.board, listing.board
    details = {
        "from_board": home.code if is_public(home) else "",
        "to_board": asked.code if is_public(asked) else "",
    }
    for board in (home, asked):
        record(action, actor=actor, board=board, thread=thread, **details)


def _coordinators(board: Board) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(BoardRole, BoardRole.user_id == User.id)
            .where(BoardRole.board_id == board.id, BoardRole.role == Role.COORDINATOR)
            .order_by(User.id)
        )
    )


def close_due(*, now: datetime | None = None) -> int:
    """Close every consultation whose date has come: lock its thread and say so in the
    log of each of its boards. A consultation is closed once, whoever else runs this."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Consultation)
        .where(Consultation.closed_at.is_(None), Consultation.closes_at <= now)
        .order_by(Consultation.closes_at)
    ).all()
    closed = 0
    for consultation in due:
        done = db.session.execute(
            update(Consultation)
            .where(Consultation.id == consultation.id, Consultation.closed_at.is_(None))
            .values(closed_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            continue
        db.session.expire(consultation, ["closed_at"])
        thread = consultation.thread
        thread.is_locked = True
        touch(thread, now)
        for board in consultation_boards(thread):
            record(LogAction.CLOSE_CONSULTATION, actor=None, board=board, thread=thread)
        closed += 1
    db.session.flush()
    return closed


def post_summary(thread: Thread, author: User, *, body: str) -> Post:
    """The summary of a closed consultation: a reply marked as such, shown at the top."""
    if not can(author, Action.POST_SUMMARY, thread):
        raise ConsultationError(
            _("The summary is posted once, by a coordinator, after the consultation closes.")
        )
    post = posting.reply(thread, author, body=body)
    thread.consultation.summary_post_id = post.id
    touch(thread)
    for board in consultation_boards(thread):
        record(LogAction.POST_SUMMARY, actor=author, board=board, thread=thread, post=post)
    db.session.flush()
    return post
