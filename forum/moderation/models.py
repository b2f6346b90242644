"""Moderation: trusted authors, flags and the public moderation log."""

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, ForeignKey, Index, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import str_enum, utcnow
from forum.extensions import db


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    OFF_TOPIC = "off_topic"
    ABUSIVE = "abusive"
    PERSONAL_INFORMATION = "personal_information"
    OTHER = "other"


FLAG_REASON_LABELS = {
    FlagReason.SPAM: _l("Spam"),
    FlagReason.OFF_TOPIC: _l("Off-topic"),
    FlagReason.ABUSIVE: _l("Abusive or harassing"),
    FlagReason.PERSONAL_INFORMATION: _l("Discloses personal information"),
    FlagReason.OTHER: _l("Other (say why)"),
}


class FlagOutcome(enum.StrEnum):
    KEPT = "kept"
    HIDDEN = "hidden"
    DELETED = "deleted"


FLAG_OUTCOME_LABELS = {
    FlagOutcome.KEPT: lazy_pgettext("flagged post", "Kept"),
    FlagOutcome.HIDDEN: lazy_pgettext("flagged post", "Hidden"),
    FlagOutcome.DELETED: lazy_pgettext("flagged post", "Deleted"),
}


class LogAction(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    TRUST = "trust"
    HIDE = "hide"
    UNHIDE = "unhide"
    DELETE = "delete"
    RESTORE = "restore"
    DELETE_THREAD = "delete_thread"
    RESTORE_THREAD = "restore_thread"
    LOCK = "lock"
    UNLOCK = "unlock"
    PIN = "pin"
    UNPIN = "unpin"
    RENAME = "rename"
    MOVE = "move"
    SPLIT = "split"
    MERGE = "merge"
    AUTO_HIDE = "auto_hide"
    RESOLVE_FLAGS = "resolve_flags"
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"
    BAN = "ban"
    UNBAN = "unban"
    GRANT = "grant"
    REVOKE = "revoke"
    INVITE = "invite"
    ACCREDIT = "accredit"
    UNACCREDIT = "unaccredit"
    SET_MODE = "set_mode"
    REDACT = "redact"
    SET_MAIL_FOOTER = "set_mail_footer"
    # Mail from an address with no account, held for the coordinators.
    ACCEPT_MAIL = "accept_mail"
    DISCARD_MAIL = "discard_mail"
    # Meetings (forum.meetings).
    SCHEDULE_MEETING = "schedule_meeting"
    CHANGE_MEETING = "change_meeting"
    CANCEL_MEETING = "cancel_meeting"
    POST_MINUTES = "post_minutes"
    # Stocktaking entries, reviewed by the coordinators of their action lines.
    PUBLISH_ENTRY = "publish_entry"
    RETURN_ENTRY = "return_entry"
    REJECT_ENTRY = "reject_entry"
    # Consultations listed on several boards (forum.consultations).
    OPEN_CONSULTATION = "open_consultation"
    REQUEST_LISTING = "request_listing"
    ACCEPT_LISTING = "accept_listing"
    DECLINE_LISTING = "decline_listing"
    CLOSE_CONSULTATION = "close_consultation"
    POST_SUMMARY = "post_summary"


LOG_ACTION_LABELS = {
    LogAction.APPROVE: _l("approved a post"),
    LogAction.REJECT: _l("rejected a post"),
    LogAction.TRUST: _l("trusted an author"),
    LogAction.HIDE: _l("hid a post"),
    LogAction.UNHIDE: _l("made a post visible again"),
    LogAction.DELETE: _l("deleted a post"),
    LogAction.RESTORE: _l("restored a post"),
    LogAction.DELETE_THREAD: _l("deleted a thread"),
    LogAction.RESTORE_THREAD: _l("restored a thread"),
    LogAction.LOCK: _l("locked a thread"),
    LogAction.UNLOCK: _l("unlocked a thread"),
    LogAction.PIN: _l("pinned a thread"),
    LogAction.UNPIN: _l("unpinned a thread"),
    LogAction.RENAME: _l("renamed a thread"),
    LogAction.MOVE: _l("moved a thread"),
    LogAction.SPLIT: _l("split a thread"),
    LogAction.MERGE: _l("merged threads"),
    LogAction.AUTO_HIDE: _l("hid a post after several flags"),
    LogAction.RESOLVE_FLAGS: _l("resolved flags on a post"),
    LogAction.SUSPEND: _l("suspended an account"),
    LogAction.UNSUSPEND: _l("lifted a suspension"),
    LogAction.BAN: _l("stopped someone posting on the board"),
    LogAction.UNBAN: _l("lifted a ban from the board"),
    LogAction.GRANT: _l("granted a role"),
    LogAction.REVOKE: _l("revoked a role"),
    LogAction.INVITE: _l("invited someone"),
    LogAction.ACCREDIT: _l("marked an account as accredited"),
    LogAction.UNACCREDIT: _l("removed an account's accreditation"),
    LogAction.SET_MODE: _l("changed the board's moderation"),
    LogAction.REDACT: _l("redacted earlier versions of a post"),
    LogAction.SET_MAIL_FOOTER: _l("changed the footer of the board's mail"),
    LogAction.ACCEPT_MAIL: _l("accepted mail from an address with no account"),
    LogAction.DISCARD_MAIL: _l("discarded mail from an address with no account"),
    LogAction.SCHEDULE_MEETING: _l("scheduled a meeting"),
    LogAction.CHANGE_MEETING: _l("changed a meeting"),
    LogAction.CANCEL_MEETING: _l("cancelled a meeting"),
    LogAction.POST_MINUTES: _l("posted the minutes of a meeting"),
    LogAction.PUBLISH_ENTRY: _l("published a stocktaking entry"),
    LogAction.RETURN_ENTRY: _l("asked for changes to a stocktaking entry"),
    LogAction.REJECT_ENTRY: _l("rejected a stocktaking entry"),
    LogAction.OPEN_CONSULTATION: _l("opened a consultation"),
    LogAction.REQUEST_LISTING: _l("asked another board to list a consultation"),
    LogAction.ACCEPT_LISTING: _l("accepted to list a consultation"),
    LogAction.DECLINE_LISTING: _l("declined to list a consultation"),
    LogAction.CLOSE_CONSULTATION: _l("closed a consultation on its closing date"),
    LogAction.POST_SUMMARY: _l("posted the summary of a consultation"),
}


class BoardTrust(db.Model):
    """An author whose posts on this board no longer wait for approval."""

    __tablename__ = "board_trusts"
    __table_args__ = (UniqueConstraint("board_id", "user_id", name="uq_board_trusts_board_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Flag(db.Model):
    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id", name="uq_flags_post_user"),
        Index("ix_flags_open", "post_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[FlagReason] = mapped_column(str_enum(FlagReason))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[FlagOutcome | None] = mapped_column(str_enum(FlagOutcome))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class LogEntry(db.Model):
    """One moderation act: append-only, readable by whoever can read its board."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_board", "board_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None when the forum acted by itself (a post hidden by flags).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    action: Mapped[LogAction] = mapped_column(str_enum(LogAction))
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="RESTRICT"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])
    board: Mapped["Board | None"] = relationship()

    @property
    def label(self) -> str:
        return str(LOG_ACTION_LABELS[self.action])


class LogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(LogEntry, "before_update")
@event.listens_for(LogEntry, "before_delete")
def _refuse_log_changes(mapper: object, connection: object, target: LogEntry) -> None:
    raise LogIsAppendOnly("moderation log entries are never changed or removed")
