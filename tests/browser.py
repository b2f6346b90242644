"""Debian's Chromium, headless, driven by Playwright: the browser the browser tests share
(a plugin of tests/conftest.py). Chromium or Playwright missing, a test that asks for
the browser is skipped (FORUM_REQUIRE_BROWSER=1 makes that a failure)."""

import os
import shutil
from collections.abc import Iterator
from typing import NoReturn

import pytest
from werkzeug.serving import WSGIRequestHandler

CHROMIUM = os.environ.get("FORUM_CHROMIUM", "/usr/bin/chromium")
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
