"""A report's figures as CSV, one row a figure, safe to open in a spreadsheet."""

import csv
import io
from collections.abc import Iterator

from flask_babel import gettext as _

from forum.reports.present import Figures, OverallLine
from forum.text import spreadsheet_cell


def _rows(figures: Figures, scope: str) -> Iterator[list[object]]:
    yield [scope, "threads", "", _("Threads started"), figures.threads, ""]
    yield [scope, "posts", "", _("Posts written"), figures.posts, ""]
    yield [scope, "participants", "", _("Participants"), figures.participants, ""]
    yield [scope, "entries_new", "", _("New entries"), figures.entries_new, ""]
    yield [scope, "entries_updated", "", _("Entries updated"), figures.entries_updated, ""]
    yield [scope, "entries_completed", "", _("Activities completed"), figures.entries_completed,
           ""]  # fmt: skip
    sections = [
        ("stakeholder_group", figures.groups),
        ("region", figures.regions),
        ("country", figures.countries),
        ("month", figures.months),
        ("moderation", figures.acts),
        ("email", figures.email),
        ("entry_status", figures.entry_statuses),
    ]
    for section, rows in sections:
        for row in rows:
            share = "" if row.share is None else f"{row.share:.4f}"
            yield [scope, section, row.key, row.label, row.count, share]
    for thread in figures.top_threads:
        yield [scope, "thread", thread["id"], thread["title"], thread["posts"], ""]


def figures_csv(figures: Figures, lines: list[OverallLine] | None = None) -> str:
    """Columns: scope (the report, or one action line's code in the overall report),
    section, key, label, count, share."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scope", "section", "key", "label", "count", "share"])
    for row in _rows(figures, "report"):
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    for line in lines or []:
        for row in _rows(line.figures, line.board.code):
            writer.writerow([spreadsheet_cell(cell) for cell in row])
    return out.getvalue()
