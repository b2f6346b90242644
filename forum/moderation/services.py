"""Moderation acts. Each one checks the permission module, changes state, leaves one
entry in the moderation log, tells the people concerned, and flushes; the caller
commits.

State changes of posts are compare-and-set updates (`_transition`), so when two
coordinators act on the same post at once exactly one act happens and is logged; the
other gets AlreadyHandled.
"""

from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from forum import events
from forum.accounts.models import StakeholderGroup, User, email_key
from forum.accounts.sessions import end_sessions
from forum.boards.models import Board, BoardRole, ModerationMode, ReadPolicy, Role
from forum.db import utcnow
from forum.extensions import db
from forum.moderation.models import BoardTrust, Flag, FlagOutcome, FlagReason, LogAction, LogEntry
from forum.notices.services import notify
from forum.permissions import Action, can, is_admin
from forum.posts.models import Post, PostStatus, Thread
from forum.posts.services import publish, recount, recount_authors, recount_board, touch


class ModerationError(Exception):
    """An act that is not allowed or not possible; the message is for the moderator."""


class AlreadyHandled(ModerationError):
    """Someone else acted on this item first."""


def _is_public(board: Board) -> bool:
    return board.read_policy == ReadPolicy.PUBLIC


def _require(user: User, action: Action, target: Any = None) -> None:
    if not can(user, action, target):
        raise ModerationError(_("You cannot do this here."))


def record(
    action: LogAction,
    *,
    actor: User | None,
    board: Board | None = None,
    thread: Thread | None = None,
    post: Post | None = None,
    subject: User | None = None,
    reason: str = "",
    **details: Any,
) -> LogEntry:
    entry = LogEntry(
        action=action,
        actor_id=actor.id if actor else None,
        board_id=board.id if board else None,
        thread_id=thread.id if thread else None,
        post_id=post.id if post else None,
        subject_id=subject.id if subject else None,
        reason=reason.strip(),
        details=details,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _transition(
    post: Post, *, from_: Sequence[PostStatus], to: PostStatus, actor: User | None, reason: str = ""
) -> PostStatus:
    """Move a post between states atomically; returns the state it had."""
    before = post.status
    result = db.session.execute(
        update(Post)
        .where(Post.id == post.id, Post.status.in_(from_))
        .values(
            status=to,
            moderated_at=utcnow(),
            moderated_by_id=actor.id if actor else None,
            moderation_reason=reason.strip(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(post)
        raise AlreadyHandled(_("Someone has already handled this post."))
    db.session.expire(post, ["status", "moderated_at", "moderated_by_id", "moderation_reason"])
    return before


# Held posts ---------------------------------------------------------------------------


def _record_on_post(action: LogAction, actor: User | None, post: Post, **fields: Any) -> None:
    """A log entry about one post: its board, thread and author filled in."""
    record(action, actor=actor, board=post.thread.board, thread=post.thread, post=post,
           subject=post.author, **fields)  # fmt: skip


def _require_live_thread(post: Post) -> None:
    """Posts of deleted or merged threads cannot be published again on their own."""
    if post.thread.is_deleted or post.thread.merged_into_id is not None:
        raise ModerationError(_("This post's thread is deleted or merged; restore it first."))


def approve_post(post: Post, moderator: User, *, trust: bool = False) -> None:
    board = post.thread.board
    _require(moderator, Action.MODERATE_BOARD, board)
    _require_live_thread(post)
    _transition(post, from_=[PostStatus.PENDING], to=PostStatus.PUBLISHED, actor=moderator)
    publish(post)
    _record_on_post(LogAction.APPROVE, moderator, post)
    notify(post.author, "post_approved", post_id=post.id, thread=post.thread.title)
    if trust:
        trust_author(post.author, board, moderator)


def reject_post(post: Post, moderator: User, *, reason: str) -> None:
    board = post.thread.board
    _require(moderator, Action.MODERATE_BOARD, board)
    if not reason.strip():
        raise ModerationError(_("Say why the post is not accepted: its author is told."))
    _transition(
        post, from_=[PostStatus.PENDING], to=PostStatus.REJECTED, actor=moderator, reason=reason
    )
    touch(post.thread)
    _record_on_post(LogAction.REJECT, moderator, post, reason=reason)
    notify(
        post.author,
        "post_rejected",
        post_id=post.id,
        thread=post.thread.title,
        reason=reason.strip(),
    )


def trust_author(user: User, board: Board, moderator: User) -> None:
    _require(moderator, Action.MODERATE_BOARD, board)
    exists = db.session.scalar(
        select(BoardTrust.id).where(BoardTrust.board_id == board.id, BoardTrust.user_id == user.id)
    )
    if exists is None:
        db.session.add(BoardTrust(board_id=board.id, user_id=user.id, granted_by_id=moderator.id))
        record(LogAction.TRUST, actor=moderator, board=board, subject=user)


def set_moderation_mode(
    board: Board, actor: User, mode: ModerationMode, *, holds_outside_mail: bool | None = None
) -> None:
    """The board's moderation mode, and whether it holds mail from people who may not
    post there (None leaves that as it is); each change is logged."""
    _require(actor, Action.MODERATE_BOARD, board)
    if board.moderation_mode != mode:
        before = board.moderation_mode
        board.moderation_mode = mode
        board.changed_at = utcnow()
        record(LogAction.SET_MODE, actor=actor, board=board, before=before.value, after=mode.value)
    if holds_outside_mail is not None and board.holds_outside_mail != holds_outside_mail:
        board.holds_outside_mail = holds_outside_mail
        labels = {True: "outside mail held", False: "outside mail refused"}
        record(LogAction.SET_MODE, actor=actor, board=board,
               before=labels[not holds_outside_mail], after=labels[holds_outside_mail])  # fmt: skip


def set_mail_footer(board: Board, actor: User, footer: str) -> None:
    """The text added to every copy and digest of the board's posts; a change is logged."""
    _require(actor, Action.MODERATE_BOARD, board)
    lines = footer.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    footer = "\n".join(line.rstrip() for line in lines)
    if footer != board.mail_footer:
        board.mail_footer = footer
        record(LogAction.SET_MAIL_FOOTER, actor=actor, board=board, footer=footer)


# Published posts ----------------------------------------------------------------------


def hide_post(post: Post, moderator: User | None, *, reason: str) -> None:
    """Hide a published post (its author and the coordinators still see it, marked).
    With no moderator, the forum hides it by itself because enough people flagged it."""
    board = post.thread.board
    if moderator is not None:
        _require(moderator, Action.MODERATE_BOARD, board)
        if not reason.strip():
            raise ModerationError(_("Say why the post is hidden: its author is told."))
    _transition(
        post, from_=[PostStatus.PUBLISHED], to=PostStatus.HIDDEN, actor=moderator, reason=reason
    )
    _withdrawn(post, PostStatus.HIDDEN)
    if moderator is not None:
        _close_flags(post, moderator, FlagOutcome.HIDDEN)
    action = LogAction.HIDE if moderator else LogAction.AUTO_HIDE
    _record_on_post(action, moderator, post, reason=reason)
    notify(
        post.author, "post_hidden", post_id=post.id, thread=post.thread.title, reason=reason.strip()
    )


def unhide_post(post: Post, moderator: User, *, reason: str = "") -> None:
    board = post.thread.board
    _require(moderator, Action.MODERATE_BOARD, board)
    _require_live_thread(post)
    _transition(
        post, from_=[PostStatus.HIDDEN], to=PostStatus.PUBLISHED, actor=moderator, reason=reason
    )
    publish(post)
    _record_on_post(LogAction.UNHIDE, moderator, post, reason=reason)
    notify(post.author, "post_unhidden", post_id=post.id, thread=post.thread.title)


def delete_post(post: Post, actor: User, *, reason: str) -> None:
    """Soft-delete a post (admins can restore it); deleting a first post deletes its thread."""
    thread = post.thread
    _require(actor, Action.MODERATE_BOARD, thread.board)
    if post.id == thread.first_post_id:
        delete_thread(thread, actor, reason=reason)
        return
    if not reason.strip():
        raise ModerationError(_("Say why the post is deleted: its author is told."))
    live = [PostStatus.PUBLISHED, PostStatus.HIDDEN, PostStatus.PENDING]
    _transition(post, from_=live, to=PostStatus.DELETED, actor=actor, reason=reason)
    _withdrawn(post, PostStatus.DELETED)
    _close_flags(post, actor, FlagOutcome.DELETED)
    _record_on_post(LogAction.DELETE, actor, post, reason=reason)
    notify(post.author, "post_deleted", thread=thread.title, reason=reason.strip())


def restore_post(post: Post, admin: User) -> None:
    _require(admin, Action.RESTORE)
    _transition(post, from_=[PostStatus.DELETED], to=PostStatus.PUBLISHED, actor=admin)
    recount(post.thread)
    recount_authors([post.author_id])
    events.post_published.send(post)
    _record_on_post(LogAction.RESTORE, admin, post)


def _withdrawn(post: Post, status: PostStatus) -> None:
    recount(post.thread)
    recount_authors([post.author_id])
    events.post_withdrawn.send(post, status=status)


# Threads ------------------------------------------------------------------------------


def delete_thread(thread: Thread, actor: User, *, reason: str) -> None:
    _require(actor, Action.MODERATE_BOARD, thread.board)
    if thread.is_deleted:
        raise AlreadyHandled(_("This thread is deleted already."))
    if not reason.strip():
        raise ModerationError(_("Say why the thread is deleted."))
    _set_thread_deleted(thread, deleted=True)
    record(
        LogAction.DELETE_THREAD,
        actor=actor,
        board=thread.board,
        thread=thread,
        subject=thread.author,
        reason=reason,
        title=thread.title,
    )


def restore_thread(thread: Thread, admin: User) -> None:
    _require(admin, Action.RESTORE)
    if not thread.is_deleted:
        raise AlreadyHandled(_("This thread is not deleted."))
    _set_thread_deleted(thread, deleted=False)
    record(
        LogAction.RESTORE_THREAD,
        actor=admin,
        board=thread.board,
        thread=thread,
        subject=thread.author,
    )


def _set_thread_deleted(thread: Thread, *, deleted: bool) -> None:
    thread.is_deleted = deleted
    recount(thread)
    recount_authors(_author_ids(thread))
    for post in _published_posts(thread):
        if deleted:
            events.post_withdrawn.send(post, status=PostStatus.DELETED)
        else:
            events.post_published.send(post)


def _published_posts(thread: Thread) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post).where(Post.thread_id == thread.id, Post.status == PostStatus.PUBLISHED)
        )
    )


def _author_ids(thread: Thread) -> list[int]:
    return list(db.session.scalars(select(Post.author_id).where(Post.thread_id == thread.id)))


_THREAD_SWITCHES = {
    "is_locked": (
        LogAction.LOCK, LogAction.UNLOCK,
        _l("This thread is locked already."), _l("This thread is not locked."),
    ),
    "is_pinned": (
        LogAction.PIN, LogAction.UNPIN,
        _l("This thread is pinned already."), _l("This thread is not pinned."),
    ),
}  # fmt: skip


def _switch(thread: Thread, moderator: User, switch: str, value: bool, reason: str) -> None:
    """Lock or unlock, pin or unpin: the same act with different words."""
    _require(moderator, Action.MODERATE_BOARD, thread.board)
    on, off, already_on, already_off = _THREAD_SWITCHES[switch]
    if getattr(thread, switch) == value:
        raise AlreadyHandled(str(already_on if value else already_off))
    setattr(thread, switch, value)
    touch(thread)
    record(on if value else off, actor=moderator, board=thread.board, thread=thread, reason=reason)


def set_locked(thread: Thread, moderator: User, *, locked: bool, reason: str = "") -> None:
    _switch(thread, moderator, "is_locked", locked, reason)


def set_pinned(thread: Thread, moderator: User, *, pinned: bool, reason: str = "") -> None:
    _switch(thread, moderator, "is_pinned", pinned, reason)


def rename_thread(thread: Thread, moderator: User, *, title: str, reason: str = "") -> None:
    _require(moderator, Action.MODERATE_BOARD, thread.board)
    title = title.strip()
    if not title or title == thread.title:
        raise ModerationError(_("Give the thread a new title."))
    before = thread.title
    thread.title = title
    touch(thread)
    record(
        LogAction.RENAME,
        actor=moderator,
        board=thread.board,
        thread=thread,
        reason=reason,
        before=before,
        after=title,
    )
    events.thread_changed.send(thread)


def move_thread(thread: Thread, moderator: User, *, target: Board, reason: str = "") -> None:
    if target.id == thread.board_id:
        raise ModerationError(_("The thread is in that board already."))
    if not can(moderator, Action.MOVE_THREAD, (thread, target)):
        raise ModerationError(_("You can move threads only between boards you moderate."))
    source = thread.board
    touch(thread)
    thread.board = target
    db.session.flush()
    recount(thread)
    recount_board(source)
    for board, other in ((source, target), (target, source)):
        record(
            LogAction.MOVE,
            actor=moderator,
            board=board,
            thread=thread,
            reason=reason,
            from_board=source.code if other is target or _is_public(source) else "",
            to_board=target.code if other is source or _is_public(target) else "",
        )
    events.thread_changed.send(thread)


def split_thread(
    thread: Thread, moderator: User, *, posts: Iterable[Post], title: str, reason: str = ""
) -> Thread:
    """Move some replies of a thread into a new thread of the same board."""
    _require(moderator, Action.MODERATE_BOARD, thread.board)
    chosen = sorted(posts, key=lambda post: (post.created_at, post.id))
    if not chosen or not title.strip():
        raise ModerationError(_("Choose the replies to split off and a title for them."))
    if any(post.thread_id != thread.id or post.id == thread.first_post_id for post in chosen):
        raise ModerationError(_("Only replies of this thread can be split off."))
    first = chosen[0]
    new = Thread(
        board=thread.board,
        author_id=first.author_id,
        title=title.strip(),
        created_at=first.created_at,
        last_activity_at=first.created_at,
    )
    db.session.add(new)
    db.session.flush()
    for post in chosen:
        post.thread = new
    new.first_post = first
    db.session.flush()
    recount(new)
    recount(thread)
    record(
        LogAction.SPLIT,
        actor=moderator,
        board=thread.board,
        thread=thread,
        reason=reason,
        new_thread=new.id,
        posts=[post.id for post in chosen],
    )
    events.thread_changed.send(thread)
    events.thread_changed.send(new)
    return new


def merge_threads(source: Thread, target: Thread, moderator: User, *, reason: str = "") -> None:
    """Move every post of `source` into `target`; the source's address leads to the target."""
    if not can(moderator, Action.MERGE_THREADS, (source, target)):
        raise ModerationError(_("You can merge threads only within boards you moderate."))
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise AlreadyHandled(_("One of these threads has been merged already."))
    db.session.execute(
        update(Post)
        .where(Post.thread_id == source.id)
        .values(thread_id=target.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    source.merged_into_id = target.id
    source.first_post_id = source.last_post_id = None
    db.session.flush()
    recount(source)
    recount(target)
    for board in {source.board, target.board}:
        # A board's public log names the other thread only if that one is public too.
        visible = board.id == target.board_id or _is_public(target.board)
        record(
            LogAction.MERGE,
            actor=moderator,
            board=board,
            thread=target if visible else None,
            reason=reason,
            merged_thread=source.id,
        )
    events.thread_changed.send(target)


# Flags --------------------------------------------------------------------------------


def flag_post(post: Post, user: User, *, reason: FlagReason, text: str = "") -> Flag:
    if not can(user, Action.FLAG_POST, post):
        raise ModerationError(_("You cannot flag this post."))
    if reason == FlagReason.OTHER and not text.strip():
        raise ModerationError(_("Say what is wrong with the post."))
    already = db.session.scalar(
        select(Flag.id).where(Flag.post_id == post.id, Flag.user_id == user.id)
    )
    if already is not None:
        raise AlreadyHandled(_("You have flagged this post already."))
    flag = Flag(post_id=post.id, user_id=user.id, reason=reason, text=text.strip())
    db.session.add(flag)
    db.session.flush()
    if open_flag_count(post) >= current_app.config["FLAGS_TO_HIDE"]:
        with suppress(AlreadyHandled):
            hide_post(post, None, reason=_("Flagged by several people; waiting for review."))
    return flag


def _close_flags(post: Post, moderator: User, outcome: FlagOutcome) -> list[int]:
    """Resolve the post's open flags with this outcome; returns the flaggers' ids."""
    result = db.session.execute(
        update(Flag)
        .where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=moderator.id, outcome=outcome)
        .returning(Flag.user_id)
    )
    return [row[0] for row in result]


def open_flag_count(post: Post) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
        )
        or 0
    )


def resolve_flags(post: Post, moderator: User, *, outcome: FlagOutcome, reason: str = "") -> None:
    """Keep, hide or delete a flagged post; its flaggers learn the outcome."""
    board = post.thread.board
    _require(moderator, Action.MODERATE_BOARD, board)
    flaggers = _close_flags(post, moderator, outcome)
    if not flaggers:
        raise AlreadyHandled(_("These flags have been handled already."))
    reason = reason.strip() or _("Reviewed after flags.")
    if outcome == FlagOutcome.KEPT and post.status == PostStatus.HIDDEN:
        unhide_post(post, moderator, reason=reason)
    elif outcome == FlagOutcome.HIDDEN and post.status == PostStatus.PUBLISHED:
        hide_post(post, moderator, reason=reason)
    elif outcome == FlagOutcome.DELETED:
        delete_post(post, moderator, reason=reason)
    _record_on_post(
        LogAction.RESOLVE_FLAGS,
        moderator,
        post,
        reason=reason,
        outcome=outcome.value,
        flags=len(flaggers),
    )
    for flagger in db.session.scalars(select(User).where(User.id.in_(flaggers))):
        notify(flagger, f"flag_{outcome.value}", post_id=post.id, thread=post.thread.title)


# People -------------------------------------------------------------------------------


def suspend_user(user: User, admin: User, *, reason: str, until: datetime | None) -> None:
    _require(admin, Action.ADMINISTER)
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
    _require(admin, Action.ADMINISTER)
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
    _require(moderator, Action.MODERATE_BOARD, board)
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
    notify(user, "banned", board=board.label, reason=reason.strip())


def unban_from_board(user: User, board: Board, moderator: User, *, reason: str = "") -> None:
    _require(moderator, Action.MODERATE_BOARD, board)
    ban = _role(board, user, Role.BANNED)
    if ban is None:
        raise AlreadyHandled(_("This person is not banned from this board."))
    db.session.delete(ban)
    db.session.flush()
    db.session.expire(user, ["board_roles"])
    record(LogAction.UNBAN, actor=moderator, board=board, subject=user, reason=reason)
    notify(user, "unbanned", board=board.label)


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
    notify(user, "role_granted", board_slug=board.slug, board=board.label, role=role.value)
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
    notify(user, "role_revoked", board=board.label, role=role.value)


def _require_role_management(board: Board, role: Role, actor: User) -> None:
    if role == Role.BANNED:
        raise ModerationError(_("Use the ban form for bans."))
    if role == Role.COORDINATOR:
        _require(actor, Action.ADMINISTER)
    else:
        _require(actor, Action.MANAGE_MEMBERS, board)


class InviteNeedsName(ModerationError):
    """The address has no account, and no name was given to invite its owner."""


def grant_role_by_email(
    board: Board,
    email: str,
    role: Role,
    actor: User,
    *,
    display_name: str = "",
    organisation: str = "",
    stakeholder_group: StakeholderGroup = StakeholderGroup.CIVIL_SOCIETY,
) -> tuple[User, bool]:
    """Give a role to the account of this address, inviting its owner when there is none.
    Returns the person and whether they were invited just now."""
    person = db.session.scalar(select(User).where(User.email == email_key(email)))
    invited = person is None
    if person is None:
        if not display_name.strip():
            raise InviteNeedsName(_("No account uses this address: give a name to invite them."))
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
    _require(admin, Action.ADMINISTER)
    if user.accredited == accredited:
        raise AlreadyHandled(_("Nothing to change."))
    user.accredited = accredited
    action = LogAction.ACCREDIT if accredited else LogAction.UNACCREDIT
    record(action, actor=admin, subject=user)


# Telling coordinators -------------------------------------------------------------------


def _tell_coordinators(post: Post, **_details: Any) -> None:
    """A held post waits: its board's coordinators are told, on the web and by mail that
    they can answer with "approve" or "reject: reason"."""
    board = post.thread.board
    coordinators = db.session.scalars(
        select(User)
        .join(BoardRole, BoardRole.user_id == User.id)
        .where(BoardRole.board_id == board.id, BoardRole.role == Role.COORDINATOR)
    )
    for coordinator in coordinators:
        if coordinator.id != post.author_id:
            notify(coordinator, "post_waiting", post_id=post.id, thread=post.thread.title,
                   author=post.author.display_name, board=board.label)  # fmt: skip


events.post_held.connect(_tell_coordinators)
