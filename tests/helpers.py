"""Helpers the tests share: forms with CSRF tokens, board lookup, query counting."""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from werkzeug.test import TestResponse

from forum.boards.models import Board
from forum.extensions import db

PASSWORD = "a long enough passphrase"
_CSRF = re.compile(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"')


class ClosingClient(FlaskClient):
    """A test client that closes each response, as a WSGI server does, so that work
    registered to run after the response (indexing) runs in tests too."""

    def open(self, *args: object, **kwargs: object) -> TestResponse:
        response = super().open(*args, **kwargs)
        response.get_data()
        response.close()
        return response


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, from the home page (signed in) or the sign-in form."""
    for page in ("/", "/register"):
        match = _CSRF.search(client.get(page).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no CSRF token on the pages")


def post_form(
    client: FlaskClient, url: str, data: dict, *, prefix: str = "", **kwargs: object
) -> TestResponse:
    """POST a form with a valid CSRF token; `prefix` is the form's field prefix, if any."""
    fields = {"csrf_token": csrf_token(client), **data}
    if prefix:
        fields = {f"{prefix}-{name}": value for name, value in fields.items()}
    return client.post(url, data=fields, **kwargs)


def board(code: str) -> Board:
    return db.session.scalars(select(Board).where(Board.code == code)).one()


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


class QueryCounter:
    """Counts the SQL statements (not transaction control) run while it is active."""

    _CONTROL = re.compile(r"^\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT)", re.IGNORECASE)

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            self.engine = db.engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self._CONTROL.match(statement):
            self.statements.append(statement)

    def __enter__(self) -> "QueryCounter":
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


def signed_in(app: Flask, user: object) -> FlaskClient:
    """A browser of its own, signed in as this person (the `sign_in` fixture signs the
    test's one client in, once)."""
    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
