"""Outgoing mail: the one function every part of the forum sends through."""

import mailbox
import re
import sys
from pathlib import Path

from flask import current_app
from flask_mail import Message

from forum.extensions import mail

_LINK = re.compile(r"https?://\S+")


def send_email(
    *,
    to: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    auto_generated: bool = False,
) -> None:
    """Send one message over SMTP, or into instance/maildir when no SMTP server is set."""
    headers = {}
    if auto_generated:
        headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
    message = Message(
        subject=subject,
        recipients=[to],
        body=text_body,
        html=html_body,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers=headers,
    )
    if current_app.config["MAIL_SERVER"]:
        mail.send(message)
    else:
        _deliver_to_maildir(message, to, text_body)


def _deliver_to_maildir(message: Message, to: str, text_body: str) -> None:
    folder = Path(current_app.instance_path) / "maildir"
    mailbox.Maildir(folder, create=True).add(message.as_bytes())
    if current_app.testing:
        return
    links = " ".join(_LINK.findall(text_body))
    print(f"[mail] to {to}: {message.subject} {links}", file=sys.stderr, flush=True)
