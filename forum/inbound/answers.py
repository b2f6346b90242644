"""Answering the sender of a received message (RFC 3834).

`answer_address` alone decides where an answer may go. Never to a null return path, to
lists, bulk mail or robots. When the From is a confirmed account, to that account's
registered address, whatever the return path: only its owner reads it, so a forged
message reaches nobody else (no backscatter). Otherwise to the return path, only when
the forum can tell that it is the real sender's: SPF passed for it at the forum's MTA,
or it is the From address and that was authenticated.

In what language: a confirmed account's, else the language the message is written in
(see `forum.mail.language`); the whole taking-in of a message is worded in it, so that
the reasons an answer gives are too.

How often: refusals are answered once an hour per address and reason (two different
refusals are both explained), and an address gets at most MAIL_ANSWERS_PER_DAY answers
a day, whatever they say.
"""

from datetime import timedelta
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import func, select

from forum.accounts.models import User
from forum.accounts.services import find_user_by_email
from forum.db import utcnow
from forum.extensions import db
from forum.inbound.authenticity import Authenticity
from forum.inbound.models import InboundMessage, Outcome
from forum.inbound.parse import Received
from forum.mail import addresses
from forum.mail.language import language_of, language_of_message, worded_for
from forum.mail.models import MailKind
from forum.mail.outbox import queue

# Precedence values of mail sent to many at once: never posted, never answered.
BULK = frozenset({"bulk", "junk", "list"})
# How much of a refused message's text its answer quotes back.
QUOTE_MAX = 20_000
REFUSAL_INTERVAL = timedelta(hours=1)


def automatic(received: Received) -> bool:
    """Auto-Submitted other than "no" (RFC 3834): an auto-reply, a notice, a robot."""
    value = received.auto_submitted.split(";")[0].strip()
    return bool(value) and value != "no"


def confirmed_account(address: str) -> User | None:
    user = find_user_by_email(address) if address else None
    return user if user is not None and user.is_verified else None


def answer_language(received: Received) -> str:
    """The language answers to this message are worded in."""
    account = confirmed_account(received.from_address)
    if account is not None:
        return language_of(account)
    return language_of_message(received.message, received.subject, received.text)


def answer_address(received: Received, envelope_from: str, sender: Authenticity) -> str | None:
    """Where an answer may go, or None."""
    to = envelope_from.strip("<>").lower()
    if not to or received.list_id or received.precedence in BULK or automatic(received):
        return None
    if received.auto_reply_header:
        return None
    account = confirmed_account(received.from_address)
    if account is not None:
        return account.email
    if to.rpartition("@")[2] == addresses.domain().lower():
        return None
    if not sender.vouches_for_return_path(to, received.from_address):
        return None
    return to


def _answers_since(to: str, since: object, *, reason: str | None = None) -> int:
    query = select(func.count()).where(
        InboundMessage.answered_to == to, InboundMessage.received_at > since
    )
    if reason is not None:
        query = query.where(InboundMessage.reason == reason)
    return db.session.scalar(query) or 0


def send_answer(
    record: InboundMessage,
    *,
    to: str | None,
    subject: str,
    text: str,
    in_reply_to: str = "",
    once_per: timedelta | None = None,
) -> bool:
    """Queue an answer to `to` unless a limit holds it back (`once_per`: one answer per
    address and reason in that time); notes on the record where it went."""
    if not to:
        return False
    now = utcnow()
    if _answers_since(to, now - timedelta(days=1)) >= current_app.config["MAIL_ANSWERS_PER_DAY"]:
        return False
    if once_per is not None and _answers_since(to, now - once_per, reason=record.reason):
        return False
    account = confirmed_account(to)
    queue(
        MailKind.AUTO_REPLY,
        user=account if account is not None and account.email == to else None,
        to_address=to,
        subject=f"[{current_app.config['SITE_NAME']}] {subject}",
        payload={"text": text, "in_reply_to": in_reply_to},
    )
    record.answered_to = to
    db.session.flush()
    return True


def quoted(text: str) -> str:
    """The text with `> ` before each line, cut at QUOTE_MAX characters."""
    text = text.strip()
    if len(text) > QUOTE_MAX:
        text = text[:QUOTE_MAX].rstrip() + "\n[…]"
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def explain_unreadable(record: InboundMessage, raw: bytes) -> None:
    """The answer about a message refused because it could not be read at all: from its
    headers alone, to a confirmed account's registered address only (nothing else about
    the sender can be checked), with its raw text quoted back."""
    headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    sender = parseaddr(str(headers.get("From", "")))[1].lower()
    account = confirmed_account(sender)
    robot = str(headers.get("Auto-Submitted", "no")).strip().lower() not in {"", "no"}
    bulk = str(headers.get("Precedence", "")).strip().lower() in BULK
    if account is None or robot or bulk or headers.get("List-Id"):
        return
    body = raw.partition(b"\r\n\r\n")[2] or raw.partition(b"\n\n")[2]
    with worded_for(account):
        text = render_template(
            "mail/not_posted.txt",
            site_name=current_app.config["SITE_NAME"],
            recipient=record.recipient,
            subject=str(headers.get("Subject", ""))[:200],
            reason=_("The forum could not read this message, even after several tries."),
            held=False,
            quote=quoted(body.decode("utf-8", "replace")),
        )
        subject = _("Not posted: %(subject)s", subject=_("your message"))
    send_answer(record, to=account.email, text=text, once_per=REFUSAL_INTERVAL, subject=subject)


def explain(
    record: InboundMessage, received: Received, envelope_from: str, sender: Authenticity
) -> None:
    """One short answer saying why the message was not posted (or that it waits), with
    its text quoted back so that nothing typed is lost; when it may be sent."""
    subject = received.subject or _("your message")
    held = record.outcome == Outcome.HELD
    text = render_template(
        "mail/not_posted.txt",
        site_name=current_app.config["SITE_NAME"],
        recipient=record.recipient,
        subject=subject,
        reason=record.reason,
        held=held,
        quote=quoted(received.text.strip() or received.full_text),
    )
    title = (
        _("Waiting: %(subject)s", subject=subject)
        if held
        else _("Not posted: %(subject)s", subject=subject)
    )
    send_answer(
        record,
        to=answer_address(received, envelope_from, sender),
        subject=title,
        text=text,
        in_reply_to=received.message_id,
        once_per=REFUSAL_INTERVAL,
    )
