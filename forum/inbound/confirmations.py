"""Mail to a board whose sender could not be authenticated waits for their confirmation.

The forum mails the account's own address: "Post this message? Confirm or ignore", with
one link (a page with a button, since mail scanners follow links) and a personal
`confirm+…@` address to reply to. A forger therefore reaches only the real owner's
mailbox, and a genuine sender whose provider does not sign its mail is never dropped in
silence. Once confirmed, the message goes through the same posting path as any other
(the board's moderation still applies); unconfirmed, it lapses after MAIL_CONFIRM_DAYS.
"""

from datetime import timedelta
from typing import NoReturn

from flask import current_app, render_template, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.i18n import format_when
from forum.inbound.errors import Done
from forum.inbound.models import InboundMessage, Outcome
from forum.inbound.parse import Received, parse
from forum.inbound.publishing import publish
from forum.inbound.routing import destination, route
from forum.mail import addresses
from forum.mail.models import MailKind
from forum.mail.outbox import queue

_SALT = "confirm-received-mail"
_EXCERPT = 400
LAPSED = "not confirmed by its sender in time"


class ConfirmationError(Exception):
    """The message cannot be confirmed (any more); the text is for its sender."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def token_for(record: InboundMessage) -> str:
    return _serializer().dumps([record.id, record.user_id])


def read_token(token: str) -> InboundMessage | None:
    """The received message a confirmation link names, or None."""
    try:
        record_id, user_id = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(record_id, int) or not isinstance(user_id, int):
        return None
    record = db.session.get(InboundMessage, record_id)
    return record if record is not None and record.user_id == user_id else None


def _waiting(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(
            InboundMessage.user_id == user.id,
            InboundMessage.outcome == Outcome.UNCONFIRMED,
            InboundMessage.confirm_by > utcnow(),
        )
    )


def hold(record: InboundMessage, author: User, received: Received) -> NoReturn:
    """Keep the message and ask its sender to confirm it; settles it as unconfirmed."""
    if _waiting(author) >= current_app.config["MAIL_CONFIRM_MAX_WAITING"]:
        raise Done(
            Outcome.REFUSED,
            _("Too many of your messages wait for your confirmation already: confirm them "
              "(see the messages the forum sent you), then send this one again."),
            tell_sender=True,
        )  # fmt: skip
    record.confirm_by = utcnow() + timedelta(days=current_app.config["MAIL_CONFIRM_DAYS"])
    db.session.flush()
    _ask(record, author, received)
    raise Done(
        Outcome.UNCONFIRMED,
        f"sender not authenticated: confirmation asked of {author.email}, "
        f"until {record.confirm_by:%Y-%m-%d %H:%M} UTC",
    )


def _ask(record: InboundMessage, author: User, received: Received) -> None:
    site = current_app.config["SITE_NAME"]
    subject = received.subject or _("(no subject)")
    excerpt = received.text.strip()
    if len(excerpt) > _EXCERPT:
        excerpt = excerpt[:_EXCERPT].rstrip() + " …"
    text = render_template(
        "mail/confirm_post.txt",
        site_name=site,
        user=author,
        recipient=record.recipient,
        subject=subject,
        excerpt=excerpt,
        link=url_for("inbound.confirm", token=token_for(record), _external=True),
        until=format_when(record.confirm_by),
    )
    queue(
        MailKind.ACCOUNT,
        user=author,
        subject=f"[{site}] " + _("Post this message? Confirm or ignore: %(subject)s",
                                 subject=subject),
        payload={
            "text": text,
            "reply_to": addresses.token_address("confirm", author.id, record.id),
            "in_reply_to": received.message_id,
        },
    )  # fmt: skip


def expire_lapsed() -> None:
    """Messages whose confirmation time ran out end ignored."""
    db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.outcome == Outcome.UNCONFIRMED, InboundMessage.confirm_by <= utcnow())
        .values(outcome=Outcome.IGNORED, reason=LAPSED)
        .execution_options(synchronize_session=False)
    )


def why_not(record: InboundMessage) -> str:
    """Why this message cannot be confirmed now, in words for its sender; "" if it can."""
    lapsed = _("This message waited too long and was not posted. Send it again.")
    if record.outcome == Outcome.UNCONFIRMED:
        return lapsed if record.confirm_by is None or record.confirm_by <= utcnow() else ""
    if record.reason == LAPSED:
        return lapsed
    return _("This message was confirmed already.")


def _claim(record: InboundMessage) -> bool:
    """Take the message out of waiting, unless a confirmation sent at the same moment (a
    second click, the link and a reply) took it first."""
    claimed = db.session.execute(
        update(InboundMessage)
        .where(
            InboundMessage.id == record.id,
            InboundMessage.outcome == Outcome.UNCONFIRMED,
            InboundMessage.confirm_by > utcnow(),
        )
        .values(outcome=Outcome.CONFIRMED)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def confirm(record: InboundMessage) -> None:
    """Post a message its sender confirmed, as if it had come authenticated; its outcome
    and reason say what became of it."""
    refusal = why_not(record)
    if refusal:
        raise ConfirmationError(refusal)
    if not _claim(record):
        db.session.refresh(record)
        raise ConfirmationError(why_not(record) or _("This message was confirmed already."))
    target = route(record.recipient)
    if record.user is None or target is None or target.kind != "board":
        raise ConfirmationError(_("This message can no longer be posted."))
    received = parse(record.raw)
    record.authenticated_by = "confirmation"
    try:
        thread, board = destination(record.user, target, received)
        publish(record, record.user, received, thread=thread, board=board)
    except Done as done:
        record.outcome, record.reason = done.outcome, done.reason
    db.session.flush()
