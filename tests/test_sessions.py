"""Signing out ends a session on the server: a copied session or remember-me cookie opens
nothing afterwards. Signing out everywhere, a new password and a suspension end them all."""

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from forum.accounts.models import User, UserSession
from forum.db import utcnow
from forum.extensions import db
from tests.helpers import PASSWORD, post_form, text_of

DOMAIN = "forum.test"


def _signed_in(app: Flask, user: User, *, remember: bool = False) -> FlaskClient:
    client = app.test_client()
    credentials = {"email": user.email, "password": PASSWORD}
    if remember:
        credentials["remember"] = "y"
    response = post_form(client, "/sign-in", credentials)
    assert response.status_code == 302, text_of(response)
    return client


def _with_cookie(app: Flask, name: str, value: str) -> FlaskClient:
    """Another browser holding nothing but one copied cookie."""
    thief = app.test_client()
    thief.set_cookie(name, value, domain=DOMAIN)
    return thief


def _cookie(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name, domain=DOMAIN)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _opens_settings(client: FlaskClient) -> bool:
    response = client.get("/settings")
    return response.status_code == 200 and "Change password" in text_of(response)


def _sign_out(client: FlaskClient) -> None:
    assert post_form(client, "/sign-out", {}, prefix="sign-out").status_code == 302


def test_a_copied_session_cookie_opens_nothing_after_signing_out(app, make_user):
    browser = _signed_in(app, make_user())
    thief = _with_cookie(app, "session", _cookie(browser, "session"))
    assert _opens_settings(thief), "the copy works while the session lasts"
    _sign_out(browser)
    assert not _opens_settings(thief)
    assert thief.get("/settings").headers["Location"].startswith("/sign-in")


def test_a_copied_remember_me_cookie_opens_nothing_after_signing_out(app, make_user):
    browser = _signed_in(app, make_user(), remember=True)
    thief = _with_cookie(app, "remember_token", _cookie(browser, "remember_token"))
    assert _opens_settings(thief), "the copy works while the sign-in lasts"
    _sign_out(browser)
    assert not _opens_settings(
        _with_cookie(app, "remember_token", _cookie(thief, "remember_token"))
    )


def test_signing_out_on_one_device_keeps_the_others(app, make_user):
    user = make_user()
    laptop = _signed_in(app, user)
    phone = _signed_in(app, user, remember=True)
    _sign_out(laptop)
    assert not _opens_settings(laptop)
    assert _opens_settings(phone)


def test_sign_out_everywhere_ends_every_session(app, make_user):
    user = make_user()
    laptop = _signed_in(app, user)
    phone = _signed_in(app, user, remember=True)
    remembered = _cookie(phone, "remember_token")
    assert "Sign out everywhere" in text_of(laptop.get("/settings"))
    response = post_form(laptop, "/settings/sign-out-everywhere", {}, prefix="everywhere")
    assert response.status_code == 302
    assert "signed out on every device" in text_of(laptop.get(response.headers["Location"]))
    assert not _opens_settings(laptop)
    assert not _opens_settings(phone)
    assert not _opens_settings(_with_cookie(app, "remember_token", remembered))
    assert _opens_settings(_signed_in(app, user)), "signing in again works"


def test_sign_out_everywhere_needs_the_form_token(app, make_user):
    browser = _signed_in(app, make_user())
    assert browser.post("/settings/sign-out-everywhere").status_code == 302
    assert _opens_settings(browser)


def _remember_cookie_expiry(response) -> datetime | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("remember_token="):
            return parsedate_to_datetime(header.split("Expires=")[1].split(";")[0])
    return None


def test_remember_me_is_a_choice_off_by_default_and_lasts_30_days(app, make_user):
    page = text_of(app.test_client().get("/sign-in"))
    assert 'name="remember"' in page
    assert "checked" not in page
    user = make_user()
    credentials = {"email": user.email, "password": PASSWORD}
    plain = post_form(app.test_client(), "/sign-in", credentials)
    assert plain.status_code == 302
    assert _remember_cookie_expiry(plain) is None
    remembered = post_form(app.test_client(), "/sign-in", {**credentials, "remember": "y"})
    lifetime = _remember_cookie_expiry(remembered) - utcnow()
    assert timedelta(days=29) < lifetime <= timedelta(days=30)


def test_remember_me_cookie_is_refused_once_its_sign_in_has_expired(app, make_user):
    user = make_user()
    browser = _signed_in(app, user, remember=True)
    thief = _with_cookie(app, "remember_token", _cookie(browser, "remember_token"))
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert not _opens_settings(thief)
    assert not _opens_settings(browser)


def test_a_new_password_ends_copied_cookies(app, make_user):
    user = make_user()
    browser = _signed_in(app, user, remember=True)
    copied = {name: _cookie(browser, name) for name in ("session", "remember_token")}
    new = "an even longer phrase"
    response = post_form(
        browser,
        "/settings/password",
        {"current_password": PASSWORD, "password": new, "confirm": new},
        prefix="password",
    )
    assert response.status_code == 302
    assert _opens_settings(browser), "the browser that changed it stays signed in"
    for name, value in copied.items():
        assert not _opens_settings(_with_cookie(app, name, value)), name


def test_suspension_ends_the_sessions_of_the_account(app, make_user):
    user = make_user()
    browser = _signed_in(app, user, remember=True)
    remembered = _cookie(browser, "remember_token")
    admin = _signed_in(app, make_user(admin=True))
    response = post_form(admin, f"/admin/people/{user.id}/suspend", {"reason": "Spam"})
    assert response.status_code == 302
    assert not _opens_settings(browser)
    assert not _opens_settings(_with_cookie(app, "remember_token", remembered))
