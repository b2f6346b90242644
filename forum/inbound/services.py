"""Taking in one received message for one recipient, under the same rules as the web.

Every message ends with an outcome, recorded with the raw message: posted, held for the
coordinators, unconfirmed (its sender could not be authenticated, and is asked to
confirm it), confirmed (a sender's reply confirming such a message), moderated (a
coordinator's "approve" or "reject: reason"), forwarded (postmaster@, abuse@, a board's
-owner@), answered (a board's email commands), refused (the sender is told why, where
`forum.inbound.answers` allows) or ignored (loops, auto-replies, bounces, duplicates,
confirmations that lapsed, mail to the forum's own address). Who may post where is
asked of `forum.permissions` through the posting and moderation services, exactly as
for the web.

Mail to a board's own address is posted only when its From is authenticated (see
`forum.inbound.authenticity`); mail to a personal token address only when its From is
the token's owner. The same message sent to several addresses is taken once for each
(see `forum.inbound.crossposts`).
"""

import re
from dataclasses import dataclass
from typing import NoReturn

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from forum.accounts.models import User
from forum.accounts.services import find_user_by_email
from forum.boards.models import Board
from forum.extensions import db
from forum.inbound import (
    answers,
    authenticity,
    bounces,
    commands,
    confirmations,
    forwarding,
    outside,
)
from forum.inbound.authenticity import Authenticity
from forum.inbound.errors import Done, UnknownRecipient
from forum.inbound.models import InboundMessage, Outcome
from forum.inbound.parse import AUTO_REPLY_SUBJECT, Received, parse
from forum.inbound.publishing import publish
from forum.inbound.routing import Recipient, destination, require_owner, route
from forum.mail import addresses
from forum.meetings import replies as meeting_replies
from forum.moderation import services as moderation
from forum.permissions import Action, can, holds_mail_without_account
from forum.posts import services as posting
from forum.posts.models import Post, Thread

# RFC 5321 and 5322: a line holds at most 998 characters before its CRLF.
LINE_MAX = 998
# What the first line of a reply confirming a message says (in the six UN languages).
_CONFIRMING_WORD = re.compile(
    r"^\W*(yes|confirm|confirmed|ok|oui|sí|si|да|نعم|是|确认)\b", re.IGNORECASE
)
# Token addresses whose secret, mailed only to its owner, authenticates that owner.
_PERSONAL = frozenset({"reply", "digest", "moderate", "confirm"})
_TAKEN = (
    Outcome.POSTED,
    Outcome.HELD,
    Outcome.MODERATED,
    Outcome.UNCONFIRMED,
    Outcome.CONFIRMED,
    Outcome.FORWARDED,
    Outcome.ANSWERED,
)


@dataclass(frozen=True)
class Reading:
    """A message read and its DKIM signature checked: the slow part (DNS look-ups), done
    before the transaction that takes the message in, so no lock waits on it."""

    received: Received
    dkim: bool


def read(raw: bytes) -> Reading:
    received = parse(raw)
    vouched = authenticity.assess(received).method
    return Reading(received, not vouched and authenticity.dkim_verified(raw, received.from_address))


def receive(
    raw: bytes, *, envelope_from: str, recipient: str, reading: Reading | None = None
) -> InboundMessage:
    """Take in one message for one recipient, and record what became of it."""
    target = route(recipient)
    if target is None:
        raise UnknownRecipient(recipient)
    confirmations.expire_lapsed()
    reading = reading or read(raw)
    received = reading.received
    record = InboundMessage(
        envelope_from=envelope_from[:320],
        recipient=recipient[:320],
        message_id=received.message_id,
        from_address=received.from_address[:320],
        subject=received.subject,
        full_text=received.full_text,
        raw=raw,
        outcome=Outcome.IGNORED,
        board_id=target.board.id if target.board is not None else None,
    )
    db.session.add(record)
    sender = authenticity.assess(received)
    if reading.dkim:
        sender.method = "dkim"
    if sender.method and not authenticity.meant_for(received, recipient):
        sender.method = ""
    with force_locale(answers.answer_language(received)):
        try:
            _take(record, raw, received, target, envelope_from, sender)
        except Done as done:
            record.outcome, record.reason = done.outcome, done.reason
            record.authenticated_by = sender.method
            if done.tell_sender:
                answers.explain(record, received, envelope_from, sender)
    db.session.flush()
    return record


def _take(
    record: InboundMessage,
    raw: bytes,
    received: Received,
    target: Recipient,
    envelope: str,
    sender: Authenticity,
) -> None:
    if target.kind == "bounces":
        raise Done(Outcome.IGNORED, bounces.record_bounce(target.numbers[0], received))
    _refuse_repeats(received, record.recipient)
    if target.kind in forwarding.KINDS:
        forwarding.forward(record, received, target)
    _refuse_loops_and_junk(received, envelope)
    if target.kind == "forum":
        forwarding.point_elsewhere(record, received, envelope, sender)
    _refuse_unreadable(raw, received)
    if target.kind == "meeting":
        meeting_replies.take(received, target.numbers[0], sender)
    if target.kind in commands.KINDS:
        commands.take(record, received, target, envelope, sender)
    if target.kind == "confirm":
        _confirm_for_address(received, target)
    author = _author(record, received, target, sender)
    record.user_id = author.id
    if target.kind in _PERSONAL:
        require_owner(author, target.numbers[0])
        sender.method = "token"
    if target.kind == "moderate":
        raise Done(Outcome.MODERATED, _moderate(author, target.numbers, received))
    if target.kind == "confirm":
        _confirm(author, target.numbers[1], received)
    thread, board = destination(author, target, received)
    if not sender.method:
        _refuse_unless_allowed(author, thread, board)
        confirmations.hold(record, author, received)
    publish(record, author, received, thread=thread, board=board,
            dmarc_failed=_dmarc_failed(received))  # fmt: skip


def _refuse_repeats(received: Received, recipient: str) -> None:
    """The same message again for the same address (the MTA retried, or it was resent)."""
    if received.message_id and _seen(received.message_id, recipient, received.from_address):
        raise Done(Outcome.IGNORED, f"duplicate of {received.message_id}, received before")


def _refuse_loops_and_junk(received: Received, envelope: str) -> None:
    if not envelope or envelope == "<>":
        raise Done(Outcome.IGNORED, "no return path: a bounce or notice, not a post")
    if answers.automatic(received):
        raise Done(
            Outcome.IGNORED, f"automatic message (Auto-Submitted: {received.auto_submitted})"
        )
    if received.auto_reply_header:
        raise Done(Outcome.IGNORED, f"automatic reply ({received.auto_reply_header})")
    if AUTO_REPLY_SUBJECT.match(received.subject):
        raise Done(Outcome.IGNORED, f"automatic reply (Subject: {received.subject[:80]})")
    if received.precedence in answers.BULK:
        raise Done(Outcome.IGNORED, f"bulk mail (Precedence: {received.precedence})")
    if received.list_id.endswith(f".{addresses.domain().lower()}>"):
        raise Done(Outcome.IGNORED, "the forum's own list mail came back (a loop)")


def _refuse_unreadable(raw: bytes, received: Received) -> None:
    """Messages that break the rules of mail, or that cannot be read: refused for good."""
    if max(map(len, raw.splitlines()), default=0) > LINE_MAX:
        raise Done(
            Outcome.REFUSED,
            _("A line of the message is longer than 1,000 characters, which mail does not "
              "allow (RFC 5321). Send it again from a mail program that wraps its lines."),
            tell_sender=True,
        )  # fmt: skip
    if received.unreadable:
        raise Done(Outcome.REFUSED, received.unreadable, tell_sender=True)
    if received.from_count > 1:
        raise Done(
            Outcome.REFUSED,
            _("The message names several senders (From); send it from one address."),
            tell_sender=True,
        )


def _seen(message_id: str, recipient: str, from_address: str) -> bool:
    """The same message from the same sender taken before (someone else's message with
    that Message-ID does not make a genuine one a duplicate)."""
    earlier = select(InboundMessage.id).where(
        InboundMessage.message_id == message_id,
        InboundMessage.recipient == recipient[:320],
        InboundMessage.from_address == from_address[:320],
        InboundMessage.outcome.in_(_TAKEN),
    )
    return db.session.scalar(earlier.limit(1)) is not None


def _author(
    record: InboundMessage, received: Received, target: Recipient, sender: Authenticity
) -> User:
    """The verified account of the From address; mail from an address with no account
    waits for the coordinators of a board that holds such mail."""
    if not received.from_address:
        raise Done(Outcome.REFUSED, "no From address", tell_sender=True)
    user = find_user_by_email(received.from_address)
    if user is None and target.kind == "board" and holds_mail_without_account(target.board):
        outside.take(record, received, target.board, sender)
    if user is None or not user.is_verified:
        raise Done(
            Outcome.REFUSED,
            _("%(address)s has no confirmed account on %(site)s.",
              address=received.from_address, site=current_app.config["SITE_NAME"]),
            tell_sender=True,
        )  # fmt: skip
    return user


def _dmarc_failed(received: Received) -> bool:
    """A DMARC failure reported by the forum's own MTA: such mail that came through a
    personal address waits for the coordinators."""
    return any(
        verdict.method == "dmarc" and verdict.result in {"fail", "quarantine", "reject"}
        for verdict in authenticity.trusted_verdicts(received)
    )


def _refuse_unless_allowed(author: User, thread: Thread | None, board: Board | None) -> None:
    """Before asking anyone to confirm a message: it could be posted where it is sent (so
    the forum never mails a confirmation request for something it would refuse)."""
    target, action = (thread, Action.REPLY) if thread else (board, Action.START_THREAD)
    if not can(author, action, target) and not can(author, Action.SUBMIT_FOR_REVIEW, target):
        where = thread.board if thread else board
        raise Done(
            Outcome.REFUSED, posting.why_cannot_post(author, where, thread), tell_sender=True
        )


def _require_yes(received: Received) -> None:
    """A reply confirming something says so on its first line; an auto-reply does not."""
    if not _CONFIRMING_WORD.match(received.first_line):
        raise Done(
            Outcome.REFUSED,
            _("To confirm, reply with the word “yes” on the first line, or open the link in "
              "the confirmation email."),
            tell_sender=True,
        )  # fmt: skip


def _confirm_for_address(received: Received, target: Recipient) -> None:
    """A reply confirming a request from an address that had no account: the personal
    address went to that address alone, and the reply must come from it."""
    owner, record_id = target.numbers
    if owner != 0:
        return
    waiting = db.session.get(InboundMessage, record_id)
    if (
        waiting is None
        or waiting.user_id is not None
        or (waiting.from_address != received.from_address)
    ):
        raise Done(Outcome.REFUSED, _("That message is no longer known."), tell_sender=True)
    _require_yes(received)
    _settle_confirmation(waiting)


def _confirm(author: User, record_id: int, received: Received) -> None:
    """A reply to a confirmation request that says yes carries out the message it asked
    about (a reply without the word, such as an auto-reply, does nothing)."""
    waiting = db.session.get(InboundMessage, record_id)
    if waiting is None or waiting.user_id != author.id:
        raise Done(Outcome.REFUSED, _("That message is no longer known."), tell_sender=True)
    _require_yes(received)
    _settle_confirmation(waiting)


def _settle_confirmation(waiting: InboundMessage) -> NoReturn:
    try:
        confirmations.confirm(waiting)
    except confirmations.ConfirmationError as error:
        raise Done(Outcome.REFUSED, str(error), tell_sender=True) from error
    raise Done(Outcome.CONFIRMED, f"confirmed message {waiting.id}: {waiting.outcome}")


def _moderate(author: User, numbers: tuple[int, ...], received: Received) -> str:
    """A coordinator's answer to the notice of a held post: "approve" or "reject: why"."""
    post = db.session.get(Post, numbers[1])
    if post is None:
        raise Done(Outcome.REFUSED, _("That post no longer exists."), tell_sender=True)
    command, _sep, reason = received.first_line.partition(":")
    command = command.strip().lower()
    try:
        if command == "approve":
            moderation.approve_post(post, author)
            return f"approved post {post.id}"
        if command == "reject":
            moderation.reject_post(post, author, reason=reason.strip())
            return f"rejected post {post.id}"
    except (moderation.ModerationError, posting.PostingError) as error:
        raise Done(Outcome.REFUSED, str(error), tell_sender=True) from error
    raise Done(
        Outcome.REFUSED,
        _('Start your reply with "approve", or "reject: " and the reason.'),
        tell_sender=True,
    )
