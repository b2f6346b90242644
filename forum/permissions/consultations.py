"""Who may read, post in and moderate a consultation: one thread, on the board it was
opened on and on every board whose coordinators accepted to list it (its boards).

- Reading: whoever may read ANY of its boards. Accepting a listing opens the thread to
  that board's readers: that is what listing it means, and the coordinators who accept
  decide it (a members-only board asked to list a public consultation changes nothing
  for anyone; a public board accepting one opened on a members-only board makes it
  public). Which boards list it is shown only as far as the reader may read them.
- Posting: whoever may start threads on ANY of its boards, unless banned from one of
  them (admins excepted): every one of its boards shows what is posted, and a ban
  protects a board's readers. Once closed (locked) only its moderators post.
- Moderating: the coordinators of ANY of its boards, and admins.
- Opening one: whoever moderates the board it is opened on; asking another board to
  list it: one of its moderators, of a board they may read; answering: that board's
  moderators. The summary: its moderators, once it has closed, and once.
"""

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    ScalarSelect,
    Select,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from forum.accounts.models import User
from forum.boards.models import Board, ReadPolicy
from forum.consultations.models import ConsultationListing, ListingState
from forum.permissions.clauses import (
    BoardId,
    listed_threads_clause,
    mail_recipients_clause,
    readable_boards_clause,
)
from forum.permissions.people import (
    Viewer,
    is_admin,
    is_banned,
)
from forum.permissions.rules import (
    can_moderate_board,
    can_read_board,
    can_receive_list_mail,
    can_start_thread,
)
from forum.posts.models import Thread


def consultation_boards(thread: Thread) -> list[Board]:
    """The boards a thread is on: its own first, then those that accepted to list it."""
    consultation = thread.consultation if thread.is_consultation else None
    if consultation is None:
        return [thread.board]
    return [thread.board, *consultation.accepted_boards]


def can_read_consultation_boards(user: Viewer, thread: Thread) -> bool:
    return any(can_read_board(user, board) for board in consultation_boards(thread))


def can_post_in_consultation(user: Viewer, thread: Thread) -> bool:
    boards = consultation_boards(thread)
    if not any(can_start_thread(user, board) for board in boards):
        return False
    return is_admin(user) or not any(is_banned(user, board) for board in boards)


def can_moderate_consultation(user: Viewer, thread: Thread) -> bool:
    return any(can_moderate_board(user, board) for board in consultation_boards(thread))


def can_open_consultation(user: Viewer, board: Board) -> bool:
    return can_moderate_board(user, board)


def can_ask_listing(user: Viewer, thread: Thread, board: Board) -> bool:
    """Asking a board to list a consultation: its moderators, of a board they may read
    (one they may not read is answered as if it did not exist)."""
    return can_moderate_consultation(user, thread) and can_read_board(user, board)


def can_decide_listing(user: Viewer, listing: ConsultationListing) -> bool:
    """A request is answered once, by a moderator of the board asked."""
    return listing.state == ListingState.REQUESTED and can_moderate_board(user, listing.board)


def can_post_summary(user: Viewer, thread: Thread) -> bool:
    consultation = thread.consultation if thread.is_consultation else None
    return (
        consultation is not None
        and consultation.is_closed
        and consultation.summary_post_id is None
        and not thread.is_deleted
        and can_moderate_consultation(user, thread)
    )


def visible_boards(user: Viewer, thread: Thread) -> list[Board]:
    """The consultation's boards this viewer may read: which others list it is said no
    further than that."""
    return [board for board in consultation_boards(thread) if can_read_board(user, board)]


def can_receive_thread_mail(user: User, thread: Thread) -> bool:
    """`can_receive_list_mail` for a thread: through any of its boards."""
    return any(can_receive_list_mail(user, board) for board in consultation_boards(thread))


def moderation_board(user: Viewer, thread: Thread) -> Board:
    """The board by which this viewer moderates a thread, if any (its own otherwise): the
    board to which `visible_posts_clause` gives the moderators' view."""
    if thread.is_consultation:
        for board in consultation_boards(thread):
            if can_moderate_board(user, board):
                return board
    return thread.board


def board_shown_to(user: Viewer, thread: Thread) -> Board:
    """The board a thread's page is shown under: its own, or for a consultation read
    through another board, the first of those that the reader may read."""
    boards = visible_boards(user, thread)
    return boards[0] if boards else thread.board


# As SQL conditions -------------------------------------------------------------------


def listed_on_clause(board_id: int) -> ColumnElement[bool]:
    """SQL condition on Thread: on this board, its own or a consultation it accepted to
    list, for the board's listings (page, archives, feeds, search filter)."""
    accepted = select(ConsultationListing.thread_id).where(
        ConsultationListing.board_id == board_id,
        ConsultationListing.state == ListingState.ACCEPTED,
    )
    return or_(Thread.board_id == board_id, Thread.id.in_(accepted))


def listed_elsewhere_clause(board_id: int) -> ColumnElement[bool]:
    """SQL condition on Thread: a consultation of another board that this one accepted to
    list. With `Thread.board_id == board_id` it splits `listed_on_clause` in two parts
    that never overlap, for listings that read a board's own threads in index order."""
    accepted = select(ConsultationListing.thread_id).where(
        ConsultationListing.board_id == board_id,
        ConsultationListing.state == ListingState.ACCEPTED,
    )
    return (Thread.board_id != board_id) & Thread.id.in_(accepted)


def on_boards_clause(
    board_ids: Collection[int] | BindParameter[list[int]],
) -> ColumnElement[bool]:
    """SQL condition on Thread: on one of these boards, its own or a consultation that
    one of them lists (what their moderators moderate)."""
    accepted = select(ConsultationListing.thread_id).where(
        ConsultationListing.board_id.in_(board_ids),
        ConsultationListing.state == ListingState.ACCEPTED,
    )
    return or_(Thread.board_id.in_(board_ids), Thread.id.in_(accepted))


def readable_threads_clause(user: Viewer) -> ColumnElement[bool]:
    """SQL condition on a query that joins Thread and its Board, equivalent to the board
    part of `can_read_thread`: its board is readable, or it is a consultation listed on
    a readable board."""
    other = aliased(Board)
    listed = (
        select(ConsultationListing.id)
        .join(other, other.id == ConsultationListing.board_id)
        .where(
            ConsultationListing.thread_id == Thread.id,
            ConsultationListing.state == ListingState.ACCEPTED,
            readable_boards_clause(user, other),
        )
        .correlate(Thread)
    )
    return or_(readable_boards_clause(user), Thread.is_consultation & exists(listed))


def listed_boards_of(thread: Thread) -> list[int]:
    """The ids of a consultation's boards (one board for any other thread)."""
    return [board.id for board in consultation_boards(thread)]


def listed_elsewhere_count() -> ScalarSelect[int]:
    """SQL: how many consultations of other boards a Board lists (correlated to Board)."""
    return (
        select(func.count())
        .select_from(ConsultationListing)
        .join(Thread, Thread.id == ConsultationListing.thread_id)
        .where(
            ConsultationListing.board_id == Board.id,
            ConsultationListing.state == ListingState.ACCEPTED,
            listed_threads_clause(),
        )
        .correlate(Board)
        .scalar_subquery()
    )


def accepted_listings(thread_ids: Collection[int]) -> Select[tuple[int, int]]:
    """(thread id, board id) of the boards that list these consultations besides their own."""
    return select(ConsultationListing.thread_id, ConsultationListing.board_id).where(
        ConsultationListing.thread_id.in_(thread_ids),
        ConsultationListing.state == ListingState.ACCEPTED,
    )


def thread_mail_recipients_clause(thread: Thread, moment: datetime) -> ColumnElement[bool]:
    """SQL condition on User equivalent to `can_receive_thread_mail` at this moment."""
    boards = consultation_boards(thread)
    return boards_mail_recipients_clause(
        [board.id for board in boards], [board.read_policy for board in boards], moment
    )


def boards_mail_recipients_clause(
    board_ids: Sequence[BoardId],
    read_policies: Sequence[ReadPolicy],
    moment: datetime | ColumnElement[datetime],
) -> ColumnElement[bool]:
    """`thread_mail_recipients_clause` of a thread on these boards (its own first), by
    their ids and read policies; the ids and the moment may be bound parameters."""
    return or_(
        *(
            mail_recipients_clause(board_id, policy, moment)
            for board_id, policy in zip(board_ids, read_policies, strict=True)
        )
    )
