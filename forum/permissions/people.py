"""Who a viewer is: their account, their standing in the forum and their roles on a
board, which the rules of every feature build on."""

from datetime import datetime

from flask_login import AnonymousUserMixin

from forum.accounts.models import User
from forum.boards.models import TEAM_ROLES, Board, Role
from forum.db import utcnow

Viewer = User | AnonymousUserMixin


def account_of(user: Viewer) -> User | None:
    """The account of a signed-in viewer; None for anonymous readers."""
    return user if isinstance(user, User) else None


def _roles_on(user: User, board: Board) -> set[Role]:
    return {r.role for r in user.board_roles if r.board_id == board.id}


def is_admin(user: Viewer) -> bool:
    account = account_of(user)
    return account is not None and account.is_admin


def is_coordinator(user: Viewer, board: Board) -> bool:
    account = account_of(user)
    return account is not None and Role.COORDINATOR in _roles_on(account, board)


def is_member(user: Viewer, board: Board) -> bool:
    """Members and coordinators both belong to a board's team."""
    account = account_of(user)
    return account is not None and bool(_roles_on(account, board) & TEAM_ROLES)


def is_banned(user: Viewer, board: Board) -> bool:
    account = account_of(user)
    return account is not None and Role.BANNED in _roles_on(account, board)


def is_suspended(user: Viewer, moment: datetime | None = None) -> bool:
    account = account_of(user)
    return account is not None and account.suspended_at(moment or utcnow())


def participant_of(user: Viewer) -> User | None:
    """The account of a viewer who may write at all: signed in, verified, not suspended."""
    account = account_of(user)
    if account is None or not account.is_verified or is_suspended(account):
        return None
    return account


def can_take_part(user: Viewer) -> bool:
    return participant_of(user) is not None


def can_administer(user: Viewer) -> bool:
    account = participant_of(user)
    return account is not None and account.is_admin


def can_edit_site_pages(user: Viewer) -> bool:
    """About, Code of conduct, Privacy, Terms and Contact speak for the forum: admins."""
    return can_administer(user)


def can_delete_account(user: Viewer, target: User) -> bool:
    """An account is deleted by its owner alone, signed in, suspended or not: one's data
    is one's own to take away."""
    account = account_of(user)
    return account is not None and account.id == target.id and account.deleted_at is None
