"""Email: who follows what, their mail settings, the publication log and the outbox."""

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.db import str_enum, utcnow
from forum.extensions import db


class MailMode(enum.StrEnum):
    """How a person follows a board by email."""

    OFF = "off"
    EVERY_POST = "every_post"
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def label(self) -> str:
        return str(MAIL_MODE_LABELS[self])


MAIL_MODE_LABELS = {
    MailMode.OFF: _l("No email"),
    MailMode.EVERY_POST: _l("Every post"),
    MailMode.DAILY: _l("Daily digest"),
    MailMode.WEEKLY: _l("Weekly digest"),
}
DIGEST_MODES = (MailMode.DAILY, MailMode.WEEKLY)


class WatchMode(enum.StrEnum):
    WATCH = "watch"
    MUTE = "mute"


class MailFormat(enum.StrEnum):
    TEXT = "text"
    HTML = "html"


class DigestForm(enum.StrEnum):
    """How a digest is made: a summary with a table of contents and the start of each post
    (in the person's format), every post in full as plain text (RFC 1153), or a MIME
    digest (RFC 2046) of the posts as messages of their own."""

    SUMMARY = "summary"
    PLAIN = "plain"
    MIME = "mime"


DIGEST_FORM_LABELS = {
    DigestForm.SUMMARY: _l("Summary: contents and the start of each post, with links"),
    DigestForm.PLAIN: _l("Plain text: every post in full, one after the other"),
    DigestForm.MIME: _l("MIME digest: every post as a message of its own, to answer in any "
                        "mail program"),
}  # fmt: skip


class Subscription(db.Model):
    """One person's way of following one board by email."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "board_id", name="uq_subscriptions_user_board"),
        Index("ix_subscriptions_board_mode", "board_id", "mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    mode: Mapped[MailMode] = mapped_column(str_enum(MailMode))
    # Digests take only posts published after this point of the publication log, so that
    # a new subscription does not bring the board's whole history.
    since_publication_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThreadWatch(db.Model):
    """Every post of one thread by email (watch), or nothing from it (mute)."""

    __tablename__ = "thread_watches"
    __table_args__ = (
        UniqueConstraint("user_id", "thread_id", name="uq_thread_watches_user_thread"),
        Index("ix_thread_watches_thread", "thread_id", "mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    mode: Mapped[WatchMode] = mapped_column(str_enum(WatchMode))


class MailSettings(db.Model):
    """A person's global mail settings and digest watermarks (defaults when absent)."""

    __tablename__ = "mail_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # Local hour (0-23) and weekday (0 is Monday) of digests, in the person's time zone.
    digest_hour: Mapped[int] = mapped_column(default=7)
    digest_weekday: Mapped[int] = mapped_column(default=0)
    format: Mapped[MailFormat] = mapped_column(str_enum(MailFormat), default=MailFormat.HTML)
    digest_form: Mapped[DigestForm] = mapped_column(
        str_enum(DigestForm), default=DigestForm.SUMMARY
    )
    paused: Mapped[bool] = mapped_column(default=False)
    own_posts: Mapped[bool] = mapped_column(default=False)
    # What happens to one's posts, flags and roles, by email as well as on the web.
    notices: Mapped[bool] = mapped_column(default=True)
    # Replies to one's posts and mentions of one's name, by email as well as on the web.
    replies: Mapped[bool] = mapped_column(default=True)
    mentions: Mapped[bool] = mapped_column(default=True)
    # The last publication (see Publication) that each kind of digest has covered.
    daily_watermark: Mapped[int] = mapped_column(default=0)
    weekly_watermark: Mapped[int] = mapped_column(default=0)
    daily_sent_at: Mapped[datetime | None]
    weekly_sent_at: Mapped[datetime | None]
    # Digests are numbered in volumes: the first is the year of the person's first digest,
    # and each period's issues count from 1 in every volume ("Vol 3, Issue 42").
    digest_first_year: Mapped[int | None]
    daily_volume: Mapped[int] = mapped_column(default=0)
    daily_issue: Mapped[int] = mapped_column(default=0)
    weekly_volume: Mapped[int] = mapped_column(default=0)
    weekly_issue: Mapped[int] = mapped_column(default=0)
    # Set when too many messages to the address bounced: mail is paused until the
    # person confirms the address works (see forum.inbound.bounces).
    bouncing_since: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @classmethod
    def defaults_for(cls, user_id: int) -> "MailSettings":
        """Unsaved settings holding the column defaults (which SQLAlchemy would only fill
        in when inserting), for people who never changed theirs."""
        values = {
            column.key: column.default.arg
            for column in cls.__table__.columns
            if column.default is not None and not callable(column.default.arg)
        }
        return cls(**{**values, "user_id": user_id})


class Publication(db.Model):
    """The log of posts in the order they first became public.

    Digests read it up to a point that no open transaction can still write below (see
    `forum.mail.digests.publication_horizon`), and keep how far they got per person; a
    post approved late is logged when approved, so it reaches the next digest."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailKind(enum.StrEnum):
    POST = "post"
    DIGEST = "digest"
    NOTICE = "notice"
    ACCOUNT = "account"
    # An answer to mail the forum could not take (RFC 3834: Auto-Submitted: auto-replied).
    AUTO_REPLY = "auto_reply"
    # A meeting's invitation, update, cancellation or reminder (forum.meetings.invitations).
    MEETING = "meeting"


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


OUTBOX_STATUS_LABELS = {
    OutboxStatus.QUEUED: lazy_pgettext("mail state", "Waiting"),
    OutboxStatus.SENDING: lazy_pgettext("mail state", "Sending"),
    OutboxStatus.SENT: lazy_pgettext("mail state", "Sent"),
    OutboxStatus.FAILED: lazy_pgettext("mail state", "Failed"),
    OutboxStatus.SKIPPED: lazy_pgettext("mail state", "Not sent"),
}


class OutboxMessage(db.Model):
    """One email to one person, written in the transaction of what caused it.

    Account mail is worded when queued (its links hold tokens); copies of posts,
    digests and notices are worded when sent, from the post and person as they are
    then, so that an email change, a suspension or a hidden post counts at once."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id", name="uq_outbox_post_user"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MailKind] = mapped_column(str_enum(MailKind))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # For mail to an address that is not (yet) the account's, such as a new address.
    to_address: Mapped[str | None] = mapped_column(String(254))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # Why a copy of a post goes to this person: "board" (they follow it) or "watch".
    reason: Mapped[str] = mapped_column(String(16), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    subject: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()
