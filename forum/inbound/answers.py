"""Answering a sender whose message was not posted (RFC 3834).

An answer goes to the return path only when the forum can tell that it is the real
sender's: SPF passed for it at the forum's MTA, or it is the From address and that was
authenticated. A forged sender gets nothing (no backscatter); nor do lists, bounces and
robots, and an address gets one answer an hour at the most.
"""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from forum.db import utcnow
from forum.extensions import db
from forum.inbound.authenticity import Authenticity
from forum.inbound.models import InboundMessage
from forum.inbound.parse import Received
from forum.mail import addresses
from forum.mail.models import MailKind, OutboxMessage
from forum.mail.outbox import queue

# Precedence values of mail sent to many at once: never posted, never answered.
BULK = frozenset({"bulk", "junk", "list"})


def automatic(received: Received) -> bool:
    """Auto-Submitted other than "no" (RFC 3834): an auto-reply, a notice, a robot."""
    value = received.auto_submitted.split(";")[0].strip()
    return bool(value) and value != "no"


def answer_address(received: Received, envelope_from: str, sender: Authenticity) -> str | None:
    """Where an answer may go, or None."""
    to = envelope_from.strip("<>").lower()
    if not to or to.rpartition("@")[2] == addresses.domain().lower():
        return None
    if received.list_id or received.precedence in BULK or automatic(received):
        return None
    if not sender.vouches_for_return_path(to, received.from_address):
        return None
    return to


def explain(
    record: InboundMessage, received: Received, envelope_from: str, sender: Authenticity
) -> None:
    """One short answer saying why the message was not posted, when it may be sent."""
    to = answer_address(received, envelope_from, sender)
    if to is None:
        return
    since = utcnow() - timedelta(seconds=current_app.config["MAIL_AUTO_REPLY_SECONDS"])
    recent = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.kind == MailKind.AUTO_REPLY,
            OutboxMessage.to_address == to,
            OutboxMessage.created_at > since,
        )
    )
    if recent:
        return
    site = current_app.config["SITE_NAME"]
    subject = received.subject or _("your message")
    text = _(
        "Your message to %(recipient)s (“%(subject)s”) was not posted on %(site)s:\n\n"
        "%(reason)s\n\nThis is an automatic answer; you get at most one an hour.",
        recipient=record.recipient, subject=subject, site=site, reason=record.reason,
    )  # fmt: skip
    queue(
        MailKind.AUTO_REPLY,
        to_address=to,
        subject=f"[{site}] " + _("Not posted: %(subject)s", subject=subject),
        payload={"text": text, "in_reply_to": received.message_id},
    )
