"""Forms and pagers in a real browser (Debian's Chromium, headless, driven by Playwright
against the app served over HTTP on a loopback port): every box, button and pager link
is a target of 24 by 24 pixels at least (axe-core's `target-size`, WCAG 2.2), the focus
ring stands out 3:1 from what is around it, and at a phone's size a search's first
result shows without scrolling. Skipped without Chromium, as tests/test_browser_rtl.py.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from forum import create_app
from forum.accounts.models import User
from forum.boards.services import load_boards
from forum.extensions import db
from forum.posts import services as posting
from forum.search import services as search
from forum.settings import CONFIG_DIR
from tests.browser import QuietHandler
from tests.conftest import DATABASE_URL
from tests.helpers import PASSWORD, board
from tests.live import _logging_kept, add_people

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

if DATABASE_URL:
    pytest.skip(
        "browser tests run in the SQLite pass only: the pages they check do not depend on "
        "the database",
        allow_module_level=True,
    )


@dataclass
class Served:
    url: str
    thread_id: int
    board_slug: str


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, object]]:
    """A forum with a thread of three pages, served by a threaded HTTP server."""
    instance = tmp_path_factory.mktemp("browser-forms")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORUM_INSTANCE_PATH", str(instance))
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{instance / 'forms.sqlite3'}",
                "BASE_URL": "http://127.0.0.1",
                "MAIL_SERVER": "",
                "POSTS_PER_PAGE": 3,
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
        (writer_id,) = add_people(app, 1, prefix="writer")
        with app.test_request_context():
            writer = db.session.get(User, writer_id)
            c5 = board("C5")
            thread = posting.create_thread(
                c5, writer, title="Spectrum tenders", body="Rural broadband **tenders**."
            )
            for number in range(7):
                posting.reply(thread, writer, body=f"Tenders, reply {number + 1}.")
            db.session.commit()
            while search.drain():
                pass
            served = Served("", thread.id, c5.slug)
    finally:
        db.session = saved
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    served.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield served, session
    finally:
        server.shutdown()
        app.extensions["search"].close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def served(forum: tuple[Served, object], database: None) -> Iterator[Served]:
    saved = db.session
    db.session = forum[1]
    try:
        yield forum[0]
    finally:
        db.session = saved


def _context(browser: object, width: int, height: int = 900) -> object:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="en",
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(10_000)
    return context


def _sign_in(context: object, served: Served) -> None:
    page = context.new_page()
    page.goto(f"{served.url}/sign-in")
    page.fill("input[name=email]", "writer0@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.close()


def _pages(served: Served) -> dict[str, tuple[bool, str]]:
    """Each page with forms or a pager, and whether it is seen signed in."""
    return {
        "register": (False, "/register"),
        "sign-in": (False, "/sign-in"),
        "thread-page-2": (False, f"/t/{served.thread_id}?page=2"),
        "search": (False, "/search?q=tenders&titles=1"),
        "search-results": (False, "/search?q=tenders"),
        "thread-signed-in": (True, f"/t/{served.thread_id}?page=3"),
        "board-signed-in": (True, f"/b/{served.board_slug}"),
        "new-thread": (True, f"/b/{served.board_slug}/new"),
        "settings": (True, "/settings"),
        "mail-settings": (True, "/settings/mail"),
    }


# The controls of a page smaller than 24 by 24 pixels: every button, box, list, field,
# folding summary and pager link (links in running text are exempt in WCAG 2.2; these
# are not). axe-core's `target-size` lets a small target pass when nothing is near it.
_SMALL = """() => [...document.querySelectorAll(
    "button, input:not([type=hidden]), select, textarea, summary, .pager a")]
  .filter((element) => element.getClientRects().length)
  .map((element) => [element, element.getBoundingClientRect()])
  .filter(([element, box]) => box.width < 24 || box.height < 24)
  .map(([element, box]) =>
    `${Math.round(box.width)}x${Math.round(box.height)} ${element.outerHTML.slice(0, 90)}`)"""


@pytest.mark.parametrize("width", [320, 1280])
def test_every_target_is_24_pixels_at_least(browser: object, served: Served, width: int) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = []
    for signed_in in (False, True):
        context = _context(browser, width)
        if signed_in:
            _sign_in(context, served)
        page = context.new_page()
        try:
            for name, (signed, path) in _pages(served).items():
                if signed != signed_in:
                    continue
                response = page.goto(served.url + path)
                assert response.status == 200, (name, response.status)
                found += [f"{name}: {small}" for small in page.evaluate(_SMALL)]
                results = axe.run(page, options={"runOnly": ["target-size"]})
                found += [
                    f"{name}: " + " | ".join(node["html"][:100] for node in violation["nodes"][:4])
                    for violation in results.response["violations"]
                ]
        finally:
            context.close()
    assert not found, "\n".join(found)


# The focused element's ring, and the colour behind the element (its first ancestor with
# an opaque background), as [r, g, b] and widths in pixels.
_RING = """(element) => {
  element.focus();
  const style = getComputedStyle(element);
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 4).map(Number);
  let behind = element.parentElement;
  while (behind && rgb(getComputedStyle(behind).backgroundColor)[3] === 0) {
    behind = behind.parentElement;
  }
  const background = behind ? rgb(getComputedStyle(behind).backgroundColor) : [255, 255, 255];
  return {style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          colour: rgb(style.outlineColor), background: background};
}"""


def _luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(one: list[float], other: list[float]) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_focus_ring_stands_out_3_to_1(browser: object, served: Served) -> None:
    context = _context(browser, 1280)
    page = context.new_page()
    weak = []
    try:
        for path, selectors in (
            ("/register", ["#display_name", "#stakeholder_group", "main button", "main a",
                           "input[type=checkbox]"]),
            ("/search?q=tenders", ["summary"]),
            (f"/t/{served.thread_id}?page=2", [".pager a"]),
        ):  # fmt: skip
            page.goto(served.url + path)
            for selector in selectors:
                ring = page.locator(selector).first.evaluate(_RING)
                ratio = _contrast(ring["colour"], ring["background"])
                if ring["style"] == "none" or ring["width"] < 2 or ratio < 3:
                    weak.append(f"{path} {selector}: {ring} contrast {ratio:.2f}")
    finally:
        context.close()
    assert not weak, "\n".join(weak)


def test_a_search_shows_its_first_result_without_scrolling_on_a_phone(
    browser: object, served: Served
) -> None:
    context = _context(browser, 320, height=568)
    page = context.new_page()
    try:
        page.goto(f"{served.url}/search?q=tenders")
        first = page.locator("ol.results li").first.bounding_box()
        assert first is not None
        assert first["y"] + 24 <= 568, first
        assert not page.locator("#search-board").is_visible(), "the filters are folded"
        page.click("details.filters summary")
        assert page.locator("#search-board").is_visible()
    finally:
        context.close()
