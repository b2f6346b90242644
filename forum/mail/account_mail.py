"""Mail about a person's account (confirmations, passwords, answers to mail commands),
written whole when it is queued, and `Skip`, which any composer raises for a message
that is no longer to be sent."""

from flask_mail import Message

from forum.accounts.models import User
from forum.mail.headers import AUTO_GENERATED
from forum.mail.message import new_message, site_name
from forum.mail.models import MailKind, OutboxMessage


class Skip(Exception):
    """This row is not to be sent now; the message says why."""


def account_message(row: OutboxMessage, user: User | None) -> Message:
    to = row.to_address or (user.email if user else None)
    if not to:
        raise Skip("no address to send to")
    headers = dict(AUTO_GENERATED)
    if row.kind == MailKind.AUTO_REPLY:
        headers["Auto-Submitted"] = "auto-replied"
    if row.payload.get("in_reply_to"):
        headers["In-Reply-To"] = headers["References"] = row.payload["in_reply_to"]
    return new_message(
        to=to,
        subject=row.subject,
        text=row.payload.get("text", ""),
        html=None,
        sender_name=site_name(),
        headers=headers,
        reply_to=row.payload.get("reply_to"),
    )
