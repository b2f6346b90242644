"""Server-side sessions: each signed-in browser is a row that its cookies name.

The cookies carry "user id:secret" (Flask-Login's id, see `User.get_id`); the row holds
the secret's digest and an end date. Signing out deletes the row, so the session cookie
and the remember-me cookie both stop working, wherever copies of them are. A new
password, an email change and a suspension delete every row of the account.
Functions flush; the caller commits.
"""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.orm import joinedload

from forum.accounts.models import User, UserSession
from forum.db import utcnow
from forum.extensions import db


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> None:
    """A new signed-in browser for this account, lasting SIGN_IN_DAYS at most; its secret
    is left in `user.session_token` for Flask-Login to put in the cookies."""
    now = utcnow()
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now)
    )
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(days=current_app.config["SIGN_IN_DAYS"])
    db.session.add(
        UserSession(user_id=user.id, token_hash=_digest(token), expires_at=now + lifetime)
    )
    db.session.flush()
    user.session_token = token


@cache
def _session_user_query() -> Select[tuple[User]]:
    """The account of a live session, with its roles on boards, which every page's
    permission checks read; built once (it runs on every signed-in request), when the
    models are all mapped."""
    return (
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == bindparam("user_id"),
            UserSession.token_hash == bindparam("token_hash"),
            UserSession.expires_at > bindparam("now"),
        )
        .options(joinedload(User.board_roles))
    )


def session_user(user_id: int, token: str) -> User | None:
    """The account whose live session this secret belongs to, or None."""
    params = {"user_id": user_id, "token_hash": _digest(token), "now": utcnow()}
    user = db.session.scalars(_session_user_query(), params).unique().first()
    if user is not None:
        user.session_token = token
    return user


def end_session(user: User, token: str) -> None:
    """Sign one browser out: the session with this secret ends."""
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.token_hash == _digest(token)
        )
    )
    db.session.flush()


def end_sessions(user: User) -> None:
    """Sign the account out everywhere."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.flush()


def sweep_expired() -> int:
    """Delete every session past its end date (the worker does it now and then)."""
    result = db.session.execute(delete(UserSession).where(UserSession.expires_at <= utcnow()))
    return result.rowcount
