"""Configuration from files and FORUM_* variables, secrets, and mail over real SMTP."""

from pathlib import Path

import pytest

from forum import create_app
from forum.extensions import db
from forum.mail.outbox import queue_account_mail
from forum.settings import ConfigurationError
from tests.conftest import deliver
from tests.helpers import post_form


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    return tmp_path


def test_secret_key_is_generated_once_and_kept(instance):
    first = create_app({"DATABASE_URL": "sqlite://"})
    second = create_app({"DATABASE_URL": "sqlite://"})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides_defaults(instance, monkeypatch):
    monkeypatch.setenv("FORUM_POSTS_PER_PAGE", "12")
    monkeypatch.setenv("FORUM_SITE_NAME", "WSIS follow-up forum")
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["POSTS_PER_PAGE"] == 12
    assert app.config["SITE_NAME"] == "WSIS follow-up forum"


def test_default_database_is_sqlite_in_instance(instance):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'forum.sqlite3'}"


def test_production_refuses_a_weak_secret(instance, monkeypatch):
    monkeypatch.setenv("FORUM_SECRET_KEY", "changeme")
    with pytest.raises(ConfigurationError, match="too weak"):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://"})


def test_production_has_secure_cookies(instance):
    app = create_app({"ENV": "production", "DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"]
    assert app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_mail_goes_through_the_configured_smtp_server(app, smtp, make_user):
    user = make_user(email="ingrid@example.org")
    with app.test_request_context():
        queue_account_mail(user, subject="Réunion à Genève", text_body="Ça va ?")
        db.session.commit()
    assert deliver(app).sent == 1
    [message] = smtp.received
    assert message["To"] == "ingrid@example.org"
    assert str(message["Subject"]) == "Réunion à Genève"
    assert message.get_content().strip() == "Ça va ?"
    assert not list((Path(app.instance_path) / "maildir").glob("*/*"))


def test_password_reset_arrives_over_smtp(app, client, smtp, make_user):
    user = make_user(email="kofi@example.org")
    response = post_form(client, "/forgot-password", {"email": user.email})
    assert response.status_code == 302
    assert smtp.received == []
    deliver(app)
    [message] = smtp.received
    assert message["To"] == "kofi@example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "http://forum.test/reset-password/" in message.get_content()


def test_behind_a_proxy_the_client_address_and_scheme_come_from_it(instance):
    app = create_app({"DATABASE_URL": "sqlite://", "PROXIES": 1, "TESTING": True})

    @app.get("/_probe")
    def probe() -> str:
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    response = app.test_client().get(
        "/_probe", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    )
    assert response.get_data(as_text=True) == "203.0.113.7 https"


def test_an_unexpected_error_is_a_friendly_500_page(instance):
    app = create_app({"DATABASE_URL": "sqlite://"})

    @app.get("/_broken")
    def broken() -> str:
        raise RuntimeError("boom")

    response = app.test_client().get("/_broken")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
