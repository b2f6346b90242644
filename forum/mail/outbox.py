"""Writing mail to the outbox, inside the transaction of what caused it.

Nothing here talks to a mail server: if the transaction rolls back, the mail was never
written; once it commits, the worker (`forum.mail.delivery`) will deliver it."""

from typing import Any

from forum.accounts.models import User
from forum.extensions import db
from forum.mail.models import MailKind, OutboxMessage


def queue(
    kind: MailKind,
    *,
    user: User | None = None,
    to_address: str | None = None,
    subject: str = "",
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        kind=kind,
        user_id=user.id if user else None,
        to_address=to_address,
        subject=subject,
        payload=payload or {},
    )
    db.session.add(message)
    db.session.flush()
    return message


def queue_account_mail(
    user: User, *, subject: str, text_body: str, to_address: str | None = None
) -> OutboxMessage:
    """Mail about the account itself (confirmation, password reset), worded now: it goes
    out even when the person paused their mail, since they have just asked for it."""
    return queue(
        MailKind.ACCOUNT,
        user=user,
        to_address=to_address,
        subject=subject,
        payload={"text": text_body},
    )
