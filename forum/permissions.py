"""Who may do what: the one place that decides it.

Each rule is a small pure function of an explicit user and object. Views call
`require`, templates call `can`, and listing queries filter with the clauses at the
bottom, so a rule is written once whatever asks it.
"""

import enum
from collections.abc import Callable
from typing import Any

from flask_login import AnonymousUserMixin
from sqlalchemy import ColumnElement, false, or_, true
from werkzeug.exceptions import Forbidden, NotFound

from forum.accounts.models import User
from forum.boards.models import Board, PostPolicy, ReadPolicy, Role
from forum.posts.models import Post, PostStatus, Thread

Viewer = User | AnonymousUserMixin


class Action(enum.StrEnum):
    READ_BOARD = "read_board"
    START_THREAD = "start_thread"
    READ_THREAD = "read_thread"
    REPLY = "reply"
    READ_POST = "read_post"
    EDIT_POST = "edit_post"
    MODERATE_BOARD = "moderate_board"


def _account(user: Viewer) -> User | None:
    return user if isinstance(user, User) else None


def _roles_on(user: User, board: Board) -> set[Role]:
    return {r.role for r in user.board_roles if r.board_id == board.id}


def is_coordinator(user: Viewer, board: Board) -> bool:
    account = _account(user)
    return account is not None and Role.COORDINATOR in _roles_on(account, board)


def is_member(user: Viewer, board: Board) -> bool:
    """Members and coordinators both belong to a board's team."""
    account = _account(user)
    return account is not None and bool(_roles_on(account, board))


def is_admin(user: Viewer) -> bool:
    account = _account(user)
    return account is not None and account.is_admin


def _participant(user: Viewer) -> User | None:
    """The account of a viewer who may write at all: signed in, verified, not suspended."""
    account = _account(user)
    if account is None or not account.is_verified or account.is_suspended:
        return None
    return account


def can_take_part(user: Viewer) -> bool:
    return _participant(user) is not None


def can_read_board(user: Viewer, board: Board) -> bool:
    if board.read_policy == ReadPolicy.PUBLIC or is_admin(user):
        return True
    if board.read_policy == ReadPolicy.SIGNED_IN:
        return _account(user) is not None
    return is_member(user, board)


def can_moderate_board(user: Viewer, board: Board) -> bool:
    return is_admin(user) or is_coordinator(user, board)


def can_start_thread(user: Viewer, board: Board) -> bool:
    account = _participant(user)
    if account is None or not can_read_board(account, board):
        return False
    if account.is_admin:
        return True
    match board.post_policy:
        case PostPolicy.VERIFIED:
            return True
        case PostPolicy.ACCREDITED_OR_MEMBERS:
            return account.accredited or is_member(account, board)
        case PostPolicy.MEMBERS:
            return is_member(account, board)
        case PostPolicy.COORDINATORS:
            return is_coordinator(account, board)
    return False


def can_read_thread(user: Viewer, thread: Thread) -> bool:
    return can_read_board(user, thread.board)


def can_reply(user: Viewer, thread: Thread) -> bool:
    if not can_start_thread(user, thread.board):
        return False
    return not thread.is_locked or can_moderate_board(user, thread.board)


def can_read_post(user: Viewer, post: Post) -> bool:
    board = post.thread.board
    if not can_read_board(user, board):
        return False
    if post.status == PostStatus.PUBLISHED:
        return True
    account = _account(user)
    is_author = account is not None and account.id == post.author_id
    if post.status == PostStatus.DELETED:
        return is_admin(user)
    return is_author or can_moderate_board(user, board)


def can_edit_post(user: Viewer, post: Post) -> bool:
    account = _participant(user)
    if post.status == PostStatus.DELETED or account is None:
        return False
    if can_moderate_board(account, post.thread.board):
        return True
    return (
        account.id == post.author_id
        and not post.thread.is_locked
        and can_start_thread(account, post.thread.board)
    )


_RULES: dict[Action, Callable[[Viewer, Any], bool]] = {
    Action.READ_BOARD: can_read_board,
    Action.START_THREAD: can_start_thread,
    Action.READ_THREAD: can_read_thread,
    Action.REPLY: can_reply,
    Action.READ_POST: can_read_post,
    Action.EDIT_POST: can_edit_post,
    Action.MODERATE_BOARD: can_moderate_board,
}

_READ_ACTIONS = {Action.READ_BOARD, Action.READ_THREAD, Action.READ_POST}


def can(user: Viewer, action: Action | str, target: Any) -> bool:
    return _RULES[Action(action)](user, target)


def require(user: Viewer, action: Action | str, target: Any) -> None:
    """Raise 404 where the viewer may not even know the target exists, 403 otherwise.

    Reading something unreadable is a 404 for signed-in users (no leak of private boards);
    the caller turns a Forbidden for an anonymous user into a sign-in redirect.
    """
    if can(user, action, target):
        return
    if Action(action) in _READ_ACTIONS and _account(user) is not None:
        raise NotFound
    raise Forbidden


def readable_boards_clause(user: Viewer) -> ColumnElement[bool]:
    """SQL condition on Board equivalent to `can_read_board` for this viewer."""
    if is_admin(user):
        return true()
    account = _account(user)
    if account is None:
        return Board.read_policy == ReadPolicy.PUBLIC
    member_of = [r.board_id for r in account.board_roles]
    return or_(
        Board.read_policy.in_([ReadPolicy.PUBLIC, ReadPolicy.SIGNED_IN]),
        Board.id.in_(member_of) if member_of else false(),
    )


def sees_only_published(user: Viewer, board: Board) -> bool:
    """True when `visible_posts_clause` reduces to published posts (no own or held posts)."""
    return _account(user) is None


def visible_posts_clause(user: Viewer, board: Board) -> ColumnElement[bool]:
    """SQL condition on Post: which posts of a readable board this viewer sees in a listing."""
    if can_moderate_board(user, board):
        return Post.status != PostStatus.DELETED
    account = _account(user)
    if account is None:
        return Post.status == PostStatus.PUBLISHED
    return or_(
        Post.status == PostStatus.PUBLISHED,
        (Post.author_id == account.id) & Post.status.in_([PostStatus.PENDING, PostStatus.HIDDEN]),
    )
