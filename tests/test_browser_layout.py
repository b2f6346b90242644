"""What a member sees first, in a real browser (Debian's Chromium, headless, driven by
Playwright against the app served over HTTP on a loopback port): home, a board, a thread
and Latest, signed in, at a phone's width and a desktop's, fit without sideways
scrolling, and the counts of the lists of boards and threads stand under their headings
on a phone too. Screenshots are saved for a person to look at. Skipped without Chromium,
as tests/test_browser_rtl.py.
"""

import pytest

from tests.browser import OVERFLOW, SHOTS, Served, sign_in
from tests.conftest import DATABASE_URL

if DATABASE_URL:
    pytest.skip(
        "browser tests run in the SQLite pass only: the pages they check do not depend on "
        "the database",
        allow_module_level=True,
    )

# Each count of a list whose middle is not under its column's heading, or whose heading
# is not shown.
_COUNTS_ASTRAY = """() => [...document.querySelectorAll("table:is(.boards, .threads)")]
  .flatMap((table) => {
    const heads = [...table.querySelectorAll("thead th")];
    return [...table.querySelectorAll("tbody tr")].flatMap((row) =>
      [...row.children].flatMap((cell, column) => {
        if (!cell.matches("td.num")) return [];
        const head = heads[column].getBoundingClientRect();
        const box = cell.getBoundingClientRect();
        const middle = box.left + box.width / 2;
        return head.width && head.left <= middle && middle <= head.right ? [] :
          [`${cell.textContent} under ${heads[column].textContent} (${head.left}-${head.right})`];
      }));
  })"""


@pytest.mark.parametrize("width", [320, 1280])
def test_a_members_first_pages_fit_and_label_their_counts(
    browser: object, served: Served, width: int
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": width, "height": 640 if width < 400 else 800},
        locale="en",
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(10_000)
    sign_in(context, served, served.english.writer)
    page = context.new_page()
    problems = []
    try:
        for name, path in {
            "home": "/",
            "board": f"/b/{served.arabic.board_slug}",
            "thread": f"/t/{served.english.thread_id}",
            "latest": "/latest",
        }.items():
            response = page.goto(served.url + path)
            assert response.status == 200, (name, response.status)
            assert "Writer 0" in page.locator("header.site").inner_text(), "signed in"
            page.screenshot(path=SHOTS / f"member-{name}-{width}.png")
            overflow = page.evaluate(OVERFLOW)
            if overflow:
                problems.append(f"{name}: {overflow}")
            problems += [f"{name}: {astray}" for astray in page.evaluate(_COUNTS_ASTRAY)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)
