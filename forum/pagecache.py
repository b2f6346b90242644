"""Rendered pages for anonymous readers, kept in each worker's memory.

Most readers of the public record are not signed in, and their pages are the same for
all of them. A page is kept under its address, language and time zone, and a content
version that the view reads from the database anyway (a thread's or board's
`changed_at`), so a change shows at once. A short lifetime bounds what the version does
not cover, such as an author's new display name. Signed-in readers, and anyone with a
message waiting to be flashed, always get a freshly rendered page.
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user


class PageCache:
    def __init__(self, max_entries: int, seconds: float) -> None:
        self.max_entries = max_entries
        self.seconds = seconds
        self._pages: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()

    def get(self, key: Hashable) -> str | None:
        entry = self._pages.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        self._pages.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, page: str) -> None:
        self._pages[key] = (time.monotonic() + self.seconds, page)
        self._pages.move_to_end(key)
        while len(self._pages) > self.max_entries:
            self._pages.popitem(last=False)

    def clear(self) -> None:
        self._pages.clear()


def init_app(app: object) -> None:
    app.extensions["page_cache"] = PageCache(  # type: ignore[attr-defined]
        app.config["PAGE_CACHE_ENTRIES"],
        app.config["PAGE_CACHE_SECONDS"],  # type: ignore[attr-defined]
    )


def _cacheable() -> bool:
    return (
        current_app.config["PAGE_CACHE_SECONDS"] > 0
        and request.method == "GET"
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def cached(version: Hashable, render: Callable[[], str]) -> str:
    """The page `render` makes, served from the cache for anonymous readers."""
    if not _cacheable():
        return render()
    cache: PageCache = current_app.extensions["page_cache"]
    key = (request.full_path, str(get_locale()), str(get_timezone()), version)
    page = cache.get(key)
    if page is None:
        page = render()
        cache.put(key, page)
    return page
