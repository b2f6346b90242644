"""The forum in Arabic, right to left, in a real browser: Debian's Chromium, headless,
driven by Playwright against the app served over HTTP on a loopback port.

Every page is checked at a phone's width and a desktop's for horizontal overflow and
with axe-core for accessibility; screenshots are saved for a person to look at.
Chromium missing, the module is skipped (FORUM_REQUIRE_BROWSER=1 makes that a failure).
"""

import base64
from collections.abc import Iterator

import pytest

from tests.browser import AXE_OPTIONS, OVERFLOW, SHOTS, Served, sign_in
from tests.conftest import DATABASE_URL

WIDTHS = (320, 1280)

if DATABASE_URL:
    pytest.skip(
        "browser tests run in the SQLite pass only: the pages they check do not depend on "
        "the database",
        allow_module_level=True,
    )


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


def _signed_in(browser: object, served: Served, width: int) -> object:
    """A browser context signed in as the Arabic writer."""
    context = _context(browser, width)
    sign_in(context, served, served.arabic.writer)
    return context


def _pages(served: Served) -> dict[str, str]:
    thread = served.arabic.thread_id
    return {
        "home": "/",
        "board": f"/b/{served.arabic.board_slug}",
        "thread": f"/t/{thread}",
        "thread-page-3": f"/t/{thread}?page=3",
        "register": "/register",
    }


def _visit(browser: object, served: Served, width: int) -> Iterator[tuple[str, object]]:
    """Each page in Arabic, anonymous, then the new-thread form signed in."""
    for signed_in, pages in (
        (False, _pages(served)),
        (True, {"new-thread": f"/b/{served.arabic.board_slug}/new"}),
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
    browser: object, served: Served, width: int
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    overflowing = []
    for name, page in _visit(browser, served, width):
        assert page.evaluate("document.documentElement.dir") == "rtl", name
        assert page.evaluate("document.documentElement.lang") == "ar", name
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl", name
        page.screenshot(path=SHOTS / f"ar-{name}-{width}.png", full_page=True)
        problem = page.evaluate(OVERFLOW)
        if problem:
            overflowing.append(f"{name}: {problem}")
    assert not overflowing, "\n".join(overflowing)


@pytest.mark.parametrize("width", WIDTHS)
def test_arabic_pages_pass_axe_core(browser: object, served: Served, width: int) -> None:
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
    browser: object, served: Served, language: str, head_side: str
) -> None:
    """The pager's "next" arrow, as drawn, points left in Arabic and right in English,
    and "next" stands on that side of "previous"."""
    context = _context(browser, 1280, language, scale=4)  # a glyph large enough to measure
    page = context.new_page()
    try:
        page.goto(f"{served.url}/t/{served.arabic.thread_id}?page=2")
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
    browser: object, served: Served
) -> None:
    """In an Arabic post on an Arabic page, the English paragraph runs left to right from
    the left edge, its full stop at its end; the Arabic one runs from the right edge."""
    context = _context(browser, 1280)
    page = context.new_page()
    try:
        page.goto(f"{served.url}/t/{served.arabic.thread_id}")
        english = page.evaluate(_PARAGRAPH_ENDS, "The English summary")
        assert english["first"] < english["last"], english
        assert english["first"] - english["left"] < 2, english
        arabic = page.evaluate(_PARAGRAPH_ENDS, "مرحباً بالجميع")
        assert arabic["first"] > arabic["last"], arabic
        assert arabic["right"] - arabic["firstRight"] < 2, arabic
    finally:
        context.close()


def test_typed_text_takes_the_direction_of_its_script(browser: object, served: Served) -> None:
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
