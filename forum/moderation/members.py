"""Moderation acts on people: suspensions, bans from a board, roles, invitations and
accreditation."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from forum import events
from forum.accounts.models import StakeholderGroup, User, email_key
from forum.accounts.sessions import end_sessions
from forum.boards.models import Board, BoardRole, Role
from forum.db import utcnow
from forum.extensions import db
from forum.moderation.acts import AlreadyHandled, ModerationError, record, require_permission
from forum.moderation.models import LogAction
from forum.notices.services import notify
from forum.permissions import Action, can, is_admin


def suspend_user(user: User, admin: User, *, reason: str, until: datetime | None) -> None:
    require_permission(admin, Action.ADMINISTER)
    if not reason.strip():
        raise ModerationError(_("Say why the account is suspended: its owner is told."))
    if user.id == admin.id:
        raise ModerationError(_("You cannot suspend yourself."))
    user.is_suspended = True
    user.suspended_until = until
    user.suspension_reason = reason.strip()
    end_sessions(user)
    record(
        LogAction.SUSPEND,
        actor=admin,
        subject=user,
        reason=reason,
        until=until.isoformat() if until else None,
    )
    notify(user, "suspended", reason=reason.strip())


def unsuspend_user(user: User, admin: User, *, reason: str = "") -> None:
    require_permission(admin, Action.ADMINISTER)
    if not user.is_suspended:
        raise AlreadyHandled(_("This account is not suspended."))
    user.is_suspended = False
    user.suspended_until = None
    user.suspension_reason = ""
    record(LogAction.UNSUSPEND, actor=admin, subject=user, reason=reason)
    notify(user, "unsuspended")


def _role(board: Board, user: User, role: Role) -> BoardRole | None:
    return db.session.scalar(
        select(BoardRole).where(
            BoardRole.board_id == board.id, BoardRole.user_id == user.id, BoardRole.role == role
        )
    )


def ban_from_board(user: User, board: Board, moderator: User, *, reason: str) -> None:
    require_permission(moderator, Action.MODERATE_BOARD, board)
    if not reason.strip():
        raise ModerationError(_("Say why this person may no longer post here."))
    if is_admin(user) or can(user, Action.MODERATE_BOARD, board):
        raise ModerationError(_("Coordinators and admins cannot be banned from a board."))
    if _role(board, user, Role.BANNED) is not None:
        raise AlreadyHandled(_("This person is banned from this board already."))
    db.session.add(
        BoardRole(
            board_id=board.id,
            user_id=user.id,
            role=Role.BANNED,
            granted_by_id=moderator.id,
            reason=reason.strip(),
        )
    )
    db.session.flush()
    db.session.expire(user, ["board_roles"])
    record(LogAction.BAN, actor=moderator, board=board, subject=user, reason=reason)
    notify(user, "banned", board_id=board.id, board=board.english_label, reason=reason.strip())


def unban_from_board(user: User, board: Board, moderator: User, *, reason: str = "") -> None:
    require_permission(moderator, Action.MODERATE_BOARD, board)
    ban = _role(board, user, Role.BANNED)
    if ban is None:
        raise AlreadyHandled(_("This person is not banned from this board."))
    db.session.delete(ban)
    db.session.flush()
    db.session.expire(user, ["board_roles"])
    record(LogAction.UNBAN, actor=moderator, board=board, subject=user, reason=reason)
    notify(user, "unbanned", board_id=board.id, board=board.english_label)


def grant_role(board: Board, user: User, role: Role, actor: User) -> bool:
    """Make someone coordinator (admins only) or member (coordinators too) of a board.
    Returns False when they held that role already."""
    _require_role_management(board, role, actor)
    if _role(board, user, role) is not None:
        return False
    db.session.add(BoardRole(board_id=board.id, user_id=user.id, role=role, granted_by_id=actor.id))
    db.session.flush()
    db.session.expire(user, ["board_roles"])
    board.changed_at = utcnow()
    record(LogAction.GRANT, actor=actor, board=board, subject=user, role=role.value)
    notify(
        user,
        "role_granted",
        board_slug=board.slug,
        board_id=board.id,
        board=board.english_label,
        role=role.value,
    )
    events.role_granted.send(user, board=board, role=role)
    return True


def revoke_role(board: Board, user: User, role: Role, actor: User) -> None:
    _require_role_management(board, role, actor)
    granted = _role(board, user, role)
    if granted is None:
        raise AlreadyHandled(_("This person does not hold that role."))
    db.session.delete(granted)
    db.session.flush()
    db.session.expire(user, ["board_roles"])
    board.changed_at = utcnow()
    record(LogAction.REVOKE, actor=actor, board=board, subject=user, role=role.value)
    notify(user, "role_revoked", board_id=board.id, board=board.english_label, role=role.value)


def _require_role_management(board: Board, role: Role, actor: User) -> None:
    if role == Role.BANNED:
        raise ModerationError(_("Use the ban form for bans."))
    if role == Role.COORDINATOR:
        require_permission(actor, Action.ADMINISTER)
    else:
        require_permission(actor, Action.MANAGE_MEMBERS, board)


class InviteNeedsDetails(ModerationError):
    """The address has no account, and the name or the stakeholder group needed to invite
    its owner is missing. Each problem is kept apart so that a form shows it by its field."""

    def __init__(self, *, name: str | None, group: str | None) -> None:
        super().__init__(" ".join(problem for problem in (name, group) if problem))
        self.name = name
        self.group = group


def grant_role_by_email(
    board: Board,
    email: str,
    role: Role,
    actor: User,
    *,
    display_name: str = "",
    organisation: str = "",
    stakeholder_group: StakeholderGroup | None = None,
) -> tuple[User, bool]:
    """Give a role to the account of this address, inviting its owner when there is none
    (with the name and stakeholder group given: none is assumed for them). Returns the
    person and whether they were invited just now."""
    person = db.session.scalar(select(User).where(User.email == email_key(email)))
    invited = person is None
    if person is None:
        if not display_name.strip() or stakeholder_group is None:
            name = _("No account uses this address: give a name to invite them.")
            group = _("Choose the stakeholder group of the person you invite.")
            raise InviteNeedsDetails(
                name=None if display_name.strip() else name,
                group=None if stakeholder_group else group,
            )
        person = invite_user(
            email, display_name=display_name, organisation=organisation,
            stakeholder_group=stakeholder_group, actor=actor, board=board,
        )  # fmt: skip
    if not grant_role(board, person, role, actor):
        raise AlreadyHandled(_("This person holds that role already."))
    return person, invited


def invite_user(
    email: str,
    *,
    display_name: str,
    organisation: str,
    stakeholder_group: StakeholderGroup,
    actor: User,
    board: Board | None = None,
) -> User:
    """An account for someone who may never sign in on the web: it receives mail and can
    take part by email, and its owner can claim it later by resetting the password."""
    if not display_name.strip():
        raise ModerationError(_("Give the name of the person you invite."))
    user = User(
        email=email_key(email),
        display_name=display_name.strip(),
        organisation=organisation.strip(),
        stakeholder_group=stakeholder_group,
        password_hash=None,
        email_verified_at=utcnow(),
        invited_by_id=actor.id,
    )
    db.session.add(user)
    db.session.flush()
    record(LogAction.INVITE, actor=actor, board=board, subject=user)
    return user


def set_accredited(user: User, admin: User, *, accredited: bool) -> None:
    require_permission(admin, Action.ADMINISTER)
    if user.accredited == accredited:
        raise AlreadyHandled(_("Nothing to change."))
    user.accredited = accredited
    action = LogAction.ACCREDIT if accredited else LogAction.UNACCREDIT
    record(action, actor=admin, subject=user)
