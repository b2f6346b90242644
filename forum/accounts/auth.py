"""Flask-Login wiring: loading the signed-in user from the session."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from forum.accounts.models import User
from forum.extensions import db, login_manager


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session holds "id:salt"; a changed salt (new password) ends old sessions."""
    user_id, _, salt = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_salt != salt:
        return None
    return user
