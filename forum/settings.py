"""Loading configuration: defaults from config/, then FORUM_* variables, then overrides."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
ENV_PREFIX = "FORUM"
MIN_SECRET_LENGTH = 32
WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "development", "test"}


class ConfigurationError(RuntimeError):
    """A setting that the forum refuses to start with."""


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.from_pyfile(str(CONFIG_DIR / "defaults.py"))
    app.config.from_prefixed_env(ENV_PREFIX)
    app.config.update(overrides or {})
    production = app.config["ENV"] == "production"
    app.config["PRODUCTION"] = production
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _stored_secret_key(Path(app.instance_path))
    if production:
        _refuse_weak_secret(app.config["SECRET_KEY"])
        if "HTTPS" not in (overrides or {}) and f"{ENV_PREFIX}_HTTPS" not in os.environ:
            app.config["HTTPS"] = True
        if app.config.get("TRUSTED_HOSTS") is None:
            app.config["TRUSTED_HOSTS"] = _trusted_hosts(app.config)
    if app.config["REDIS_URL"] and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
        f"sqlite:///{Path(app.instance_path) / 'forum.sqlite3'}"
    )
    engine_options: dict[str, Any] = {"pool_pre_ping": True}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        engine_options["connect_args"] = {"timeout": float(app.config["SQLITE_BUSY_SECONDS"])}
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options)
    secure = bool(app.config["HTTPS"])
    app.config.update(
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=timedelta(days=app.config["SIGN_IN_DAYS"]),
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PREFERRED_URL_SCHEME="https" if secure else "http",
    )


def _trusted_hosts(config: dict[str, Any]) -> list[str]:
    """The host names requests may name: BASE_URL's and EXTRA_HOSTS. Any other Host header
    is answered 400, so nothing the forum builds from the request leads elsewhere."""
    base_host = urlsplit(config["BASE_URL"]).hostname
    if not base_host:
        raise ConfigurationError(
            f"{ENV_PREFIX}_BASE_URL must be an address like https://forum.example.org"
        )
    extra = config["EXTRA_HOSTS"]
    if isinstance(extra, str):
        extra = [host.strip() for host in extra.split(",") if host.strip()]
    return [base_host, *extra]


def _stored_secret_key(instance: Path) -> str:
    """Generate the key once and keep it in the instance folder, readable only by us.

    The file appears complete or not at all (written aside, then linked into place), so
    several workers starting together agree on one key.
    """
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        aside = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        aside.touch(mode=0o600)
        aside.write_text(secrets.token_hex(32))
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return path.read_text().strip()


def _refuse_weak_secret(key: str) -> None:
    if len(key) < MIN_SECRET_LENGTH or key.lower() in WEAK_SECRETS or len(set(key)) < 10:
        raise ConfigurationError(
            f"{ENV_PREFIX}_SECRET_KEY is too weak for production: use at least "
            f"{MIN_SECRET_LENGTH} random characters, or unset it to generate one."
        )
