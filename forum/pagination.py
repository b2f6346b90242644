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


def requested_page() -> int:
    """The ?page= number; anything but a positive number is a 404, not a 500."""
    value = request.args.get("page", "1")
    if not value.isdigit() or int(value) < 1 or len(value) > 9:
        abort(404)
    return int(value)


def page_of(total: int, per_page: int) -> Page:
    page = Page(requested_page(), per_page, total)
    if page.number > page.pages:
        abort(404)
    return page
