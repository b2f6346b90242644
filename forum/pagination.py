"""Page numbers from the query string, and the figures a pager needs."""

from dataclasses import dataclass

from flask import abort, request


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


def requested_page() -> int:
    """The ?page= number; anything but a positive number is a 404, not a 500."""
    page = as_id(request.args.get("page", "1"))
    if page is None:
        abort(404)
    return page


def page_of(total: int, per_page: int) -> Page:
    page = Page(requested_page(), per_page, total)
    if page.number > page.pages:
        abort(404)
    return page
