"""Mail to a board whose sender could not be authenticated waits for their confirmation.

The forum mails the account's own address: "Post this message? Confirm or ignore", with
one link (a page with a button, since mail scanners follow links) and a personal
`confirm+…@` address to reply to. A forger therefore reaches only the real owner's
mailbox, and a genuine sender whose provider does not sign its mail is never dropped in
silence. Once confirmed, the message goes through the same posting path as any other
(the board's moderation still applies); unconfirmed, it lapses after MAIL_CONFIRM_DAYS.

The same one-step confirmation serves email commands that change a subscription, and
mail from an address with no account to a board that holds such mail: the request then
goes to that address itself (`confirm+0.N…@`, no account yet).
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
from forum.inbound import answers
from forum.inbound.authenticity import Authenticity
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
    if not isinstance(record_id, int) or not (user_id is None or isinstance(user_id, int)):
        return None
    record = db.session.get(InboundMessage, record_id)
    return record if record is not None and record.user_id == user_id else None


def refuse_if_too_many(*, user: User | None, address: str) -> None:
    """At most MAIL_CONFIRM_MAX_WAITING messages of one account (or one address with no
    account) wait for confirmation at a time."""
    owner = (
        InboundMessage.user_id == user.id
        if user is not None
        else (InboundMessage.user_id.is_(None) & (InboundMessage.from_address == address))
    )
    waiting = db.session.scalar(
        select(func.count()).where(
            owner,
            InboundMessage.outcome == Outcome.UNCONFIRMED,
            InboundMessage.confirm_by > utcnow(),
        )
    )
    if waiting >= current_app.config["MAIL_CONFIRM_MAX_WAITING"]:
        raise Done(
            Outcome.REFUSED,
            _("Too many of your messages wait for your confirmation already: confirm them "
              "(see the messages the forum sent you), then send this one again."),
            tell_sender=True,
        )  # fmt: skip


def start_waiting(record: InboundMessage) -> None:
    """The message waits for its sender's confirmation until MAIL_CONFIRM_DAYS from now."""
    record.confirm_by = utcnow() + timedelta(days=current_app.config["MAIL_CONFIRM_DAYS"])
    db.session.flush()


def ask(record: InboundMessage, *, to: str, user: User | None, subject: str, text: str) -> None:
    """Mail a confirmation request to `to` (the account's address, or the address with no
    account), with a personal `confirm+…@` address to reply to."""
    queue(
        MailKind.ACCOUNT,
        user=user,
        to_address=None if user is not None else to,
        subject=f"[{current_app.config['SITE_NAME']}] {subject}",
        payload={
            "text": text,
            "reply_to": addresses.token_address("confirm", user.id if user else 0, record.id),
            "in_reply_to": record.message_id,
        },
    )


def link(record: InboundMessage) -> str:
    return url_for("inbound.confirm", token=token_for(record), _external=True)


def waiting_until(record: InboundMessage) -> str:
    return f"until {record.confirm_by:%Y-%m-%d %H:%M} UTC"


def hold(
    record: InboundMessage, author: User | None, received: Received, *, to: str = ""
) -> NoReturn:
    """Keep the message and ask its sender (the account, or the address `to` when it has
    none) to confirm it; settles it as unconfirmed. A copy of the same message to another
    board rides on the confirmation asked for the first."""
    address = author.email if author is not None else to
    sibling = _waiting_sibling(record)
    if sibling is not None:
        record.confirm_by = sibling.confirm_by
        raise Done(Outcome.UNCONFIRMED, f"confirmation asked with message {sibling.id}")
    refuse_if_too_many(user=author, address=address)
    site = current_app.config["SITE_NAME"]
    subject = received.subject or _("(no subject)")
    excerpt = received.text.strip()
    if len(excerpt) > _EXCERPT:
        excerpt = excerpt[:_EXCERPT].rstrip() + " …"
    start_waiting(record)
    text = render_template(
        "mail/confirm_post.txt",
        site_name=site,
        name=author.display_name if author is not None else received.from_name or address,
        recipient=record.recipient,
        subject=subject,
        excerpt=excerpt,
        link=link(record),
        until=format_when(record.confirm_by),
    )
    question = _("Post this message? Confirm or ignore: %(subject)s", subject=subject)
    ask(record, to=address, user=author, subject=question, text=text)
    raise Done(
        Outcome.UNCONFIRMED,
        f"sender not authenticated: confirmation asked of {address}, {waiting_until(record)}",
    )


def _waiting_sibling(record: InboundMessage) -> InboundMessage | None:
    """The copy of the same message to another address, waiting for confirmation."""
    if not record.message_id:
        return None
    same_sender = (
        InboundMessage.user_id == record.user_id
        if record.user_id is not None
        else InboundMessage.from_address == record.from_address
    )
    return db.session.scalar(
        select(InboundMessage)
        .where(
            InboundMessage.message_id == record.message_id,
            InboundMessage.id != record.id,
            same_sender,
            InboundMessage.outcome == Outcome.UNCONFIRMED,
            InboundMessage.confirm_by > utcnow(),
        )
        .order_by(InboundMessage.id)
        .limit(1)
    )


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


def what_is_asked(record: InboundMessage) -> str:
    """The question a confirmation answers, for its page."""
    target = route(record.recipient)
    if target is not None and target.kind in {"request", "join", "leave"}:
        return _("Confirm this request?")
    return _("Post this message?")


def confirm(record: InboundMessage) -> None:
    """Carry out a message its sender confirmed, as if it had come authenticated (and the
    copies of it to other boards that wait with it); their outcomes and reasons say what
    became of them."""
    refusal = why_not(record)
    if refusal:
        raise ConfirmationError(refusal)
    if not _claim(record):
        db.session.refresh(record)
        raise ConfirmationError(why_not(record) or _("This message was confirmed already."))
    if route(record.recipient) is None:
        raise ConfirmationError(_("This message can no longer be posted."))
    _settle(record)
    for copy in _waiting_copies(record):
        if _claim(copy):
            _settle(copy)
    db.session.flush()


def _waiting_copies(record: InboundMessage) -> list[InboundMessage]:
    if not record.message_id:
        return []
    return list(
        db.session.scalars(
            select(InboundMessage).where(
                InboundMessage.message_id == record.message_id,
                InboundMessage.id != record.id,
                InboundMessage.user_id == record.user_id,
                InboundMessage.from_address == record.from_address,
                InboundMessage.outcome == Outcome.UNCONFIRMED,
                InboundMessage.confirm_by > utcnow(),
            )
        )
    )


def _tell(record: InboundMessage, received: Received) -> None:
    """What became of a confirmed message, when it was not posted (refused, or waiting
    for the coordinators), told with its own text quoted: confirming it proved that its
    sender reads the From address."""
    answers.explain(record, received, record.envelope_from, Authenticity(method="confirmation"))


def _settle(record: InboundMessage) -> None:
    from forum.inbound import commands, outside

    target = route(record.recipient)
    received = parse(record.raw)
    record.authenticated_by = "confirmation"
    try:
        if target is None:
            raise Done(Outcome.REFUSED, _("This message can no longer be posted."))
        if target.kind in commands.KINDS:
            commands.confirmed(record, received, target)
        if record.user is None:
            outside.hold(record, received, target.board)
        thread, board = destination(record.user, target, received)
        publish(record, record.user, received, thread=thread, board=board)
    except Done as done:
        record.outcome, record.reason = done.outcome, done.reason
        if done.tell_sender:
            _tell(record, received)
