"""Accounts: registration, verification, sign-in, passwords and settings.

Functions change state and flush; the caller commits, which also releases the mail
that `send_*` writes to the outbox.
"""

import hmac
from dataclasses import dataclass
from functools import cache

from flask import current_app, render_template
from flask_babel import LazyString, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from forum import events
from forum.accounts.models import StakeholderGroup, User, email_key
from forum.accounts.sessions import end_sessions
from forum.db import utcnow
from forum.extensions import db
from forum.mail import link_for
from forum.mail.language import worded_for
from forum.mail.outbox import queue_account_mail
from forum.ratelimit import Limit
from forum.settings import CONFIG_DIR

PASSWORD_METHOD = "scrypt"  # noqa: S105  (a hashing method, not a password)
# Checked against when the email is unknown, so that a miss takes as long as a hit.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=PASSWORD_METHOD)


class AccountError(Exception):
    """A request about an account that cannot be carried out; the message is for the user."""


class EmailTaken(AccountError):
    pass


class TokenInvalid(AccountError):
    pass


class TokenExpired(AccountError):
    pass


@cache
def _common_passwords() -> frozenset[str]:
    lines = (CONFIG_DIR / "common-passwords.txt").read_text().splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, email: str = "", display_name: str = "") -> str | None:
    """Why a password is too weak, or None when it will do."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return ngettext(
            "Use at least %(num)d character.", "Use at least %(num)d characters.", minimum
        )
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 4:
        return _("This password is too common or too simple; choose another.")
    personal = [email.partition("@")[0].lower(), display_name.lower()]
    if any(part and len(part) >= 4 and part in lowered for part in personal):
        return _("Do not build your password from your name or email address.")
    return None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email_key(email)))


def register_user(
    *,
    email: str,
    password: str,
    display_name: str,
    stakeholder_group: StakeholderGroup,
    organisation: str,
    country: str | None,
) -> User:
    # Hashed first, so that a taken address costs as long as a new one and the time of
    # the answer does not tell who has an account.
    password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    if find_user_by_email(email) is not None:
        raise EmailTaken(_("An account with this email address exists already."))
    user = User(
        email=email_key(email),
        password_hash=password_hash,
        display_name=display_name.strip(),
        stakeholder_group=stakeholder_group,
        organisation=organisation.strip(),
        country=country or None,
        locale=str(get_locale() or "en"),
    )
    db.session.add(user)
    db.session.flush()
    return user


def email_only_account(email: str, *, display_name: str) -> User:
    """An account for an address whose owner proved it by answering the forum's mail (a
    subscription by email): it receives mail and takes part by email, and its owner can
    claim it on the web later by resetting the password."""
    if find_user_by_email(email) is not None:
        raise EmailTaken(_("An account with this email address exists already."))
    user = User(
        email=email_key(email),
        password_hash=None,
        display_name=(display_name.strip() or email.partition("@")[0])[:100],
        stakeholder_group=StakeholderGroup.CIVIL_SOCIETY,
        organisation="",
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def set_password(user: User, password: str) -> None:
    """New password; every session of this account ends."""
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    end_sessions(user)
    db.session.flush()


def sign_in_limits(email: str, address: str) -> list[Limit]:
    """What sign-ins count against: first the pair of account and address (every attempt,
    counted before it is made, and started afresh by a success), so that someone guessing
    elsewhere does not lock the owner out; then failures only, of the address across
    accounts and, with a much higher limit, of the account from any address."""
    account = email_key(email)
    return [
        Limit("LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", (account, address)),
        Limit("LOGIN_LIMIT_PER_ADDRESS", (address,)),
        Limit("LOGIN_LIMIT_PER_ACCOUNT", (account,)),
    ]


_SEARCHED_FIELDS = {"display_name", "organisation", "stakeholder_group", "country"}


def update_profile(user: User, **fields: object) -> None:
    changed = False
    for name, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        changed |= name in _SEARCHED_FIELDS and getattr(user, name) != value
        setattr(user, name, value)
    db.session.flush()
    if changed:
        events.author_changed.send(user)


# Signed tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class _TokenKind:
    salt: str
    max_age_setting: str


VERIFY = _TokenKind("verify-email", "EMAIL_TOKEN_MAX_AGE")
RESET = _TokenKind("reset-password", "RESET_TOKEN_MAX_AGE")
CHANGE_EMAIL = _TokenKind("change-email", "EMAIL_TOKEN_MAX_AGE")


def _serializer(kind: _TokenKind) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=kind.salt)


def _password_fingerprint(user: User) -> str:
    """Part of a reset token: a keyed digest of the password hash, which changes with
    every new password (each has a fresh salt), so a link stops working once used or once
    the password changed; nothing of the hash can be read from it."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (user.password_hash or "").encode(), "sha256").hexdigest()[:32]


def make_token(kind: _TokenKind, user: User, **extra: str) -> str:
    payload = {"user": user.id, "email": user.email, **extra}
    if kind is RESET:
        payload["pw"] = _password_fingerprint(user)
    return _serializer(kind).dumps(payload)


def read_token(kind: _TokenKind, token: str) -> tuple[User, dict]:
    try:
        payload = _serializer(kind).loads(token, max_age=current_app.config[kind.max_age_setting])
    except SignatureExpired as error:
        raise TokenExpired(_("This link has expired. Ask for a new one below.")) from error
    except BadSignature as error:
        raise TokenInvalid(_("This link is not valid. Check that you copied all of it.")) from error
    user = db.session.get(User, payload.get("user", 0))
    if user is None or user.email != payload.get("email"):
        raise TokenInvalid(_("This link is not valid any more."))
    if kind is RESET and not hmac.compare_digest(
        str(payload.get("pw", "")), _password_fingerprint(user)
    ):
        raise TokenInvalid(_("This link has been used already. Ask for a new one below."))
    return user, payload


def verify_email(token: str) -> User:
    user, _payload = read_token(VERIFY, token)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()
    return user


def reset_password(token: str, password: str) -> User:
    user, _payload = read_token(RESET, token)
    set_password(user, password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.flush()
    return user


def confirm_email_change(token: str) -> User:
    user, payload = read_token(CHANGE_EMAIL, token)
    new_email = email_key(payload.get("new_email", ""))
    if find_user_by_email(new_email) is not None:
        raise EmailTaken(_("An account with this email address exists already."))
    user.email = new_email
    user.email_verified_at = utcnow()
    end_sessions(user)
    db.session.flush()
    return user


# Mail, written to the outbox in the caller's transaction ---------------------------------


def _queue_account_mail(
    user: User,
    subject: LazyString,
    template: str,
    *,
    to_address: str | None = None,
    **context: object,
) -> None:
    """Worded in the person's language, whatever the language of the page that asked."""
    site = current_app.config["SITE_NAME"]
    with worded_for(user):
        subject_line = f"[{site}] {subject}"
        text = render_template(f"mail/{template}.txt", site_name=site, user=user, **context)
    queue_account_mail(user, to_address=to_address, subject=subject_line, text_body=text)


def send_verification(user: User) -> None:
    link = link_for("accounts.verify", token=make_token(VERIFY, user))
    _queue_account_mail(user, _l("Confirm your email address"), "verify_email", link=link)


def send_registration_attempt(user: User) -> None:
    """Someone tried to register with an address that has an account: tell its owner."""
    link = link_for("accounts.forgot_password")
    _queue_account_mail(
        user, _l("Your address was used to register again"), "registration_attempt", link=link
    )


def send_password_reset(user: User) -> None:
    link = link_for("accounts.reset_password", token=make_token(RESET, user))
    _queue_account_mail(user, _l("Reset your password"), "reset_password", link=link)


def send_email_change(user: User, new_email: str) -> None:
    token = make_token(CHANGE_EMAIL, user, new_email=email_key(new_email))
    link = link_for("accounts.confirm_email", token=token)
    _queue_account_mail(
        user,
        _l("Confirm your new email address"),
        "change_email",
        to_address=email_key(new_email),
        link=link,
    )
