"""Links in mail, host names, sign-in limits, registration that reveals nobody, and reset
links that carry nothing of the password."""

import hashlib
import re
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from forum import create_app
from tests.helpers import PASSWORD, ClosingClient, post_form, text_of

NEW_ACCOUNT = {
    "display_name": "Amina Diallo",
    "password": "green tea at dawn 42",
    "confirm": "green tea at dawn 42",
    "stakeholder_group": "civil_society",
    "organisation": "Réseau Africain",
    "country": "SN",
}
LINK = re.compile(r"https?://\S+")


def _links(message) -> list[str]:
    return LINK.findall(message.get_payload(decode=True).decode())


# Links in mail ------------------------------------------------------------------------


@pytest.fixture
def any_host(app, monkeypatch):
    """The app answers whatever Host a request names, as one without SERVER_NAME does."""
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.mark.usefixtures("any_host")
def test_reset_and_confirmation_links_ignore_the_request_host(client, make_user, outbox):
    make_user(email="known@example.org")
    evil = "http://evil.example"
    forgot = client.post("/forgot-password", data={"email": "known@example.org"}, base_url=evil)
    assert forgot.status_code == 302
    registered = client.post(
        "/register", data={**NEW_ACCOUNT, "email": "new@example.org"}, base_url=evil
    )
    assert registered.status_code == 302
    again = client.post(
        "/register", data={**NEW_ACCOUNT, "email": "known@example.org"}, base_url=evil
    )
    assert again.status_code == 302
    messages = outbox()
    assert len(messages) == 3
    links = [link for message in messages for link in _links(message)]
    assert any("/reset-password/" in link for link in links)
    assert any("/verify/" in link for link in links)
    assert all(link.startswith("http://forum.test/") for link in links), links


@pytest.mark.usefixtures("any_host")
def test_change_email_link_ignores_the_request_host(client, make_user, outbox):
    user = make_user(email="old@example.org")
    evil = "http://evil.example"
    credentials = {"email": user.email, "password": PASSWORD}
    assert client.post("/sign-in", data=credentials, base_url=evil).status_code == 302
    response = client.post(
        "/settings/email",
        data={"email-email": "new@example.org", "email-current_password": PASSWORD},
        base_url=evil,
    )
    assert response.status_code == 302
    [message] = outbox()
    [link] = _links(message)
    assert link.startswith("http://forum.test/confirm-email/")


def _production_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: object):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "k3y-" + hashlib.sha256(b"a test key").hexdigest(),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "BASE_URL": "https://forum.example.org",
            **settings,
        }
    )
    app.test_client_class = ClosingClient
    return app


def test_production_refuses_unknown_host_names(tmp_path, monkeypatch):
    app = _production_app(tmp_path, monkeypatch, EXTRA_HOSTS=["www.forum.example.org"])
    client = app.test_client()
    stylesheet = "/static/forum.css"
    assert client.get(stylesheet, base_url="https://forum.example.org").status_code == 200
    assert client.get(stylesheet, base_url="https://www.forum.example.org").status_code == 200
    refused = client.get(stylesheet, base_url="https://evil.example")
    assert refused.status_code == 400
    assert "forum.example.org" not in text_of(refused)
    assert client.get("/sign-in", headers={"Host": "evil.example"}).status_code == 400


def test_production_host_names_come_from_the_base_url(tmp_path, monkeypatch):
    app = _production_app(tmp_path, monkeypatch)
    assert app.config["TRUSTED_HOSTS"] == ["forum.example.org"]


# Sign-in limits -----------------------------------------------------------------------


def _sign_in_from(client, address: str, email: str, password: str):
    return post_form(
        client,
        "/sign-in",
        {"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(client, app, make_user):
    user = make_user()
    attacker = app.test_client()
    for _ in range(6):
        _sign_in_from(attacker, "203.0.113.9", user.email, "wrong guess!")
    assert _sign_in_from(attacker, "203.0.113.9", user.email, PASSWORD).status_code == 429
    assert _sign_in_from(client, "198.51.100.7", user.email, PASSWORD).status_code == 302


def test_signing_in_successfully_is_not_counted_as_an_attempt(client, make_user):
    user = make_user()
    for _ in range(7):
        assert _sign_in_from(client, "198.51.100.7", user.email, PASSWORD).status_code == 302
        post_form(client, "/sign-out", {}, prefix="sign-out")


def test_failures_from_many_addresses_slow_the_account_down(client, app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "8 per hour")
    user = make_user()
    for number in range(4):
        for _ in range(2):
            response = _sign_in_from(client, f"203.0.113.{number}", user.email, "wrong guess!")
            assert response.status_code == 400
    refused = _sign_in_from(client, "198.51.100.7", user.email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many attempts" in text_of(refused)
    other = make_user()
    assert _sign_in_from(client, "198.51.100.7", other.email, PASSWORD).status_code == 302


# Registration reveals nobody -----------------------------------------------------------


@pytest.fixture
def password_hashings(monkeypatch):
    """Counts scrypt computations: the cost that told a taken address from a new one."""
    calls = []
    scrypt = hashlib.scrypt

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def test_registering_a_taken_address_costs_as_much_as_a_new_one(
    client, make_user, password_hashings
):
    make_user(email="known@example.org")
    taken = post_form(client, "/register", {**NEW_ACCOUNT, "email": "known@example.org"})
    taken_cost = len(password_hashings)
    password_hashings.clear()
    new = post_form(client, "/register", {**NEW_ACCOUNT, "email": "new@example.org"})
    assert taken.status_code == new.status_code == 302
    assert taken.headers["Location"] == new.headers["Location"]
    assert taken_cost == len(password_hashings) >= 1


# Reset links --------------------------------------------------------------------------


def _reset_token(client, outbox, email: str) -> str:
    post_form(client, "/forgot-password", {"email": email})
    [link] = [link for link in _links(outbox()[-1]) if "/reset-password/" in link]
    return link.rsplit("/", 1)[1]


def test_reset_link_carries_nothing_of_the_password_hash(client, app, make_user, outbox):
    user = make_user()
    token = _reset_token(client, outbox, user.email)
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="reset-password")
    _valid, payload = serializer.loads_unsafe(token)
    readable = repr(payload) + token
    secret_part = user.password_hash.rsplit("$", 2)[-2:]
    pieces = {part[i : i + 8] for part in secret_part for i in range(len(part) - 7)}
    assert not any(piece in readable for piece in pieces)


def test_reset_link_stops_working_once_the_password_changed(client, make_user, sign_in, outbox):
    user = make_user()
    token = _reset_token(client, outbox, user.email)
    assert client.get(f"/reset-password/{token}").status_code == 200
    sign_in(user)
    new = "an even longer phrase"
    post_form(
        client,
        "/settings/password",
        {"current_password": PASSWORD, "password": new, "confirm": new},
        prefix="password",
    )
    post_form(client, "/sign-out", {}, prefix="sign-out")
    stale = client.get(f"/reset-password/{token}")
    assert stale.status_code == 400
    assert "used already" in text_of(stale)


def test_reset_link_works_once(client, make_user, outbox):
    user = make_user()
    token = _reset_token(client, outbox, user.email)
    first = "a brand new passphrase"
    second = "another new passphrase"
    used = post_form(client, f"/reset-password/{token}", {"password": first, "confirm": first})
    assert used.status_code == 302
    post_form(client, "/sign-out", {}, prefix="sign-out")
    again = post_form(client, f"/reset-password/{token}", {"password": second, "confirm": second})
    assert again.status_code == 400
    signed_in = post_form(client, "/sign-in", {"email": user.email, "password": first})
    assert signed_in.status_code == 302


def test_signing_in_starts_the_count_for_that_address_afresh(client, make_user):
    user = make_user()
    for _ in range(2):
        for _ in range(4):
            wrong = _sign_in_from(client, "198.51.100.9", user.email, "wrong guess!")
            assert wrong.status_code == 400
        assert _sign_in_from(client, "198.51.100.9", user.email, PASSWORD).status_code == 302
        post_form(client, "/sign-out", {}, prefix="sign-out")
