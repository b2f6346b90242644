"""`make bench-weight`: what a reader's connection carries, and how soon a page shows.

Builds a small forum on a SQLite file of its own: a 30-post thread (650 characters a post,
by people of the demo data) on C5. Prints JSON:

- `weight`: the thread page's HTML and the stylesheet, in bytes of body, as sent
  uncompressed, gzip and Brotli, to an anonymous reader, a member and the board's
  coordinator; goals: 40,000 bytes raw, 10,000 on the wire (Brotli), HTML and CSS
  together. `not_modified_bytes` is the size of the 304 answer (its headers) that a
  browser gets when it has the page already.
- `return_visit`: Chromium (headless, Debian's) opens the thread page, then home, then
  the thread page again: the requests that reach the server each time (the stylesheet
  and icon are not asked for again: they are fingerprinted and immutable).
- `slow_3g`: home, board and thread opened with an empty cache through DevTools'
  network throttling (400 kbit/s down and up, 400 ms round trip): first contentful
  paint and the load event, in milliseconds; goal: first contentful paint within 2 s.
"""

import json
import os
import random
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from tests.browser import CHROMIUM, CHROMIUM_ARGS, QuietHandler

POSTS = 30
POST_LENGTH = 650
GOAL_RAW = 40_000
GOAL_WIRE = 10_000
GOAL_FIRST_PAINT_MS = 2000
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400_000 / 8,
    "uploadThroughput": 400_000 / 8,
}
PASSWORD = "a long enough passphrase"
_SENTENCES = (
    "The regional workshop on trust and security in the use of ICTs drew participants "
    "from governments, civil society and the private sector. Several delegations asked "
    "for a shared checklist of good practices for national incident response teams. "
    "Capacity building remains the first need in least developed countries, where "
    "training budgets are small. We propose that the action line facilitators publish "
    "a short stocktaking report before the next cluster of WSIS-related events. "
    "Consultation with the academic and technical community should start early."
).split(". ")


def _text(rng: random.Random) -> str:
    """650 characters of sentences made of the demo data's English words, with one of a
    few real sentences now and then: about as compressible as people's writing."""
    from forum.demo.vocabulary import VOCABULARIES

    vocabulary = VOCABULARIES["en"].split()
    sentences: list[str] = []
    while len(" ".join(sentences)) < POST_LENGTH:
        if rng.random() < 0.3:
            sentences.append(rng.choice(_SENTENCES).rstrip(".") + ".")
        else:
            words = rng.choices(vocabulary, k=rng.randint(6, 16))
            sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)[:POST_LENGTH].rsplit(" ", 1)[0] + "."


def build(instance: Path) -> tuple[Flask, int, str, dict[str, str]]:
    """The forum, its thread's id, its board's slug, and the e-mail of each kind of
    person."""
    os.environ["FORUM_INSTANCE_PATH"] = str(instance)
    from forum import create_app
    from forum.accounts.models import StakeholderGroup, User
    from forum.accounts.services import PASSWORD_METHOD
    from forum.boards.models import Board, BoardRole, Role
    from forum.boards.services import load_boards
    from forum.db import utcnow
    from forum.demo.content import PEOPLE
    from forum.extensions import db
    from forum.posts import services as posting
    from forum.settings import CONFIG_DIR

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{instance / 'weight.sqlite3'}",
            "BASE_URL": "http://127.0.0.1",
            "MAIL_SERVER": "",
        }
    )
    rng = random.Random(15)
    with app.app_context():
        upgrade()
        load_boards(CONFIG_DIR / app.config["BOARDS_FILE"])
        hashed = generate_password_hash(PASSWORD, method=PASSWORD_METHOD)
        people = [
            User(
                email=f"person{number}@example.org",
                display_name=name,
                password_hash=hashed,
                stakeholder_group=group,
                organisation=organisation,
                country=country,
                email_verified_at=utcnow(),
                created_at=utcnow() - timedelta(days=90),
            )
            for number, (name, group, organisation, country) in enumerate(PEOPLE)
        ]
        member = User(
            email="member@example.org",
            display_name="Nadia Rahman",
            password_hash=hashed,
            stakeholder_group=StakeholderGroup.CIVIL_SOCIETY,
            email_verified_at=utcnow(),
            created_at=utcnow() - timedelta(days=90),
        )
        db.session.add_all([*people, member])
        c5 = db.session.query(Board).filter_by(code="C5").one()
        db.session.add(BoardRole(board=c5, user=people[10], role=Role.COORDINATOR))
        db.session.flush()
        thread = posting.create_thread(
            c5, people[0], title="Incident response checklists for national teams",
            body=_text(rng), language="en",
        )  # fmt: skip
        for number in range(POSTS - 1):
            posting.reply(thread, people[number % len(people)], body=_text(rng), language="en")
        db.session.commit()
        found = thread.id, c5.slug
        kinds = {"anonymous": "", "member": member.email, "coordinator": people[10].email}
        db.session.remove()
    return app, *found, kinds


def _signed_in(app: Flask, email: str) -> object:
    from tests.helpers import post_form

    client = app.test_client()
    if email:
        response = post_form(client, "/sign-in", {"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        client.get("/")
    return client


def _header_bytes(response: object) -> int:
    status = f"HTTP/1.1 {response.status}\r\n"
    return len(status) + sum(len(f"{name}: {value}\r\n") for name, value in response.headers)


def weight(app: Flask, thread_id: int, kinds: dict[str, str]) -> dict:
    """Bytes of the thread page and its stylesheet for each kind of reader."""
    import re

    figures = {}
    for kind, email in kinds.items():
        client = _signed_in(app, email)
        plain = client.get(f"/t/{thread_id}").get_data(as_text=True)
        href = re.search(r'rel="stylesheet" href="([^"]+)"', plain).group(1)
        sizes = {}
        for encoding in ("identity", "gzip", "br"):
            page = client.get(f"/t/{thread_id}", headers={"Accept-Encoding": encoding})
            css = client.get(href, headers={"Accept-Encoding": encoding})
            html_bytes, css_bytes = len(page.get_data()), len(css.get_data())
            sizes[encoding] = {
                "html": html_bytes,
                "css": css_bytes,
                "total": html_bytes + css_bytes,
            }
        again = client.get(f"/t/{thread_id}", headers={"If-None-Match": page.headers["ETag"]})
        figures[kind] = {
            "raw": sizes["identity"],
            "gzip": sizes["gzip"],
            "br": sizes["br"],
            "raw_goal_met": sizes["identity"]["total"] <= GOAL_RAW,
            "wire_goal_met": sizes["br"]["total"] <= GOAL_WIRE
            and sizes["gzip"]["total"] <= GOAL_WIRE,
            "not_modified_status": again.status_code,
            "not_modified_bytes": _header_bytes(again),
        }
    return figures


class _Counting:
    """The requests that reach the server, in order: path and status."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.paths: list[str] = []

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def noting(status: str, *args: object) -> object:
            self.paths.append(f"{environ['PATH_INFO']} {status.split()[0]}")
            return start_response(status, *args)

        return self.app(environ, noting)


_TIMING = """() => new Promise((resolve) => {
  const done = (paint) => {
    const navigation = performance.getEntriesByType("navigation")[0];
    resolve({
      first_contentful_paint_ms: paint ? Math.round(paint.startTime) : null,
      load_event_ms: Math.round(navigation.loadEventEnd),
      transferred_bytes: navigation.transferSize,
    });
  };
  new PerformanceObserver((list) => {
    const paint = list.getEntriesByName("first-contentful-paint")[0];
    if (paint) done(paint);
  }).observe({type: "paint", buffered: true});
  setTimeout(() => done(null), 5000);
})"""


def browser_figures(base: str, counting: _Counting, pages: dict[str, str]) -> dict:
    from playwright.sync_api import sync_playwright

    thread = pages["thread"]
    figures: dict = {"slow_3g": {}, "return_visit": {}}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        encodings: list[str | None] = []
        for name, path in pages.items():
            encodings.clear()
            context = chromium.new_context()
            page = context.new_page()
            session = context.new_cdp_session(page)
            session.send("Network.enable")
            session.send("Network.emulateNetworkConditions", SLOW_3G)
            page.on(
                "response",
                lambda response: encodings.append(response.headers.get("content-encoding")),
            )
            page.goto(base + path, wait_until="load")
            timing = page.evaluate(_TIMING)
            timing["content_encoding"] = encodings[0] if encodings else None
            timing["goal_met"] = (
                timing["first_contentful_paint_ms"] is not None
                and timing["first_contentful_paint_ms"] <= GOAL_FIRST_PAINT_MS
            )
            figures["slow_3g"][name] = timing
            context.close()
        context = chromium.new_context()
        page = context.new_page()
        for step, path in (("first", thread), ("home", "/"), ("return", thread)):
            counting.paths.clear()
            page.goto(base + path, wait_until="load")
            page.wait_for_timeout(300)
            figures["return_visit"][step] = list(counting.paths)
        context.close()
        chromium.close()
    figures["return_visit"]["requests_on_return"] = len(figures["return_visit"]["return"])
    return figures


def main() -> None:
    instance = Path(tempfile.mkdtemp(prefix="forum-weight-"))
    app, thread_id, slug, kinds = build(instance)
    report: dict = {
        "thread": {"posts": POSTS, "characters_a_post": POST_LENGTH},
        "goals": {"raw_bytes": GOAL_RAW, "wire_bytes": GOAL_WIRE},
        "weight": weight(app, thread_id, kinds),
    }
    counting = _Counting(app.wsgi_app)
    app.wsgi_app = counting
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    pages = {"home": "/", "board": f"/b/{slug}", "thread": f"/t/{thread_id}"}
    try:
        if Path(CHROMIUM).exists():
            base = f"http://127.0.0.1:{server.server_port}"
            report.update(browser_figures(base, counting, pages))
        else:
            report["browser"] = f"skipped: {CHROMIUM} is missing"
    finally:
        server.shutdown()
    report["slow_3g_measure"] = "first contentful paint (goal) and load event, in ms"
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
