"""Page numbers from the query string, and the figures a pager needs.

Each page has one address: the first page's has no `?page=`, and a page number that
names no page (`0`, `-1`, `abc`, one past the last) is sent on to the nearest page that
exists, by a temporary redirect (a page past the last may exist tomorrow).
"""

from dataclasses import dataclass

from flask import abort, redirect, request, url_for


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


MAX_ID = 2**31 - 1


def as_id(value: str | None) -> int | None:
    """A positive whole number written in ASCII digits, small enough for any id column;
    None for anything else ("²", "-1", "99999999999999999999")."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def _nearest_asked() -> int:
    """The page asked for, as the nearest number a page could have: a number too large
    for any page is the last page; anything else that is not a page number the first."""
    asked = request.args.get("page")
    if asked is None:
        return 1
    number = as_id(asked)
    if number is None:
        return MAX_ID if asked.isascii() and asked.isdigit() and int(asked) > 0 else 1
    return number


def _go_to(number: int) -> None:
    """Redirects to the page's own address unless the request is for it already."""
    if request.args.get("page") == (None if number == 1 else str(number)):
        return
    args = request.args.copy()
    args.poplist("page")
    if number > 1:
        args["page"] = str(number)
    values = {**(request.view_args or {}), **args.to_dict(flat=False)}
    abort(redirect(url_for(request.endpoint or "", **values)))


def requested_page() -> int:
    """The ?page= number, before the number of pages is known (`page_of` then sends a
    number past the last page on): one that is no number is sent on to the first page."""
    number = _nearest_asked()
    if number == 1:
        _go_to(1)
    return number


def page_of(total: int, per_page: int) -> Page:
    """The page asked for, of `total` items; any other number is sent on to the nearest
    page that exists."""
    last = Page(1, per_page, total).pages
    page = Page(min(_nearest_asked(), last), per_page, total)
    _go_to(page.number)
    return page
