"""The forum in Arabic, right to left, in a real browser: Debian's Chromium, headless,
driven by Playwright against the app served over HTTP on a loopback port.

Every page is checked at a phone's width and a desktop's for horizontal overflow and
with axe-core for accessibility; screenshots are saved for a person to look at.
Chromium missing, the module is skipped (FORUM_REQUIRE_BROWSER=1 makes that a failure).
"""

import base64
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from forum import create_app
from forum.accounts.models import User
from forum.boards.services import load_boards
from forum.extensions import db
from forum.posts import services as posting
from forum.settings import CONFIG_DIR
from tests.browser import AXE_OPTIONS, QuietHandler
from tests.conftest import DATABASE_URL
from tests.helpers import PASSWORD, board
from tests.live import _logging_kept, add_people

WIDTHS = (320, 1280)
SHOTS = Path(os.environ.get("FORUM_SCREENSHOTS", Path(tempfile.gettempdir()) / "forum-screens"))

if DATABASE_URL:
    pytest.skip(
        "browser tests run in the SQLite pass only: the pages they check do not depend on "
        "the database",
        allow_module_level=True,
    )


@dataclass
class Forum:
    url: str
    thread_id: int
    board_slug: str


def _fill(app: Flask) -> tuple[int, str]:
    """People and a paginated thread in Arabic, with English, quotes, lists, code and
    a long address in it; returns the thread's id and its board's slug."""
    writer_id, other_id = add_people(app, 2, prefix="reader")
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
        return thread.id, c5.slug


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Forum, object]]:
    """The forum on a SQLite file of its own, served by a threaded HTTP server."""
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
    saved, session = db.session, db._make_scoped_session({})
    db.session = session
    try:
        with app.app_context(), _logging_kept():
            upgrade()
            load_boards(CONFIG_DIR / app.config["BOARDS_FILE"])
            db.session.commit()
        thread_id, slug = _fill(app)
    finally:
        db.session = saved
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield Forum(f"http://127.0.0.1:{server.server_port}", thread_id, slug), session
    finally:
        server.shutdown()
        app.extensions["search"].close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def served(forum: tuple[Forum, object], database: None) -> Iterator[Forum]:
    """The served forum's session stands in for the test database's while a test runs."""
    saved = db.session
    db.session = forum[1]
    try:
        yield forum[0]
    finally:
        db.session = saved


# What a page overflows with: the elements that stick out of the viewport, for the message.
_OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const out = [...document.body.querySelectorAll("*")].filter((element) => {
    const box = element.getBoundingClientRect();
    return box.width && (box.right > width + 0.5 || box.left < -0.5);
  });
  return `scrollWidth ${document.documentElement.scrollWidth} > ${width}: ` +
    out.slice(-5).map((element) => element.outerHTML.slice(0, 120)).join(" | ");
}"""

# The column of the picture in which its ink is tallest, as a fraction of its width, and
# that height in pixels: an arrow's head is its tallest part.
_HEAD_AT = """async (png) => {
  const picture = new Image();
  picture.src = "data:image/png;base64," + png;
  await picture.decode();
  const canvas = document.createElement("canvas");
  canvas.width = picture.width;
  canvas.height = picture.height;
  const drawing = canvas.getContext("2d");
  drawing.drawImage(picture, 0, 0);
  const pixels = drawing.getImageData(0, 0, canvas.width, canvas.height).data;
  let best = 0, bestColumn = 0;
  for (let x = 0; x < canvas.width; x++) {
    let inked = 0;
    for (let y = 0; y < canvas.height; y++) {
      const at = (y * canvas.width + x) * 4;
      if (pixels[at] + pixels[at + 1] + pixels[at + 2] < 384) inked++;
    }
    if (inked > best) { best = inked; bestColumn = x; }
  }
  return {at: (bestColumn + 0.5) / canvas.width, height: best};
}"""


def _context(browser: object, width: int, language: str = "ar", scale: int = 1) -> object:
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        device_scale_factor=scale,
        locale=language,
        extra_http_headers={"Accept-Language": language},
    )
    context.set_default_timeout(10_000)
    return context


def _signed_in(browser: object, served: Forum, width: int) -> object:
    """A browser context signed in through the sign-in form, as the Arabic writer."""
    context = _context(browser, width)
    page = context.new_page()
    page.goto(f"{served.url}/sign-in")
    page.fill("input[name=email]", "reader0@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.rstrip("/") == served.url, page.content()
    page.close()
    return context


def _pages(served: Forum) -> dict[str, str]:
    return {
        "home": "/",
        "board": f"/b/{served.board_slug}",
        "thread": f"/t/{served.thread_id}",
        "thread-page-3": f"/t/{served.thread_id}?page=3",
        "register": "/register",
    }


def _visit(browser: object, served: Forum, width: int) -> Iterator[tuple[str, object]]:
    """Each page in Arabic, anonymous, then the new-thread form signed in."""
    for signed_in, pages in (
        (False, _pages(served)),
        (True, {"new-thread": f"/b/{served.board_slug}/new"}),
    ):
        context = _signed_in(browser, served, width) if signed_in else _context(browser, width)
        page = context.new_page()
        try:
            for name, path in pages.items():
                response = page.goto(served.url + path)
                assert response.status == 200, (name, response.status)
                yield name, page
        finally:
            context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_arabic_pages_are_right_to_left_without_sideways_scrolling(
    browser: object, served: Forum, width: int
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    overflowing = []
    for name, page in _visit(browser, served, width):
        assert page.evaluate("document.documentElement.dir") == "rtl", name
        assert page.evaluate("document.documentElement.lang") == "ar", name
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl", name
        page.screenshot(path=SHOTS / f"ar-{name}-{width}.png", full_page=True)
        problem = page.evaluate(_OVERFLOW)
        if problem:
            overflowing.append(f"{name}: {problem}")
    assert not overflowing, "\n".join(overflowing)


@pytest.mark.parametrize("width", WIDTHS)
def test_arabic_pages_pass_axe_core(browser: object, served: Forum, width: int) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = []
    for name, page in _visit(browser, served, width):
        results = axe.run(page, options=AXE_OPTIONS)
        found += [
            f"{name}: {violation['id']} ({violation['impact']}): {violation['help']}: "
            + " | ".join(node["html"][:120] for node in violation["nodes"][:3])
            for violation in results.response["violations"]
        ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("language", "head_side"), [("ar", "left"), ("en", "right")])
def test_next_page_arrow_points_the_way_of_reading(
    browser: object, served: Forum, language: str, head_side: str
) -> None:
    """The pager's "next" arrow, as drawn, points left in Arabic and right in English,
    and "next" stands on that side of "previous"."""
    context = _context(browser, 1280, language, scale=4)  # a glyph large enough to measure
    page = context.new_page()
    try:
        page.goto(f"{served.url}/t/{served.thread_id}?page=2")
        arrow = page.locator(".pager a[rel=next] .arrow").first
        png = base64.b64encode(arrow.screenshot()).decode()
        head = page.evaluate(_HEAD_AT, png)
        assert head["height"] >= 8, f"no arrow drawn: {head}"
        assert (head["at"] < 0.5) == (head_side == "left"), head
        next_box = page.locator(".pager a[rel=next]").first.bounding_box()
        previous_box = page.locator(".pager a[rel=prev]").first.bounding_box()
        assert (next_box["x"] < previous_box["x"]) == (head_side == "left")
    finally:
        context.close()


# Where a paragraph's first letter and its last character are drawn, and its own box.
_PARAGRAPH_ENDS = """(words) => {
  const paragraph = [...document.querySelectorAll("article > div p")]
    .find((element) => element.textContent.includes(words));
  const text = paragraph.firstChild;
  const box = (start) => {
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, start + 1);
    return range.getBoundingClientRect();
  };
  const last = text.length - 1;
  const own = paragraph.getBoundingClientRect();
  return {first: box(0).left, last: box(last).left, left: own.left, right: own.right,
          lastRight: box(last).right, firstRight: box(0).right};
}"""


def test_each_paragraph_of_a_post_reads_in_its_own_direction(
    browser: object, served: Forum
) -> None:
    """In an Arabic post on an Arabic page, the English paragraph runs left to right from
    the left edge, its full stop at its end; the Arabic one runs from the right edge."""
    context = _context(browser, 1280)
    page = context.new_page()
    try:
        page.goto(f"{served.url}/t/{served.thread_id}")
        english = page.evaluate(_PARAGRAPH_ENDS, "The English summary")
        assert english["first"] < english["last"], english
        assert english["first"] - english["left"] < 2, english
        arabic = page.evaluate(_PARAGRAPH_ENDS, "مرحباً بالجميع")
        assert arabic["first"] > arabic["last"], arabic
        assert arabic["right"] - arabic["firstRight"] < 2, arabic
    finally:
        context.close()


def test_typed_text_takes_the_direction_of_its_script(browser: object, served: Forum) -> None:
    """A field follows what is typed in it; empty, showing its hint, it follows the page."""
    context = _context(browser, 320)
    page = context.new_page()
    try:
        page.goto(f"{served.url}/register")
        name = page.locator("input[name=display_name]")
        name.fill("Amina Hassan")
        assert name.evaluate("(field) => field.matches(':dir(ltr)')")
        name.fill("أمينة الحسن")
        assert name.evaluate("(field) => field.matches(':dir(rtl)')")
        search = page.locator("#site-q")
        assert search.evaluate("(field) => getComputedStyle(field).direction") == "rtl"
        search.fill("internet governance")
        assert search.evaluate("(field) => field.matches(':dir(ltr)')")
    finally:
        context.close()
