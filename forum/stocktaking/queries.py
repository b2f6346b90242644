"""Finding entries: the filtered listings (pages, feeds, exports), search, one entry with
what its page shows, its history, and a person's own entries. Listings filter with
`listed_entries_clause`, the permission rule as SQL."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from forum.accounts.models import StakeholderGroup, User
from forum.boards.models import Board
from forum.extensions import db
from forum.i18n import country_names
from forum.permissions import (
    Viewer,
    account_of,
    listed_entries_clause,
    reviewable_entries_clause,
    same_organisation,
)
from forum.regions import AREA_NAMES, countries_in
from forum.stocktaking.models import (
    Entry,
    EntryBoard,
    EntryCountry,
    EntryRevision,
    EntryStatus,
    ReviewState,
)

# The filters people may give, by the names of the query string.
FILTER_NAMES = ("q", "status", "country", "region", "group", "year")
WORDS_MAX = 10


@dataclass
class Filters:
    """What a listing is narrowed to; every value checked (errors say what was left out)."""

    q: str = ""
    status: str = ""
    country: str = ""
    region: str = ""
    group: str = ""
    year: int | None = None
    board: Board | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def args(self) -> dict[str, str]:
        """The filters as the query string gives them, for links to other pages and
        formats of the same listing."""
        values = {"q": self.q, "status": self.status, "country": self.country,
                  "region": self.region, "group": self.group,
                  "year": str(self.year) if self.year else ""}  # fmt: skip
        return {name: value for name, value in values.items() if value}

    @property
    def any(self) -> bool:
        return bool(self.args() or self.errors)


def read_filters(args: dict[str, str], board: Board | None = None) -> Filters:
    """The filters from a query string; a value that names nothing is left out, with an
    error for its field."""
    filters = Filters(q=args.get("q", "").strip()[:200], board=board)
    status = args.get("status", "")
    if status in {s.value for s in EntryStatus}:
        filters.status = status
    elif status:
        filters.errors["status"] = _("Choose a status from the list.")
    country = args.get("country", "").strip().upper()
    if country in country_names():
        filters.country = country
    elif country:
        filters.errors["country"] = _("Unknown country code: %(codes)s. Use two-letter ISO "
                                      "codes (KE).", codes=country[:10])  # fmt: skip
    region = args.get("region", "")
    if region in AREA_NAMES:
        filters.region = region
    elif region:
        filters.errors["region"] = _("Choose a region from the list.")
    group = args.get("group", "")
    if group in {g.value for g in StakeholderGroup}:
        filters.group = group
    elif group:
        filters.errors["group"] = _("Choose a stakeholder group from the list.")
    year = args.get("year", "").strip()
    if year.isascii() and year.isdigit() and 1990 <= int(year) <= 2100:
        filters.year = int(year)
    elif year:
        filters.errors["year"] = _("Write the year with four digits, like 2025.")
    return filters


def _filtered(query: Select, filters: Filters) -> Select:
    if filters.board is not None:
        query = query.where(
            Entry.id.in_(select(EntryBoard.entry_id).where(EntryBoard.board_id == filters.board.id))
        )
    if filters.status:
        query = query.where(Entry.status == filters.status)
    if filters.group:
        query = query.where(Entry.stakeholder_group == filters.group)
    if filters.country:
        query = query.where(
            Entry.id.in_(
                select(EntryCountry.entry_id).where(EntryCountry.country == filters.country)
            )
        )
    if filters.region:
        codes = countries_in(filters.region)
        query = query.where(
            Entry.id.in_(select(EntryCountry.entry_id).where(EntryCountry.country.in_(codes)))
        )
    if filters.year:
        query = query.where(
            Entry.start_date <= date(filters.year, 12, 31),
            Entry.end_date.is_(None) | (Entry.end_date >= date(filters.year, 1, 1)),
        )
    for word in filters.q.split()[:WORDS_MAX]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(*(column.ilike(pattern, escape="\\") for column in
                  (Entry.title, Entry.summary_source, Entry.organisation, Entry.keywords)))
        )  # fmt: skip
    return query


def _with_parts(query: Select) -> Select:
    return query.options(
        selectinload(Entry.lines).joinedload(EntryBoard.board), selectinload(Entry.countries)
    )


def listed_total(viewer: Viewer, filters: Filters) -> int:
    query = _filtered(select(func.count(Entry.id)).where(listed_entries_clause(viewer)), filters)
    return db.session.scalar(query) or 0


def listed_entries(
    viewer: Viewer, filters: Filters, *, page: int = 1, per_page: int | None = None
) -> list[Entry]:
    """Published entries the viewer may read, latest updated first; every one when no
    page size is given (exports)."""
    query = _filtered(select(Entry).where(listed_entries_clause(viewer)), filters)
    query = _with_parts(query).order_by(Entry.updated_at.desc(), Entry.id.desc())
    if per_page is not None:
        query = query.limit(per_page).offset((page - 1) * per_page)
    return list(db.session.scalars(query))


def found_entries(viewer: Viewer, words: str, limit: int) -> list[Entry]:
    """For the search page: up to `limit` + 1 entries with every word (one more than
    shown says that there are more), newest first, in one query."""
    query = _filtered(select(Entry).where(listed_entries_clause(viewer)), Filters(q=words))
    query = query.order_by(Entry.updated_at.desc(), Entry.id.desc()).limit(limit + 1)
    return list(db.session.scalars(query))


def entry_with_parts(entry_id: int) -> Entry | None:
    query = _with_parts(select(Entry).where(Entry.id == entry_id)).options(
        joinedload(Entry.submitter), joinedload(Entry.thread)
    )
    return db.session.scalars(query).first()


def revisions(entry: Entry) -> list[EntryRevision]:
    """Every saved version, newest first, with who wrote it."""
    return list(
        db.session.scalars(
            select(EntryRevision)
            .where(EntryRevision.entry_id == entry.id)
            .options(joinedload(EntryRevision.written_by))
            .order_by(EntryRevision.number.desc(), EntryRevision.id.desc())
        )
    )


def boards_by_id(ids: set[int]) -> dict[int, Board]:
    if not ids:
        return {}
    return {board.id: board for board in db.session.scalars(select(Board).where(Board.id.in_(ids)))}


def own_entries(user: User) -> list[Entry]:
    """Entries the person submitted, and those colleagues of their organisation let them
    update, in any state."""
    colleagues = select(User.id).where(
        func.lower(func.trim(User.organisation)) == user.organisation.strip().lower()
    )
    query = select(Entry).where(
        (Entry.submitter_id == user.id)
        | (Entry.colleagues_may_edit.is_(True) & Entry.submitter_id.in_(colleagues)
           & (Entry.review_state != ReviewState.REJECTED) if user.organisation.strip() else False)
    )  # fmt: skip
    entries = db.session.scalars(
        _with_parts(query).options(joinedload(Entry.submitter)).order_by(Entry.updated_at.desc())
    )
    return [
        entry
        for entry in entries
        if entry.submitter_id == user.id
        or (entry.submitter and same_organisation(entry.submitter.organisation, user.organisation))
    ]


def waiting_for_review(viewer: Viewer) -> list[Entry]:
    if account_of(viewer) is None:
        return []
    query = select(Entry).where(reviewable_entries_clause(viewer)).order_by(Entry.updated_at)
    return list(db.session.scalars(_with_parts(query).options(joinedload(Entry.submitter))))
