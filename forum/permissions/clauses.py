"""The permission rules as SQL conditions, for queries that list or count things (boards,
threads, posts, search, feeds, mail recipients): each is equivalent to its rule in
`forum.permissions.rules`, and the table tests hold both to the same answers."""

import enum
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, true

from forum.accounts.models import User
from forum.boards.models import TEAM_ROLES, Board, BoardRole, ReadPolicy, Role
from forum.permissions.people import (
    Viewer,
    account_of,
    can_administer,
    is_suspended,
    participant_of,
)
from forum.permissions.rules import (
    can_moderate_board,
)
from forum.posts.models import Post, PostStatus, Thread

# A board's id, or a bound parameter that stands for one (statements built once).
BoardId = int | ColumnElement[int]


def readable_boards_clause(user: Viewer, board: Any = Board) -> ColumnElement[bool]:
    """SQL condition on Board (or an alias of it) equivalent to `can_read_board` for this
    viewer."""
    account = account_of(user)
    if account is None:
        return board.read_policy == ReadPolicy.PUBLIC
    if is_suspended(account):
        return board.read_policy.in_([ReadPolicy.PUBLIC, ReadPolicy.SIGNED_IN])
    if account.is_admin:
        return true()
    member_of = [r.board_id for r in account.board_roles if r.role in TEAM_ROLES]
    return or_(
        board.read_policy.in_([ReadPolicy.PUBLIC, ReadPolicy.SIGNED_IN]),
        board.id.in_(member_of) if member_of else false(),
    )


def moderated_board_ids(user: Viewer) -> Collection[int] | None:
    """The boards this viewer moderates: None means every board (admins)."""
    account = participant_of(user)
    if account is None:
        return ()
    if account.is_admin:
        return None
    return [r.board_id for r in account.board_roles if r.role == Role.COORDINATOR]


def sees_only_published(user: Viewer, board: Board) -> bool:
    """True when `visible_posts_clause` reduces to published posts (no own or held posts)."""
    return account_of(user) is None


class Visibility(enum.Enum):
    """Which posts of one board's threads a viewer sees: `visible_posts_clause` for a
    board, by kind, so that a query can be built once per kind (`visible_posts_of`)."""

    PUBLISHED = "published"
    # Published posts, and the viewer's own held, hidden and rejected ones.
    OWN = "own"
    # The board's moderators: held and hidden posts too.
    MODERATED = "moderated"
    # Admins: everything but rejected posts (deleted ones too).
    ALL = "all"


def visibility(user: Viewer, board: Board) -> Visibility:
    if can_administer(user):
        return Visibility.ALL
    if can_moderate_board(user, board):
        return Visibility.MODERATED
    return Visibility.OWN if account_of(user) is not None else Visibility.PUBLISHED


_OWN_STATES = (PostStatus.PENDING, PostStatus.HIDDEN, PostStatus.REJECTED)
_MODERATED_STATES = (PostStatus.PUBLISHED, PostStatus.PENDING, PostStatus.HIDDEN)


def visible_posts_of(kind: Visibility, viewer_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """SQL condition on Post for this kind of visibility; `viewer_id` is the viewer's
    account id, or a bound parameter standing for it."""
    match kind:
        case Visibility.ALL:
            return Post.status != PostStatus.REJECTED
        case Visibility.MODERATED:
            return Post.status.in_(_MODERATED_STATES)
        case Visibility.OWN:
            return or_(
                Post.status == PostStatus.PUBLISHED,
                (Post.author_id == viewer_id) & Post.status.in_(_OWN_STATES),
            )
    return Post.status == PostStatus.PUBLISHED


def visible_posts_clause(user: Viewer, board: Board | None = None) -> ColumnElement[bool]:
    """SQL condition on Post: which posts of readable threads this viewer sees listed, in
    one board's threads, or in any board's (no board given: Thread must be joined).

    Moderators see held and hidden posts (marked), admins deleted ones too; authors see
    their own held, hidden and rejected posts; everyone else sees published posts only.
    """
    account = account_of(user)
    viewer_id = account.id if account is not None else 0
    if board is not None:
        return visible_posts_of(visibility(user, board), viewer_id)
    if can_administer(user):
        return visible_posts_of(Visibility.ALL, viewer_id)
    if account is None:
        return visible_posts_of(Visibility.PUBLISHED, viewer_id)
    seen = visible_posts_of(Visibility.OWN, viewer_id)
    board_ids = moderated_board_ids(account)
    if board_ids:
        return or_(seen, Thread.board_id.in_(board_ids) & Post.status.in_(_MODERATED_STATES))
    return seen


def listed_threads_clause() -> ColumnElement[bool]:
    """SQL condition on Thread for a board's listing: threads with something published,
    never deleted ones (admins restore them from the admin area) or merged ones."""
    return (Thread.post_count > 0) & Thread.is_deleted.is_(False) & Thread.merged_into_id.is_(None)


# Mail ---------------------------------------------------------------------------------


def board_readers_clause(board: Board) -> ColumnElement[bool]:
    """SQL condition on User equivalent to `can_read_board(user, board)` for accounts in
    good standing (callers add the suspension test with the moment it is made at)."""
    return _board_readers(board.id, board.read_policy)


def _board_readers(board_id: BoardId, read_policy: ReadPolicy) -> ColumnElement[bool]:
    if read_policy != ReadPolicy.MEMBERS:
        return true()
    return User.is_admin | exists().where(
        BoardRole.user_id == User.id,
        BoardRole.board_id == board_id,
        BoardRole.role.in_(TEAM_ROLES),
    )


def list_mail_recipients_clause(board: Board, moment: datetime) -> ColumnElement[bool]:
    """SQL condition on User equivalent to `can_receive_list_mail` at this moment."""
    return mail_recipients_clause(board.id, board.read_policy, moment)


def mail_recipients_clause(
    board_id: BoardId, read_policy: ReadPolicy, moment: datetime | ColumnElement[datetime]
) -> ColumnElement[bool]:
    """`list_mail_recipients_clause` of a board given by its id and read policy, either
    of which, and the moment, may be a bound parameter (for statements built once)."""
    in_good_standing = User.is_suspended.is_(False) | (
        User.suspended_until.is_not(None) & (User.suspended_until <= moment)
    )
    return (
        User.email_verified_at.is_not(None)
        & in_good_standing
        & _board_readers(board_id, read_policy)
    )
