"""Forms and pagers in a real browser (Debian's Chromium, headless, driven by Playwright
against the app served over HTTP on a loopback port): every box, button and pager link
is a target of 24 by 24 pixels at least (axe-core's `target-size`, WCAG 2.2), the focus
ring stands out 3:1 from what is around it, and at a phone's size a search's first
result shows without scrolling. Skipped without Chromium, as tests/test_browser_rtl.py.
"""

import pytest

from tests.browser import Served, sign_in
from tests.conftest import DATABASE_URL

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

if DATABASE_URL:
    pytest.skip(
        "browser tests run in the SQLite pass only: the pages they check do not depend on "
        "the database",
        allow_module_level=True,
    )


def _context(browser: object, width: int, height: int = 900) -> object:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="en",
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(10_000)
    return context


def _pages(served: Served) -> dict[str, tuple[bool, str]]:
    """Each page with forms or a pager, and whether it is seen signed in."""
    thread, board = served.english.thread_id, served.english.board_slug
    return {
        "register": (False, "/register"),
        "sign-in": (False, "/sign-in"),
        "thread-page-2": (False, f"/t/{thread}?page=2"),
        "search": (False, "/search?q=tenders&titles=1"),
        "search-results": (False, "/search?q=tenders"),
        "thread-signed-in": (True, f"/t/{thread}?page=3"),
        "board-signed-in": (True, f"/b/{board}"),
        "new-thread": (True, f"/b/{board}/new"),
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
            sign_in(context, served, served.english.writer)
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
            (f"/t/{served.english.thread_id}?page=2", [".pager a"]),
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
