"""Open data: the published stocktaking as CSV and JSON, filtered as the page is, and
the Atom feed of each action line's entries. The columns are documented in the README
and stay as they are; lists (action lines, countries, regions) are `; `-separated in
CSV and arrays in JSON."""

import csv
import io
import json
from datetime import datetime
from typing import Any

from flask import Response, abort, request, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from forum.archives.formats import atom_feed
from forum.boards.models import Board
from forum.db import utcnow
from forum.permissions import Action, Viewer, can, can_read_board
from forum.regions import placements
from forum.stocktaking import queries
from forum.stocktaking.models import Entry
from forum.stocktaking.services import is_stale
from forum.text import spreadsheet_cell

COLUMNS = (
    "id", "url", "title", "summary", "organisation", "stakeholder_group", "lead_country",
    "countries", "regions", "scope", "action_lines", "status", "start_date", "end_date",
    "website", "contact", "contact_email", "keywords", "published_at", "updated_at",
    "possibly_out_of_date",
)  # fmt: skip
FEED_SIZE = 50


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def record(viewer: Viewer, entry: Entry, now: datetime) -> dict[str, Any]:
    """One entry as open data: the action lines the viewer may read, its regions (UN
    M49), the contact address only where the submitter chose to show it."""
    regions = []
    for code in entry.country_codes:
        placement = placements().get(code)
        if placement is not None and placement.region not in regions:
            regions.append(placement.region)
    return {
        "id": entry.id,
        "url": url_for("stocktaking.entry", entry_id=entry.id, _external=True),
        "title": entry.title,
        "summary": entry.summary_source,
        "organisation": entry.organisation,
        "stakeholder_group": entry.stakeholder_group.value,
        "lead_country": entry.lead_country,
        "countries": entry.country_codes,
        "regions": regions,
        "scope": entry.scope.value,
        "action_lines": [b.code for b in entry.boards if can_read_board(viewer, b)],
        "status": entry.status.value,
        "start_date": entry.start_date.isoformat(),
        "end_date": entry.end_date.isoformat() if entry.end_date else None,
        "website": entry.website,
        "contact": entry.contact_name,
        "contact_email": entry.contact_email if entry.show_email else "",
        "keywords": entry.keyword_list,
        "published_at": _moment(entry.published_at),
        "updated_at": _moment(entry.updated_at),
        "possibly_out_of_date": is_stale(entry, now),
    }


def _records(viewer: Viewer, filters: queries.Filters) -> list[dict[str, Any]]:
    now = utcnow()
    return [record(viewer, entry, now) for entry in queries.listed_entries(viewer, filters)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return spreadsheet_cell("; ".join(str(item) for item in value))
    return spreadsheet_cell(value)


def _name(filters: queries.Filters, extension: str) -> str:
    prefix = f"{filters.board.slug}-" if filters.board else ""
    return f"{prefix}stocktaking-{utcnow():%Y-%m-%d}.{extension}"


def _attachment(response: Response, name: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_response(viewer: Viewer, filters: queries.Filters) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in _records(viewer, filters):
        writer.writerow([_cell(row[column]) for column in COLUMNS])
    # A byte-order mark, so that spreadsheets read the file as UTF-8.
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return _attachment(response, _name(filters, "csv"))


def json_response(viewer: Viewer, filters: queries.Filters) -> Response:
    body = {
        "source": url_for("stocktaking.index", _external=True),
        "filters": filters.args(),
        "generated_at": utcnow().isoformat(),
        "columns": list(COLUMNS),
        "entries": _records(viewer, filters),
    }
    response = Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json")
    return _attachment(response, _name(filters, "json"))


def atom_response(board: Board) -> Response:
    """The latest published entries serving a public board (feeds are read without an
    account)."""
    anonymous = AnonymousUserMixin()
    if not can(anonymous, Action.READ_BOARD, board):
        abort(404)
    filters = queries.Filters(board=board)
    entries = queries.listed_entries(anonymous, filters, per_page=FEED_SIZE)
    items = [
        {
            "id": url_for("stocktaking.entry", entry_id=entry.id, _external=True),
            "title": entry.title,
            "link": url_for("stocktaking.entry", entry_id=entry.id, _external=True),
            "updated": entry.updated_at,
            "published": entry.published_at or entry.created_at,
            "author": entry.organisation,
            "html": entry.summary_html,
        }
        for entry in entries
    ]
    body = atom_feed(
        feed_id=request.base_url, title=f"{board.label} · {_('Stocktaking')}",
        link=url_for("stocktaking.board_index", slug=board.slug, _external=True),
        self_link=request.base_url, entries=items,
        updated=max((item["updated"] for item in items), default=utcnow()),
    )  # fmt: skip
    return Response(body, content_type="application/atom+xml; charset=utf-8")
