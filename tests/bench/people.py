"""The people a benchmark signs in as: a member (verified, no role) and a coordinator of
the busiest board, plus writers; created once in a data set, with one shared password,
and backdated so that no new-account rule applies to them."""

import random
import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from tests.bench import cluster_load

PASSWORD = "bench-" + "p" * 20
_ROLES = {"member": None, "coordinator": "coordinator"}


def email(name: str) -> str:
    return f"{name}@bench.example.org"


def ensure_people(app: Flask, board_code: str, writers: int = 0) -> dict[str, str]:
    """The member, the coordinator and `writers` writers (writer1…), by name: email."""
    from forum.accounts import services as accounts
    from forum.accounts.models import StakeholderGroup, User
    from forum.boards.models import Board, BoardRole, Role
    from forum.db import utcnow
    from forum.extensions import db

    names = ["member", "coordinator", *[f"writer{n}" for n in range(1, writers + 1)]]
    with app.test_request_context():
        board = db.session.scalars(select(Board).where(Board.code == board_code)).one()
        for name in names:
            if accounts.find_user_by_email(email(name)) is not None:
                continue
            user = accounts.register_user(
                email=email(name), password=PASSWORD, display_name=f"Bench {name.title()}",
                stakeholder_group=StakeholderGroup.CIVIL_SOCIETY, organisation="", country=None,
            )  # fmt: skip
            user.email_verified_at = utcnow()
            user.created_at = utcnow() - timedelta(days=365)
            if name == "coordinator":
                db.session.add(BoardRole(board=board, user=user, role=Role.COORDINATOR))
        db.session.commit()
        found = db.session.scalars(select(User.email).where(User.email.in_(map(email, names))))
        assert len(list(found)) == len(names)
        db.session.remove()
    return {name: email(name) for name in names}


def http_session(port: int, address: str) -> str:
    """Sign in through the sign-in form of the server at `port`; the Cookie header."""
    browser = cluster_load.Browser([port], cluster_load.Record(), random.Random(0))
    if not browser.sign_in(address, PASSWORD):
        raise RuntimeError(f"could not sign in as {address}: {browser.record.errors}")
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def signed_in(text: str) -> bool:
    """Whether a page was served to someone signed in (it has the sign-out form)."""
    return re.search(r'action="/sign-out"', text) is not None


def client_session(app: Flask, address: str):
    """A test client of `app` signed in through the sign-in form."""
    from tests.helpers import csrf_token

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    answer = client.post(
        "/sign-in",
        data={"csrf_token": csrf_token(client), "email": address, "password": PASSWORD},
    )
    if answer.status_code != 302:
        raise RuntimeError(f"could not sign in as {address}: {answer.status_code}")
    return client
