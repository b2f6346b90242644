"""Mail that comes in: every message received, with what became of it, and bounces."""

import enum
from datetime import datetime

from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import str_enum, utcnow
from forum.extensions import db
from forum.posts.models import Post


class Outcome(enum.StrEnum):
    POSTED = "posted"
    HELD = "held"
    # A coordinator's "approve" or "reject: reason", carried out.
    MODERATED = "moderated"
    # Kept until its sender, who could not be authenticated, confirms it (or it lapses).
    UNCONFIRMED = "unconfirmed"
    # A sender's reply that confirmed an earlier, unconfirmed message of theirs.
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    IGNORED = "ignored"
    # Mail to postmaster@, abuse@ or a board's owner address, passed on to people.
    FORWARDED = "forwarded"
    # Email commands (`c5-request@`, `-join@`, `-leave@`) carried out and answered.
    ANSWERED = "answered"
    # The parser crashed: kept for inspection, and the sender's server told to try later.
    FAILED = "failed"


OUTCOME_LABELS = {
    Outcome.POSTED: lazy_pgettext("received mail", "Posted"),
    Outcome.HELD: lazy_pgettext("received mail", "Held for the coordinators"),
    Outcome.MODERATED: lazy_pgettext("received mail", "Moderated"),
    Outcome.UNCONFIRMED: lazy_pgettext("received mail", "Awaiting its sender's confirmation"),
    Outcome.CONFIRMED: lazy_pgettext("received mail", "Confirmation"),
    Outcome.REFUSED: lazy_pgettext("received mail", "Refused"),
    Outcome.IGNORED: lazy_pgettext("received mail", "Ignored"),
    Outcome.FORWARDED: lazy_pgettext("received mail", "Forwarded"),
    Outcome.ANSWERED: lazy_pgettext("received mail", "Commands answered"),
    Outcome.FAILED: lazy_pgettext("received mail", "Could not be read"),
}

# How a sender was authenticated (`authenticated_by`): the protocols by their names, as
# written in every language, and the forum's own ways in words.
AUTHENTICATION_LABELS = {
    "dmarc": "DMARC",
    "dkim": "DKIM",
    "spf": "SPF",
    "token": lazy_pgettext("authenticated by", "their personal reply address"),
    "confirmation": lazy_pgettext("authenticated by", "their reply confirming it"),
}


class InboundMessage(db.Model):
    """One message as received, raw, with its outcome; a post that came by email keeps
    its message here, so nothing of the original is lost."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        Index("ix_inbound_messages_message_id", "message_id"),
        Index("ix_inbound_messages_received", "received_at"),
        Index("ix_inbound_messages_outcome_confirm_by", "outcome", "confirm_by"),
        Index("ix_inbound_messages_board_outcome", "board_id", "outcome"),
        Index("ix_inbound_messages_answered_to", "answered_to", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    envelope_from: Mapped[str] = mapped_column(String(320), default="")
    recipient: Mapped[str] = mapped_column(String(320), default="")
    # The Message-ID as sent; kept here also when its post could not take it (one on
    # the forum's own domain, which the forum alone gives out).
    message_id: Mapped[str] = mapped_column(String(255), default="")
    from_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome))
    reason: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    # The board it was sent to (its posting, request, join, leave or owner address).
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="SET NULL"))
    # Where the forum's answer to it went ("" when none was sent).
    answered_to: Mapped[str] = mapped_column(String(320), default="", server_default="")
    # How the sender was known to be who the From says: "dmarc" or "dkim" (from the
    # forum's MTA), "dkim" checked here, "token" (a personal address), "confirmation";
    # empty when they were not.
    authenticated_by: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # Until when an unconfirmed message waits for its sender's confirmation.
    confirm_by: Mapped[datetime | None]
    # The whole text as sent, quotes and signature included, for moderators.
    full_text: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)

    user: Mapped[User | None] = relationship()
    post: Mapped[Post | None] = relationship()
    board: Mapped[Board | None] = relationship()


class Bounce(db.Model):
    """A delivery failure reported for one of our messages to one person."""

    __tablename__ = "bounces"
    __table_args__ = (Index("ix_bounces_user", "user_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    address: Mapped[str] = mapped_column(String(320))
    # "hard" (the address does not work) or "soft" (try again later).
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="")
    detail: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship()
