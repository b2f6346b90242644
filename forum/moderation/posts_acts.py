"""Moderation acts on posts: held posts and the board's moderation mode, published
posts (hide, delete, restore, redact), and flags."""

from contextlib import suppress
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from forum import events
from forum.accounts.models import User
from forum.boards.models import Board, BoardRole, ModerationMode, OutsideMail, Role
from forum.db import utcnow
from forum.extensions import db
from forum.moderation.acts import (
    AlreadyHandled,
    ModerationError,
    record,
    record_on_post,
    require_permission,
    transition,
)
from forum.moderation.models import BoardTrust, Flag, FlagOutcome, FlagReason, LogAction
from forum.moderation.threads_acts import delete_thread
from forum.notices.services import notify
from forum.permissions import Action, can
from forum.posts.counters import recount, recount_authors, touch
from forum.posts.models import Post, PostRevision, PostStatus
from forum.posts.services import PostingError, edit_post, publish

# Held posts ---------------------------------------------------------------------------


def _require_live_thread(post: Post) -> None:
    """Posts of deleted or merged threads cannot be published again on their own."""
    if post.thread.is_deleted or post.thread.merged_into_id is not None:
        raise ModerationError(_("This post's thread is deleted or merged; restore it first."))


def approve_post(post: Post, moderator: User, *, trust: bool = False) -> None:
    board = post.thread.board
    require_permission(moderator, Action.MODERATE_THREAD, post.thread)
    _require_live_thread(post)
    transition(post, from_=[PostStatus.PENDING], to=PostStatus.PUBLISHED, actor=moderator)
    publish(post)
    record_on_post(LogAction.APPROVE, moderator, post)
    notify(post.author, "post_approved", post_id=post.id, thread=post.thread.title)
    if trust:
        trust_author(post.author, board, moderator)


def reject_post(post: Post, moderator: User, *, reason: str) -> None:
    require_permission(moderator, Action.MODERATE_THREAD, post.thread)
    if not reason.strip():
        raise ModerationError(_("Say why the post is not accepted: its author is told."))
    transition(
        post, from_=[PostStatus.PENDING], to=PostStatus.REJECTED, actor=moderator, reason=reason
    )
    touch(post.thread)
    record_on_post(LogAction.REJECT, moderator, post, reason=reason)
    notify(
        post.author,
        "post_rejected",
        post_id=post.id,
        thread=post.thread.title,
        reason=reason.strip(),
    )


def trust_author(user: User, board: Board, moderator: User) -> None:
    require_permission(moderator, Action.MODERATE_BOARD, board)
    exists = db.session.scalar(
        select(BoardTrust.id).where(BoardTrust.board_id == board.id, BoardTrust.user_id == user.id)
    )
    if exists is None:
        db.session.add(BoardTrust(board_id=board.id, user_id=user.id, granted_by_id=moderator.id))
        record(LogAction.TRUST, actor=moderator, board=board, subject=user)


def set_moderation_mode(
    board: Board, actor: User, mode: ModerationMode, *, outside_mail: OutsideMail | None = None
) -> None:
    """The board's moderation mode, and what becomes of mail from people who may not post
    there (None leaves that as it is); each change is logged."""
    require_permission(actor, Action.MODERATE_BOARD, board)
    if board.moderation_mode != mode:
        before = board.moderation_mode
        board.moderation_mode = mode
        board.changed_at = utcnow()
        record(LogAction.SET_MODE, actor=actor, board=board, before=before.value, after=mode.value)
    if outside_mail is not None and board.outside_mail != outside_mail:
        before_mail, board.outside_mail = board.outside_mail, outside_mail
        record(LogAction.SET_MODE, actor=actor, board=board, setting="outside_mail",
               before=before_mail.value, after=outside_mail.value)  # fmt: skip


def set_mail_footer(board: Board, actor: User, footer: str) -> None:
    """The text added to every copy and digest of the board's posts; a change is logged."""
    require_permission(actor, Action.MODERATE_BOARD, board)
    lines = footer.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    footer = "\n".join(line.rstrip() for line in lines)
    if footer != board.mail_footer:
        board.mail_footer = footer
        record(LogAction.SET_MAIL_FOOTER, actor=actor, board=board, footer=footer)


# Published posts ----------------------------------------------------------------------


def hide_post(post: Post, moderator: User | None, *, reason: str) -> None:
    """Hide a published post (its author and the coordinators still see it, marked).
    With no moderator, the forum hides it by itself because enough people flagged it."""
    if moderator is not None:
        require_permission(moderator, Action.MODERATE_THREAD, post.thread)
        if not reason.strip():
            raise ModerationError(_("Say why the post is hidden: its author is told."))
    transition(
        post, from_=[PostStatus.PUBLISHED], to=PostStatus.HIDDEN, actor=moderator, reason=reason
    )
    _withdrawn(post, PostStatus.HIDDEN)
    if moderator is not None:
        _close_flags(post, moderator, FlagOutcome.HIDDEN)
    action = LogAction.HIDE if moderator else LogAction.AUTO_HIDE
    record_on_post(action, moderator, post, reason=reason)
    notify(
        post.author, "post_hidden", post_id=post.id, thread=post.thread.title, reason=reason.strip()
    )


def unhide_post(post: Post, moderator: User, *, reason: str = "") -> None:
    require_permission(moderator, Action.MODERATE_THREAD, post.thread)
    _require_live_thread(post)
    transition(
        post, from_=[PostStatus.HIDDEN], to=PostStatus.PUBLISHED, actor=moderator, reason=reason
    )
    publish(post)
    record_on_post(LogAction.UNHIDE, moderator, post, reason=reason)
    notify(post.author, "post_unhidden", post_id=post.id, thread=post.thread.title)


def delete_post(post: Post, actor: User, *, reason: str) -> None:
    """Soft-delete a post (admins can restore it); deleting a first post deletes its thread."""
    thread = post.thread
    require_permission(actor, Action.MODERATE_THREAD, thread)
    if post.id == thread.first_post_id:
        delete_thread(thread, actor, reason=reason)
        return
    if not reason.strip():
        raise ModerationError(_("Say why the post is deleted: its author is told."))
    live = [PostStatus.PUBLISHED, PostStatus.HIDDEN, PostStatus.PENDING]
    transition(post, from_=live, to=PostStatus.DELETED, actor=actor, reason=reason)
    _withdrawn(post, PostStatus.DELETED)
    _close_flags(post, actor, FlagOutcome.DELETED)
    record_on_post(LogAction.DELETE, actor, post, reason=reason)
    notify(post.author, "post_deleted", thread=thread.title, reason=reason.strip())


def restore_post(post: Post, admin: User) -> None:
    require_permission(admin, Action.RESTORE)
    transition(post, from_=[PostStatus.DELETED], to=PostStatus.PUBLISHED, actor=admin)
    recount(post.thread)
    recount_authors([post.author_id])
    events.post_published.send(post)
    record_on_post(LogAction.RESTORE, admin, post)


def redact_post(post: Post, moderator: User, *, body: str, reason: str) -> int:
    """Edit a post (or keep its text) and hide every earlier version from all but the
    board's moderators: for personal data, say. Returns how many versions were hidden.
    Copies already mailed cannot be recalled."""
    require_permission(moderator, Action.REDACT_POST, post)
    if not reason.strip():
        raise ModerationError(_("Say why the earlier versions are hidden: the log shows it."))
    try:
        edit_post(post, moderator, body=body)
    except PostingError as error:
        raise ModerationError(str(error)) from error
    hidden = db.session.execute(
        update(PostRevision)
        .where(PostRevision.post_id == post.id, PostRevision.redacted_at.is_(None))
        .values(redacted_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not hidden:
        raise ModerationError(_("This post has no earlier version to hide."))
    db.session.expire(post, ["revisions"])
    record_on_post(LogAction.REDACT, moderator, post, reason=reason, versions=hidden)
    return hidden


def _withdrawn(post: Post, status: PostStatus) -> None:
    recount(post.thread)
    recount_authors([post.author_id])
    events.post_withdrawn.send(post, status=status)


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
    require_permission(moderator, Action.MODERATE_THREAD, post.thread)
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
    record_on_post(
        LogAction.RESOLVE_FLAGS,
        moderator,
        post,
        reason=reason,
        outcome=outcome.value,
        flags=len(flaggers),
    )
    for flagger in db.session.scalars(select(User).where(User.id.in_(flaggers))):
        notify(flagger, f"flag_{outcome.value}", post_id=post.id, thread=post.thread.title)


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
                   author=post.author.display_name, board=board.english_label)  # fmt: skip


events.post_held.connect(_tell_coordinators)
