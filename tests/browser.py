"""Debian's Chromium, headless, driven by Playwright, and the forum it visits, served
over HTTP on a loopback port: what the browser tests share (a plugin of
tests/conftest.py). Chromium or Playwright missing, a test that asks for the browser is
skipped (FORUM_REQUIRE_BROWSER=1 makes that a failure)."""

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from forum import create_app
from forum.accounts.models import User
from forum.boards.services import load_boards
from forum.extensions import db
from forum.posts import services as posting
from forum.search import services as search
from forum.settings import CONFIG_DIR
from tests.helpers import PASSWORD, board
from tests.live import _logging_kept, add_people

CHROMIUM = os.environ.get("FORUM_CHROMIUM", "/usr/bin/chromium")
# Where the browser tests leave screenshots for a person to look at.
SHOTS = Path(os.environ.get("FORUM_SCREENSHOTS", Path(tempfile.gettempdir()) / "forum-screens"))
# Without the networking switches Chromium reaches out for updates and field trials.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = "install Chromium with `apt-get install -y chromium` to run them"


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object) -> None:
        """Requests go unlogged: a failing test's output shows what failed, not every GET."""


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("FORUM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"FORUM_REQUIRE_BROWSER=1 but {reason}: {INSTALL_HINT}")
    pytest.skip(f"browser tests skipped, {reason}: {INSTALL_HINT}")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium for the module; each test opens its own contexts."""
    if not shutil.which(CHROMIUM):
        unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing (make install)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# axe-core's rules as it runs them by default, with WCAG 2.2's target size (at least
# 24 by 24 px, or spaced as much) added: it is off by default.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


# What a page overflows with: the elements that stick out of the viewport, for the message.
OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const out = [...document.body.querySelectorAll("*")].filter((element) => {
    const box = element.getBoundingClientRect();
    return box.width && (box.right > width + 0.5 || box.left < -0.5);
  });
  return `scrollWidth ${document.documentElement.scrollWidth} > ${width}: ` +
    out.slice(-5).map((element) => element.outerHTML.slice(0, 120)).join(" | ");
}"""


@dataclass
class Discussion:
    """A thread of eight posts (three pages of three) and the address of its writer."""

    thread_id: int
    board_slug: str
    writer: str


@dataclass
class Served:
    url: str
    # In Arabic on C5, with English, quotes, lists, code and a long address in it, beside
    # four short threads (two pages of threads); its writer reads the forum in Arabic.
    arabic: Discussion
    # "Spectrum tenders" on C3, alone on its board, indexed for search.
    english: Discussion


def _fill_arabic(app: Flask, writer_id: int, other_id: int) -> Discussion:
    with app.test_request_context():
        writer, other = db.session.get(User, writer_id), db.session.get(User, other_id)
        writer.display_name, writer.organisation = "أمينة الحسن", "جمعية الإنترنت المفتوح"
        writer.locale = "ar"
        c5 = board("C5")
        thread = posting.create_thread(
            c5,
            writer,
            title="بناء الثقة والأمن في استخدام تكنولوجيات المعلومات والاتصالات (ICT)",
            body=(
                "مرحباً بالجميع. نقترح خطة عمل للسنة القادمة:\n\n"
                "1. ورشة عمل إقليمية\n2. دليل للممارسات الجيدة\n\n"
                "> الأمن السيبراني مسؤولية مشتركة بين جميع أصحاب المصلحة.\n\n"
                "The English summary follows: trust and security, C5.\n\n"
                "https://www.itu.int/net/wsis/implementation/2005/forum/geneva/reports/"
                "action-line-c5-building-confidence-and-security-in-the-use-of-icts.html\n\n"
                "    flask --app wsgi forum load-boards"
            ),
            language="ar",
        )
        answered = None
        for number in range(7):
            answered = posting.reply(
                thread,
                other if number % 2 else writer,
                body=f"رد رقم {number + 1}: نوافق على الاقتراح، مع ملاحظة حول التمويل.",
                language="ar",
                reply_to=answered,
            )
        for number in range(4):
            posting.create_thread(
                c5, other, title=f"موضوع للنقاش رقم {number + 1}", body="نص قصير.", language="ar"
            )
        db.session.commit()
        return Discussion(thread.id, c5.slug, writer.email)


def _fill_english(app: Flask, writer_id: int) -> Discussion:
    with app.test_request_context():
        writer = db.session.get(User, writer_id)
        c3 = board("C3")
        thread = posting.create_thread(
            c3, writer, title="Spectrum tenders", body="Rural broadband **tenders**."
        )
        for number in range(7):
            posting.reply(thread, writer, body=f"Tenders, reply {number + 1}.")
        db.session.commit()
        while search.drain():
            pass
        return Discussion(thread.id, c3.slug, writer.email)


@pytest.fixture(scope="session")
def served_forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, object]]:
    """The forum on a SQLite file of its own, served by a threaded HTTP server for every
    browser test of the run, with its own database session."""
    instance = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORUM_INSTANCE_PATH", str(instance))
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{instance / 'browser.sqlite3'}",
                "BASE_URL": "http://127.0.0.1",
                "MAIL_SERVER": "",
                "POSTS_PER_PAGE": 3,
                "THREADS_PER_PAGE": 3,
                "PAGE_CACHE_SECONDS": 0,
            }
        )
    # Each request of the threaded server runs in a thread of its own: its thread's
    # searcher is closed with it, not left to the garbage collector.
    app.teardown_request(lambda _error: app.extensions["search"].close())
    saved, session = db.session, db._make_scoped_session({})
    db.session = session
    try:
        with app.app_context(), _logging_kept():
            upgrade()
            load_boards(CONFIG_DIR / app.config["BOARDS_FILE"])
            db.session.commit()
        arabic_writer, other = add_people(app, 2, prefix="reader")
        (english_writer,) = add_people(app, 1, prefix="writer")
        arabic = _fill_arabic(app, arabic_writer, other)
        english = _fill_english(app, english_writer)
    finally:
        db.session = saved
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", arabic, english), session
    finally:
        server.shutdown()
        app.extensions["search"].close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def served(served_forum: tuple[Served, object], database: None) -> Iterator[Served]:
    """The served forum's session stands in for the test database's while a test runs."""
    saved = db.session
    db.session = served_forum[1]
    try:
        yield served_forum[0]
    finally:
        db.session = saved


def sign_in(context: object, served: Served, email: str) -> None:
    """Signs the browser context in through the sign-in form."""
    page = context.new_page()
    page.goto(f"{served.url}/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.rstrip("/") == served.url, page.content()
    page.close()
