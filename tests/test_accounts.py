"""Registering, confirming an address, signing in and out, and resetting a password."""

import re

import pytest
from sqlalchemy import select

from forum.accounts.models import User
from forum.extensions import db
from tests.helpers import PASSWORD, post_form, text_of

GOOD = {
    "display_name": "Amina Diallo",
    "email": "Amina@Example.org",
    "password": "green tea at dawn 42",
    "confirm": "green tea at dawn 42",
    "stakeholder_group": "civil_society",
    "organisation": "Réseau Africain",
    "country": "SN",
}


def _link(message) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(r"http://forum\.test(/\S+)", body).group(1)


def test_register_confirm_and_post(client, outbox):
    response = post_form(client, "/register", GOOD)
    assert response.status_code == 302
    assert "open its link to confirm" in text_of(client.get(response.headers["Location"]))
    user = db.session.scalars(select(User).where(User.email == "amina@example.org")).one()
    assert user.country == "SN"
    assert user.email_verified_at is None
    [message] = outbox()
    assert message["To"] == "amina@example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    link = _link(message)
    assert "Confirm" in text_of(client.get(link))
    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is None, "a GET must not verify"
    confirmed = post_form(client, link, {})
    assert confirmed.headers["Location"].endswith("/sign-in"), "the link signs nobody in"
    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is not None
    credentials = {"email": GOOD["email"], "password": GOOD["password"]}
    assert post_form(client, "/sign-in", credentials).status_code == 302
    new = post_form(
        client, "/b/c5-building-confidence-and-security/new", {"title": "Hi", "body": "x"}
    )
    assert new.status_code == 302


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address"),
        ({"email": ""}, "Enter your email address"),
        ({"password": "short", "confirm": "short"}, "Use at least 10 characters"),
        ({"password": "password123", "confirm": "password123"}, "too common"),
        ({"password": "amina diallo 2005", "confirm": "amina diallo 2005"}, "from your name"),
        ({"confirm": "something else entirely"}, "The two passwords differ"),
        ({"display_name": "   "}, "Enter your name"),
    ],
)
def test_register_bad_input_keeps_the_text(client, change, message):
    response = post_form(client, "/register", {**GOOD, **change})
    page = text_of(response)
    assert response.status_code == 400
    assert message in page
    assert "Réseau Africain" in page, "the user's text is kept"
    assert db.session.scalar(select(User).where(User.display_name == "Amina Diallo")) is None


def test_register_duplicate_email_reveals_nothing(client, make_user, outbox):
    make_user(email="amina@example.org")
    response = post_form(client, "/register", {**GOOD, "email": "AMINA@example.org"})
    assert response.status_code == 302, "the same answer as for a new address"
    assert "open its link to confirm" in text_of(client.get(response.headers["Location"]))
    [message] = outbox()
    assert message["To"] == "amina@example.org"
    assert "already has an account" in message.get_payload(decode=True).decode()
    assert len(db.session.scalars(select(User)).all()) == 1


def test_wrong_csrf_token_keeps_the_text(client):
    response = client.post("/register", data={**GOOD, "csrf_token": "forged"})
    page = text_of(response)
    assert response.status_code == 400
    assert "The form had expired" in page
    assert "Réseau Africain" in page


def test_sign_in_and_out(client, make_user):
    user = make_user(name="Kwame Mensah")
    response = post_form(client, "/sign-in", {"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert "Kwame Mensah" in text_of(client.get("/"))
    post_form(client, "/sign-out", {}, prefix="sign-out")
    assert "Kwame Mensah" not in text_of(client.get("/"))


def test_wrong_password_is_a_clear_message(client, make_user):
    user = make_user()
    response = post_form(client, "/sign-in", {"email": user.email, "password": "not it at all"})
    assert response.status_code == 400
    assert "Wrong email address or password" in text_of(response)


def test_sign_in_is_rate_limited_per_account_and_address(client, make_user):
    user = make_user()
    for _ in range(5):
        post_form(client, "/sign-in", {"email": user.email, "password": "wrong guess!"})
    response = post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in text_of(response)
    assert user.email in text_of(response), "the email is kept"


def test_next_never_leaves_the_site(client, make_user):
    user = make_user()
    response = post_form(
        client, "/sign-in?next=//evil.example/x", {"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_password_reset_does_not_reveal_accounts(client, make_user, outbox):
    make_user(email="known@example.org")
    unknown = post_form(client, "/forgot-password", {"email": "nobody@example.org"})
    known = post_form(client, "/forgot-password", {"email": "known@example.org"})
    assert unknown.status_code == known.status_code == 302
    flash_unknown = text_of(client.get(unknown.headers["Location"]))
    assert "If an account uses that address" in flash_unknown
    assert [m["To"] for m in outbox()] == ["known@example.org"]


def test_password_reset_link_works_once(client, make_user, outbox):
    user = make_user(email="known@example.org")
    post_form(client, "/forgot-password", {"email": user.email})
    link = _link(outbox()[0])
    new = {"password": "a brand new passphrase", "confirm": "a brand new passphrase"}
    assert post_form(client, link, new).status_code == 302
    post_form(client, "/sign-out", {}, prefix="sign-out")
    reused = client.get(link)
    assert reused.status_code == 400
    assert "used already" in text_of(reused)
    signed = post_form(client, "/sign-in", {"email": user.email, "password": new["password"]})
    assert signed.status_code == 302


def test_expired_or_broken_reset_links(client, app, make_user, outbox):
    user = make_user()
    post_form(client, "/forgot-password", {"email": user.email})
    link = _link(outbox()[0])
    broken = client.get(link[:-3])
    assert broken.status_code == 400
    assert "not valid" in text_of(broken)
    app.config["RESET_TOKEN_MAX_AGE"] = -1
    try:
        expired = client.get(link)
    finally:
        app.config["RESET_TOKEN_MAX_AGE"] = 7200
    assert expired.status_code == 400
    assert "expired" in text_of(expired)


def test_password_change_signs_out_other_sessions(app, client, make_user, sign_in):
    user = make_user()
    sign_in(user)
    other = app.test_client()
    post_form(other, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert "Settings" in text_of(other.get("/"))
    response = post_form(
        client,
        "/settings/password",
        {
            "current_password": PASSWORD,
            "password": "an even longer phrase",
            "confirm": "an even longer phrase",
        },
        prefix="password",
    )
    assert response.status_code == 302
    assert "Settings" in text_of(client.get("/")), "this session stays signed in"
    assert "Settings" not in text_of(other.get("/")), "the other one is signed out"


def test_profile_never_shows_the_email(client, make_user, make_thread):
    person = make_user(name="Priya Raghavan", email="priya@example.org")
    make_thread("C3", author=person, title="Libraries as access points")
    page = text_of(client.get(f"/people/{person.id}"))
    assert "Priya Raghavan" in page
    assert "Libraries as access points" in page
    assert "priya@example.org" not in page
    assert "Kenya" in page


def test_profile_hides_posts_in_boards_the_viewer_cannot_read(client, make_user, make_thread):
    from forum.boards.models import Role

    coordinator = make_user(roles={"COORD": Role.MEMBER})
    make_thread("COORD", author=coordinator, title="Private agenda")
    assert "Private agenda" not in text_of(client.get(f"/people/{coordinator.id}"))


def test_settings_save_profile_and_reject_bad_timezone(client, make_user, sign_in):
    user = make_user()
    sign_in(user)
    form = {
        "display_name": "New Name",
        "stakeholder_group": "government",
        "organisation": "Ministry",
        "country": "GH",
        "locale": "en",
        "timezone": "Africa/Accra",
    }
    assert post_form(client, "/settings/profile", form, prefix="profile").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).timezone == "Africa/Accra"
    bad = post_form(
        client, "/settings/profile", {**form, "timezone": "Mars/Olympus"}, prefix="profile"
    )
    assert bad.status_code == 400
    assert "Not a valid choice" in text_of(bad)


def test_change_email_needs_confirmation_from_new_address(client, make_user, sign_in, outbox):
    user = make_user(email="old@example.org")
    sign_in(user)
    response = post_form(
        client,
        "/settings/email",
        {"email": "new@example.org", "current_password": PASSWORD},
        prefix="email",
    )
    assert response.status_code == 302
    [message] = outbox()
    assert message["To"] == "new@example.org"
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "old@example.org"
    assert post_form(client, _link(message), {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "new@example.org"


def test_verify_link_answers_stale_forms_and_bad_links(client, outbox):
    post_form(client, "/register", GOOD)
    link = _link(outbox()[0])
    post_form(client, "/sign-out", {}, prefix="sign-out")
    stale = client.post(link, data={"csrf_token": "stale"})
    assert stale.status_code == 400
    assert "Press the button again" in text_of(stale)
    broken = client.get(link + "x")
    assert broken.status_code == 400
    assert "not valid" in text_of(broken)
    assert 'name="email"' in text_of(broken), "a form to ask for a new link"


def test_resend_verification_for_an_address(client, make_user, outbox):
    make_user(email="late@example.org", verified=False)
    make_user(email="done@example.org")
    for email in ["late@example.org", "done@example.org", "nobody@example.org"]:
        response = post_form(client, "/verify/resend", {"email": email})
        assert response.status_code == 302
    assert [m["To"] for m in outbox()] == ["late@example.org"]
    client.post("/verify/resend", data={"email": "late@example.org"})
    assert len(outbox()) == 1, "no CSRF token, no mail"
