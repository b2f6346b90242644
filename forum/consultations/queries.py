"""Read-side queries for consultations, filtered by the permissions module."""

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from forum.boards.models import Board
from forum.consultations.models import Consultation, ConsultationListing, ListingState
from forum.extensions import db
from forum.permissions import (
    Viewer,
    listed_on_clause,
    listed_threads_clause,
    readable_boards_clause,
    readable_threads_clause,
    visible_boards,
)
from forum.posts.models import Post, PostStatus, Thread


def _listed(viewer: Viewer) -> Select[tuple[Consultation]]:
    """Consultations whose thread this viewer may read, open ones first (the soonest to
    close first), then closed ones (the latest closed first)."""
    return (
        select(Consultation)
        .join(Consultation.thread)
        .join(Thread.board)
        .where(readable_threads_clause(viewer), listed_threads_clause())
        .options(
            joinedload(Consultation.thread).joinedload(Thread.board),
        )
        .order_by(
            Consultation.closed_at.is_not(None),
            Consultation.closed_at.desc(),
            Consultation.closes_at,
            Consultation.id,
        )
    )


def consultation_total(viewer: Viewer, board: Board | None = None) -> int:
    query = (
        select(func.count())
        .select_from(Consultation)
        .join(Consultation.thread)
        .join(Thread.board)
        .where(readable_threads_clause(viewer), listed_threads_clause())
    )
    if board is not None:
        query = query.where(listed_on_clause(board.id))
    return db.session.scalar(query) or 0


def consultations(
    viewer: Viewer, *, board: Board | None = None, page: int, per_page: int
) -> list[Consultation]:
    """A page of the consultations this viewer may read, of one board or of all."""
    query = _listed(viewer)
    if board is not None:
        query = query.where(listed_on_clause(board.id))
    found = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    for consultation in found:
        _attach(consultation)
    return found


def _attach(consultation: Consultation) -> None:
    """Tell its thread about the consultation just loaded, which the rules then read
    without asking the database again."""
    set_committed_value(consultation.thread, "consultation", consultation)


def listable_boards(viewer: Viewer, board: Board) -> list[Board]:
    """The boards besides `board` that this person may ask to list a consultation: those
    they may read."""
    return list(
        db.session.scalars(
            select(Board)
            .where(readable_boards_clause(viewer), Board.id != board.id)
            .order_by(Board.position)
        )
    )


def waiting_requests(board: Board) -> list[ConsultationListing]:
    """Requests to this board that its coordinators have not answered yet."""
    return list(
        db.session.scalars(
            select(ConsultationListing)
            .where(
                ConsultationListing.board_id == board.id,
                ConsultationListing.state == ListingState.REQUESTED,
            )
            .options(
                joinedload(ConsultationListing.consultation)
                .joinedload(Consultation.thread)
                .joinedload(Thread.board),
                joinedload(ConsultationListing.requested_by),
            )
            .order_by(ConsultationListing.requested_at, ConsultationListing.id)
        )
    )


def listing_by_id(listing_id: int) -> ConsultationListing | None:
    return db.session.scalar(
        select(ConsultationListing)
        .where(ConsultationListing.id == listing_id)
        .options(
            joinedload(ConsultationListing.board),
            joinedload(ConsultationListing.consultation)
            .joinedload(Consultation.thread)
            .joinedload(Thread.board),
        )
    )


@dataclass(frozen=True)
class Shown:
    """What a thread page shows of its consultation: its boards that the reader may
    read, and its summary."""

    consultation: Consultation
    boards: list[Board]
    summary: Post | None


def shown(viewer: Viewer, thread: Thread) -> Shown | None:
    """The consultation of a thread, as this viewer sees it (None for other threads).
    The rules have loaded it already with its listings; the summary costs a query when
    there is one."""
    consultation = thread.consultation if thread.is_consultation else None
    if consultation is None:
        return None
    summary = consultation.summary_post
    if summary is not None and summary.status != PostStatus.PUBLISHED:
        summary = None
    return Shown(consultation, visible_boards(viewer, thread), summary)
