"""Flask-Login wiring: loading the signed-in user from the session, signing in and out."""

import secrets

from flask import Flask, current_app, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from flask_login.config import COOKIE_NAME

from forum.accounts import sessions
from forum.accounts.models import User
from forum.extensions import login_manager
from forum.pagination import as_id

# Where Flask-WTF keeps the session's CSRF secret (its WTF_CSRF_FIELD_NAME default).
CSRF_FIELD = "csrf_token"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The cookies hold "id:secret"; the secret must name a live session of that account."""
    user_id, _, token = session_id.partition(":")
    number = as_id(user_id)
    if number is None or not token:
        return None
    return sessions.session_user(number, token)


def sign_in(user: User, *, remember: bool = False) -> None:
    """Start a server-side session for this browser and put it in its cookies; the caller
    commits."""
    sessions.start_session(user)
    login_user(user, remember=remember)
    # A new secret for the forms' CSRF tokens, not the one the sign-in form came with;
    # 96 random bits are plenty, and 16 characters (Flask-WTF makes 40) keep the token
    # that each form of a page carries at 59 characters rather than 91.
    session[CSRF_FIELD] = secrets.token_urlsafe(12)
    g.pop(CSRF_FIELD, None)


def renew(user: User) -> None:
    """A new session for this browser, kept on it as the old one was, after a password
    change has ended them all: copies of its old cookies open nothing."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
    sign_in(user, remember=remembered)


def sign_out(user: User, *, everywhere: bool = False) -> None:
    """End this browser's session (or every session of the account) on the server and clear
    this browser's cookies; the caller commits."""
    if everywhere:
        sessions.end_sessions(user)
    elif user.session_token:
        sessions.end_session(user, user.session_token)
    logout_user()
