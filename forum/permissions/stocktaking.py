"""Who may submit, read, update and review stocktaking entries, as rules and as the SQL
conditions that listings, search, feeds and exports filter with.

An entry is read where one of its action lines is: one serving only boards a person may
not read never reaches them. Until it is published, only its submitter, the colleagues
it lets update it, the coordinators of its action lines and admins see it.
"""

from sqlalchemy import ColumnElement, exists, false, select, true

from forum.boards.models import Board
from forum.permissions.clauses import moderated_board_ids, readable_boards_clause
from forum.permissions.people import (
    Viewer,
    account_of,
    participant_of,
)
from forum.permissions.rules import (
    Action,
    add_rules,
    can_moderate_board,
    can_read_board,
    readers_may_follow,
)
from forum.stocktaking.models import Entry, EntryBoard, ReviewState


def same_organisation(first: str, second: str) -> bool:
    """Organisations as people write them: the same name, whatever its case and spaces."""
    return bool(first.strip()) and first.strip().casefold() == second.strip().casefold()


def can_submit_entry(user: Viewer, _target: object = None) -> bool:
    """Any confirmed account in good standing."""
    return participant_of(user) is not None


def _is_submitter(user: Viewer, entry: Entry) -> bool:
    account = account_of(user)
    return (
        account is not None and entry.submitter_id is not None and account.id == entry.submitter_id
    )


def is_colleague(user: Viewer, entry: Entry) -> bool:
    """An account of the submitter's organisation, where the submitter let them update it."""
    account = account_of(user)
    submitter = entry.submitter
    return (
        account is not None
        and entry.colleagues_may_edit
        and submitter is not None
        and account.id != submitter.id
        and same_organisation(account.organisation, submitter.organisation)
    )


def can_review_entry(user: Viewer, entry: Entry) -> bool:
    """The coordinators of any of its action lines (and admins), while it waits."""
    return entry.review_state == ReviewState.PENDING and any(
        can_moderate_board(user, board) for board in entry.boards
    )


def can_read_entry(user: Viewer, entry: Entry) -> bool:
    if not any(can_read_board(user, board) for board in entry.boards):
        return False
    if entry.review_state == ReviewState.PUBLISHED:
        return True
    if _is_submitter(user, entry) or any(can_moderate_board(user, b) for b in entry.boards):
        return True
    return entry.review_state != ReviewState.REJECTED and is_colleague(user, entry)


def readers_may_read_entry(host: Board, entry: Entry) -> bool:
    """Whether everyone who reads `host` may read this entry too (a report citing it
    lists it): a published entry serving a board whose readers include the host's."""
    return entry.review_state == ReviewState.PUBLISHED and any(
        readers_may_follow(host, board) for board in entry.boards
    )


def can_edit_entry(user: Viewer, entry: Entry) -> bool:
    """Its submitter, and colleagues where the submitter chose so, in good standing; not
    once it was rejected."""
    account = participant_of(user)
    if account is None or entry.review_state == ReviewState.REJECTED:
        return False
    if not any(can_read_board(account, board) for board in entry.boards):
        return False
    return _is_submitter(account, entry) or is_colleague(account, entry)


def listed_entries_clause(user: Viewer) -> ColumnElement[bool]:
    """SQL condition on Entry for listings, search, feeds and exports: published entries
    serving at least one board this viewer may read (`can_read_entry` for them)."""
    readable = select(Board.id).where(readable_boards_clause(user))
    return (Entry.review_state == ReviewState.PUBLISHED) & exists().where(
        EntryBoard.entry_id == Entry.id, EntryBoard.board_id.in_(readable)
    )


def reviewable_entries_clause(user: Viewer) -> ColumnElement[bool]:
    """SQL condition on Entry: entries waiting for this viewer's review."""
    board_ids = moderated_board_ids(user)
    if board_ids is not None and not board_ids:
        return false()
    serves = true() if board_ids is None else EntryBoard.board_id.in_(board_ids)
    return (Entry.review_state == ReviewState.PENDING) & exists().where(
        EntryBoard.entry_id == Entry.id, serves
    )


add_rules(
    {
        Action.SUBMIT_ENTRY: can_submit_entry,
        Action.READ_ENTRY: can_read_entry,
        Action.EDIT_ENTRY: can_edit_entry,
        Action.REVIEW_ENTRY: can_review_entry,
    }
)
