"""Every page kind passes axe-core in Chromium: each page an anonymous reader, a member,
a coordinator or an admin reaches by links (one page of each kind for each of them), at
a phone's width and a desktop's.

The pages are answered by the app itself through Playwright's request routing, in the
test's own database transaction: no server, and one browser context for each person.
Chromium missing, the test is skipped (FORUM_REQUIRE_BROWSER=1 makes that a failure).
"""

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from forum.accounts.models import User
from tests.browser import AXE_OPTIONS
from tests.conftest import DATABASE_URL
from tests.mailin import DOMAIN, email, send
from tests.pages import WHO, client_of, crawl, fill_world, starts

ORIGIN = "http://forum.test"
WIDTHS = (320, 1280)

if DATABASE_URL:
    pytest.skip(
        "browser tests run in the SQLite pass only: the pages they check do not depend on "
        "the database",
        allow_module_level=True,
    )


def _answer_with(client: FlaskClient) -> Callable[[object], None]:
    """Answers each request the browser makes with the app, as `client` (signed in);
    redirects are followed here (Chromium would not route the request they lead to)."""

    def answer(route: object) -> None:
        request = route.request
        path = request.url.removeprefix(ORIGIN)
        response = client.open(
            path, method=request.method, data=request.post_data_buffer, follow_redirects=True
        )
        route.fulfill(
            status=response.status_code,
            headers=dict(response.headers),
            body=response.get_data(),
        )

    return answer


def _one_of_each_kind(app: Flask, client: FlaskClient, world: dict, who: str) -> list[str]:
    seen: dict[str, list[str]] = {}
    for _page in crawl(app, client, starts(world, who), seen):
        pass
    return [paths[0] for paths in seen.values()]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_kind_passes_axe_core(
    app: Flask,
    make_user: Callable[..., User],
    outbox: Callable[[], list],
    lmtp: int,
    browser: object,
    width: int,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    world = fill_world(app, make_user, locale="en")
    send(lmtp, email("stranger@example.net", "مرحبا", "نص"), to=f"c5@{DOMAIN}")
    assert outbox(), "mail delivered, for the admin's pages of mail"
    axe = Axe()
    found, visited = [], 0
    for who in WHO:
        client = client_of(app, world["people"].get(who), language="en")
        paths = _one_of_each_kind(app, client, world, who)
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="en")
        context.set_default_timeout(10_000)
        context.route("**/*", _answer_with(client))
        page = context.new_page()
        try:
            for path in paths:
                page.goto(ORIGIN + path)
                visited += 1
                found += [
                    f"{who} {path}: {violation['id']} ({violation['impact']}): "
                    f"{violation['help']}: "
                    + " | ".join(
                        f"{node['html'][:160]} ({node.get('failureSummary', '')[:300]})"
                        for node in violation["nodes"][:3]
                    )
                    for violation in axe.run(page, options=AXE_OPTIONS).response["violations"]
                ]
        finally:
            context.close()
    assert visited > 60, visited
    assert found == [], f"{len(found)} violations on {visited} pages:\n" + "\n".join(found)
