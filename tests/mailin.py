"""Sending mail in through a real LMTP session, as the forum's MTA would."""

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from sqlalchemy import select

from forum.extensions import db
from forum.inbound.models import InboundMessage
from forum.posts.models import Post

DOMAIN = "forum.example.org"
# The Date given to test mail without one: fixed for the run, so that the same message
# sent again is the same bytes (as an MTA's retry is).
SENT_AT = formatdate()


def send(port: int, message: EmailMessage | bytes, *, to: str, sender: str = "") -> tuple:
    """One LMTP transaction; returns the (code, text) answer to DATA. A message without
    To or Date headers gets them (the envelope recipient, now), as a mail client would
    have written them."""
    mail_from = sender or _from_of(message)
    raw = _as_sent(message if isinstance(message, bytes) else message.as_bytes(), to)
    with smtplib.LMTP("127.0.0.1", port) as session:
        session.ehlo_or_helo_if_needed()
        session.mail(mail_from)
        code, text = session.rcpt(to)
        if code >= 400:
            return code, text
        return session.data(raw)


def _as_sent(raw: bytes, to: str) -> bytes:
    head, blank, body = raw.partition(b"\r\n\r\n")
    if not blank:
        head, blank, body = raw.partition(b"\n\n")
    if not blank:
        return raw
    eol = b"\r\n" if blank == b"\r\n\r\n" else b"\n"
    names = {line.split(b":", 1)[0].strip().lower() for line in head.split(eol) if b":" in line}
    added = [] if b"to" in names else [b"To: " + to.encode()]
    if b"date" not in names:
        added.append(b"Date: " + SENT_AT.encode())
    return eol.join([head, *added]) + blank + body


def send_to_many(port: int, message: EmailMessage, *, to: list[str], sender: str = "") -> list:
    """One LMTP transaction for several recipients; returns the answer for each, in order
    (LMTP answers DATA once per recipient)."""
    with smtplib.LMTP("127.0.0.1", port) as session:
        session.ehlo_or_helo_if_needed()
        session.mail(sender or _from_of(message))
        for address in to:
            session.rcpt(address)
        answers = [session.data(_as_sent(message.as_bytes(), ", ".join(to)))]
        answers += [session.getreply() for _address in to[1:]]
    return answers


def _from_of(message: EmailMessage | bytes) -> str:
    if isinstance(message, bytes):
        return "someone@example.org"
    return message["From"].addresses[0].addr_spec


def mta_verdict(sender: str, *, dmarc: str = "pass") -> str:
    """The Authentication-Results header the forum's MTA adds to mail from this sender."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    return (
        f"{DOMAIN}; spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain}; "
        f"dmarc={dmarc} header.from={domain}"
    )


def email(
    sender: str, subject: str, body: str, *, authenticated: bool = True, **headers: str
) -> EmailMessage:
    """A message; `authenticated` puts the MTA's passing verdict on top, as it would for
    mail that its sender's provider signed."""
    message = EmailMessage()
    if authenticated:
        message["Authentication-Results"] = mta_verdict(sender)
    message["From"] = sender
    if "To" in headers:
        message["To"] = headers.pop("To")
    message["Subject"] = subject
    message["Date"] = headers.pop("date", SENT_AT)
    message["Message-ID"] = headers.pop(
        "message_id", f"<{abs(hash((sender, subject, body)))}@example.org>"
    )
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def last_record() -> InboundMessage:
    db.session.expire_all()
    return db.session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()


def latest_post() -> Post:
    return db.session.scalars(select(Post).order_by(Post.id.desc())).first()
