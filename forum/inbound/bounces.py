"""Bounces: which of our messages failed for whom, and pausing mail that keeps failing.

Our messages leave with a VERP return path naming the outbox row, so a bounce says
which person's address failed whatever its format. Only failures count: a delivery
status notification (RFC 3464) with its Action and Status, a message that reads as a
mail server's failure report (a delivery-failure subject or sender, with an SMTP reply
code and enhanced status, qmail's "#5.1.1", or a known phrase such as "user unknown"),
or a 5xx answer by which the smarthost refused the recipient's address while the worker
delivered (`record_refusal`). Auto-replies sent to the return path (out-of-office notes
and the like) and anything else, such as a telephone number that looks like a code, or
the smarthost refusing to relay or refusing the content, count for nothing. After
BOUNCE_THRESHOLD hard bounces within BOUNCE_WINDOW_DAYS, the person's mail is paused and
they are told, on the web and by a message with a link that confirms the address works
again.
"""

import re
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.inbound.models import Bounce
from forum.inbound.parse import AUTO_REPLY_SUBJECT, Received
from forum.mail.language import worded_for
from forum.mail.models import MailSettings, OutboxMessage
from forum.mail.outbox import queue_account_mail
from forum.mail.subscriptions import settings_of
from forum.notices.services import notify

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# An SMTP reply with its enhanced status ("550 5.1.1", "550-5.1.1"), qmail's "#5.1.1", or
# a bare reply after "said:" (Postfix), in that order of preference.
_FAILURE_CODES = (
    re.compile(r"\b(?P<digit>[45])\d\d[ -](?P<status>[45]\.\d{1,3}\.\d{1,3})\b"),
    re.compile(r"#(?P<status>(?P<digit>[45])\.\d{1,3}\.\d{1,3})\b"),
    re.compile(r"\bsaid:\s*(?P<status>(?P<digit>[45])\d\d)\b"),
)
_HARD_PHRASES = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient)|mailbox (unavailable|not "
    r"found|does not exist)|recipient address rejected|address rejected|invalid recipient|"
    r"recipient not found|account (has been )?disabled|does not exist",
    re.IGNORECASE,
)
_SOFT_PHRASES = re.compile(r"mailbox (is )?full|over quota|quota exceeded", re.IGNORECASE)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mail delivery)", re.IGNORECASE)
_FAILURE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (status notification \(failure\)|failure|failed)|"
    r"failure notice|returned mail|mail delivery (failed|system)|non[- ]?delivery",
    re.IGNORECASE,
)
_SALT = "bouncing-address"


def _status_fields(received: Received) -> tuple[str, str]:
    """(Action, Status) from a delivery status notification's report, if it has one."""
    message = received.message
    if message is None:
        return "", ""
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        groups = payload if isinstance(payload, list) else []
        for group in groups[1:] or groups:
            action, status = str(group.get("Action", "")), str(group.get("Status", ""))
            if action or status:
                return action.strip().lower(), status.strip()
    return "", ""


def _is_report(received: Received) -> bool:
    return received.content_type == "multipart/report" or any(
        part.get_content_type() == "message/delivery-status"
        for part in (received.message.walk() if received.message else [])
    )


def _reads_as_failure_report(received: Received) -> bool:
    """From a mail server (MAILER-DAEMON, postmaster) or titled as a delivery failure,
    and not an auto-reply."""
    if received.auto_reply_header or AUTO_REPLY_SUBJECT.match(received.subject):
        return False
    return bool(
        _DAEMON.match(received.from_address)
        or _DAEMON.match(received.from_name)
        or _FAILURE_SUBJECT.search(received.subject)
    )


def classify(received: Received) -> tuple[str, str]:
    """("hard" | "soft" | "", status) of a bounce; "" when it reports no failure."""
    if _is_report(received):
        action, status = _status_fields(received)
        if action != "failed" and not (action == "" and status.startswith(("4", "5"))):
            return "", status
        match = _STATUS.search(status)
        return ("hard" if match and match[1] == "5" else "soft"), status
    if not _reads_as_failure_report(received):
        return "", ""
    text = received.full_text
    for pattern in _FAILURE_CODES:
        code = pattern.search(text)
        if code:
            return ("hard" if code["digit"] == "5" else "soft"), code["status"]
    if _SOFT_PHRASES.search(text):
        return "soft", ""
    if _HARD_PHRASES.search(text):
        return "hard", ""
    return "", ""


def record_bounce(outbox_id: int, received: Received) -> str:
    """Record a bounce of one outbox message; returns what was done, for the log."""
    kind, status = classify(received)
    if not kind:
        return "not a delivery failure (an auto-reply, a delay, or no failure report)"
    return _count(outbox_id, kind, status, received.full_text)


# The smarthost's enhanced status codes (RFC 3463) that refuse the recipient's address or
# mailbox: X.1.x (addressing) but the sender's own X.1.7 and X.1.8 (which Postfix gives
# at RCPT to a sender it refuses) and the unspecific X.1.0, and X.2.x (mailbox).
_RECIPIENT_STATUS = re.compile(r"5\.(1\.(?![078]\b)\d{1,3}|2\.\d{1,3})\b")
_ENHANCED_STATUS = re.compile(r"[245]\.\d{1,3}\.\d{1,3}\b")
# Replies to RCPT that refuse the recipient when they carry no enhanced status.
_RECIPIENT_CODES = frozenset({550, 551, 553})


def refuses_recipient(code: int, text: str, *, at_rcpt: bool) -> bool:
    """Whether the smarthost's 5xx answer (to RCPT TO, or after the message) refuses the
    recipient's address, which counts as their bounce; a relay, authentication, sender
    or content refusal (5.7.x, 5.3.x, a bare code after the message) is no one's."""
    text = text.lstrip()
    if _ENHANCED_STATUS.match(text):
        return bool(_RECIPIENT_STATUS.match(text))
    return at_rcpt and code in _RECIPIENT_CODES


def record_refusal(outbox_id: int, reply: str) -> str:
    """The smarthost refused the recipient of one of our messages for good (see
    `refuses_recipient`): a hard bounce of theirs, as if it had come back by mail."""
    status = _STATUS.search(reply)
    return _count(outbox_id, "hard", status[0] if status else reply[:3], reply)


def _count(outbox_id: int, kind: str, status: str, detail: str) -> str:
    row = db.session.get(OutboxMessage, outbox_id)
    if row is None or row.user_id is None:
        return "bounce for a message no longer known"
    user = db.session.get(User, row.user_id)
    # One count at a time per person (mail in on one machine, a refusal met by a worker
    # on another), so that crossing the threshold pauses their mail and asks them once.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    db.session.add(
        Bounce(user_id=user.id, outbox_id=row.id, address=row.to_address or user.email,
               kind=kind, status=status[:16], detail=detail[:2000])
    )  # fmt: skip
    db.session.flush()
    if kind == "hard" and _too_many(user):
        _pause(user)
        return f"hard bounce for {user.email}: mail paused"
    return f"{kind} bounce for {user.email}"


def _too_many(user: User) -> bool:
    config = current_app.config
    since = utcnow() - timedelta(days=config["BOUNCE_WINDOW_DAYS"])
    hard = db.session.scalar(
        select(func.count()).where(
            Bounce.user_id == user.id, Bounce.kind == "hard", Bounce.received_at > since
        )
    )
    return (hard or 0) >= config["BOUNCE_THRESHOLD"]


def _pause(user: User) -> None:
    settings = settings_of(user)
    if settings.bouncing_since is not None:
        return
    settings.bouncing_since = utcnow()
    notify(user, "mail_bouncing")
    link = url_for("mail.confirm_address", token=confirmation_token(user), _external=True)
    site = current_app.config["SITE_NAME"]
    with worded_for(user):
        subject = f"[{site}] " + _("Does this address still work?")
        text = _(
            "Messages from %(site)s to %(email)s have been bouncing, so we stopped sending "
            "them. If this address works, open this link to start them again:\n\n%(link)s",
            site=site,
            email=user.email,
            link=link,
        )
    queue_account_mail(user, subject=subject, text_body=text)


def confirmation_token(user: User) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).dumps(
        [user.id, user.email]
    )


def confirm_address(token: str) -> User | None:
    """Mail flows again to the address the token names (if it is still the account's)."""
    try:
        user_id, email = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).loads(
            token
        )
    except (BadSignature, TypeError, ValueError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.email != email:
        return None
    settings_of(user).bouncing_since = None
    db.session.execute(delete(Bounce).where(Bounce.user_id == user.id))
    db.session.flush()
    return user


def bouncing_people(limit: int = 100) -> list[tuple[MailSettings, int]]:
    """People whose mail is paused for bouncing, with their recent hard bounces."""
    counts = (
        select(Bounce.user_id, func.count().label("hard"))
        .where(Bounce.kind == "hard")
        .group_by(Bounce.user_id)
        .subquery()
    )
    rows = db.session.execute(
        select(MailSettings, func.coalesce(counts.c.hard, 0))
        .outerjoin(counts, counts.c.user_id == MailSettings.user_id)
        .where(MailSettings.bouncing_since.is_not(None))
        .order_by(MailSettings.bouncing_since.desc())
        .limit(limit)
    )
    return [(settings, hard) for settings, hard in rows]
