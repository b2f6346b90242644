"""Bounces: which of our messages failed for whom, and pausing mail that keeps failing.

Our messages leave with a VERP return path naming the outbox row, so a bounce says
which person's address failed whatever its format. Delivery status notifications (RFC
3464) give the status per recipient; other formats are read for an SMTP code in the
text. After BOUNCE_THRESHOLD hard bounces within BOUNCE_WINDOW_DAYS, the person's mail
is paused and they are told, on the web and by a message with a link that confirms the
address works again.
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
from forum.inbound.parse import Received
from forum.mail.models import MailSettings, OutboxMessage
from forum.mail.outbox import queue_account_mail
from forum.mail.subscriptions import settings_of
from forum.notices.services import notify

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"\b([45])\d\d\b")
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


def classify(received: Received) -> tuple[str, str]:
    """("hard" | "soft" | "", status) of a bounce; "" when it reports no failure."""
    action, status = _status_fields(received)
    if action == "delayed" or action in {"delivered", "relayed", "expanded"}:
        return "", status
    match = _STATUS.search(status) or _STATUS.search(received.full_text)
    if match:
        return ("hard" if match[1] == "5" else "soft" if match[1] == "4" else ""), match[0]
    code = _SMTP_CODE.search(received.full_text)
    if code:
        return ("hard" if code[1] == "5" else "soft"), code[0]
    return "soft", ""


def record_bounce(outbox_id: int, received: Received) -> str:
    """Record a bounce of one outbox message; returns what was done, for the log."""
    row = db.session.get(OutboxMessage, outbox_id)
    if row is None or row.user_id is None:
        return "bounce for a message no longer known"
    kind, status = classify(received)
    if not kind:
        return "delivery report without a failure"
    user = db.session.get(User, row.user_id)
    db.session.add(
        Bounce(user_id=user.id, outbox_id=row.id, address=row.to_address or user.email,
               kind=kind, status=status, detail=received.full_text[:2000])
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
    queue_account_mail(
        user,
        subject=f"[{site}] " + _("Does this address still work?"),
        text_body=_(
            "Messages from %(site)s to %(email)s have been bouncing, so we stopped sending "
            "them. If this address works, open this link to start them again:\n\n%(link)s",
            site=site,
            email=user.email,
            link=link,
        ),
    )


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
