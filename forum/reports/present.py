"""The facts of a report as pages show them: labelled rows with shares, in the reader's
language, and the overall report's figures limited to the boards its reader may read."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from forum.accounts.models import STAKEHOLDER_GROUP_LABELS, StakeholderGroup
from forum.boards.models import Board
from forum.extensions import db
from forum.i18n import country_names
from forum.mail.models import MAIL_MODE_LABELS, MailMode
from forum.moderation.models import LOG_ACTION_LABELS, LogAction
from forum.permissions import Viewer, can_read_board
from forum.regions import area_name
from forum.stocktaking.models import STATUS_LABELS, EntryStatus


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    count: int
    # The fraction of the whole (of the people taking part), where one means something.
    share: float | None = None


@dataclass
class Figures:
    threads: int = 0
    posts: int = 0
    participants: int = 0
    groups: list[Row] = field(default_factory=list)
    regions: list[Row] = field(default_factory=list)
    countries: list[Row] = field(default_factory=list)
    months: list[Row] = field(default_factory=list)
    top_threads: list[dict[str, Any]] = field(default_factory=list)
    acts: list[Row] = field(default_factory=list)
    email: list[Row] = field(default_factory=list)
    email_people: int = 0
    # Stocktaking entries: new, updated and completed in the period; by status at its end.
    entries_new: int = 0
    entries_updated: int = 0
    entries_completed: int = 0
    entry_statuses: list[Row] = field(default_factory=list)


@dataclass
class OverallLine:
    """One action line's published report as the overall report shows it."""

    board: Board
    report_id: int
    period_start: date
    period_end: date
    figures: Figures
    summary_html: str


def _month_label(key: str) -> str:
    year, month = key.split("-")
    return format_date(date(int(year), int(month), 1), "MMM y")


def _shares(counts: dict[str, int], total: int, label_of: Any) -> list[Row]:
    rows = [
        Row(key, label_of(key), count, count / total if total else None)
        for key, count in counts.items()
        if count
    ]
    return sorted(rows, key=lambda row: (-row.count, row.label))


def figures_of(facts: dict[str, Any]) -> Figures:
    """The facts of one board (or their sums) as labelled rows."""
    activity = facts.get("activity", {})
    people = facts.get("participants", {})
    total = people.get("total", 0)
    names = country_names()
    not_given = _("Not given")
    groups = people.get("groups", {})
    # Reports published before the stocktaking was counted have no such section.
    entries = facts.get("stocktaking", {})
    statuses = entries.get("by_status", {})
    return Figures(
        threads=activity.get("threads", 0),
        posts=activity.get("posts", 0),
        participants=total,
        groups=[
            Row(
                group.value,
                str(STAKEHOLDER_GROUP_LABELS[group]),
                groups.get(group.value, 0),
                groups.get(group.value, 0) / total if total else None,
            )
            for group in StakeholderGroup
        ],
        regions=_shares(
            people.get("regions", {}), total, lambda key: area_name(key) if key else not_given
        ),
        countries=_shares(
            people.get("countries", {}), total, lambda key: names.get(key, key) or not_given
        ),
        months=[Row(key, _month_label(key), count) for key, count in activity.get("months", [])],
        top_threads=facts.get("top_threads", {}).get("threads", []),
        acts=_shares(
            facts.get("moderation", {}).get("acts", {}),
            0,
            lambda key: str(LOG_ACTION_LABELS.get(LogAction(key), key)),
        ),
        email=[
            Row(
                mode.value,
                str(MAIL_MODE_LABELS[mode]),
                facts.get("email", {}).get("modes", {}).get(mode.value, 0),
            )
            for mode in MailMode
            if mode != MailMode.OFF
        ],
        email_people=facts.get("email", {}).get("people", 0),
        entries_new=entries.get("new", 0),
        entries_updated=entries.get("updated", 0),
        entries_completed=entries.get("completed", 0),
        entry_statuses=[
            Row(status.value, str(STATUS_LABELS[status]), statuses.get(status.value, 0))
            for status in EntryStatus
        ],
    )


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for key, count in counts.items():
        into[key] = into.get(key, 0) + count


def sum_facts(all_facts: list[dict[str, Any]]) -> dict[str, Any]:
    """The facts of several boards added up. People who took part on several boards are
    counted once for each, and so are stocktaking entries serving several action lines:
    the sum of the reports, not a count of distinct people or entries."""
    months: dict[str, int] = {}
    groups: dict[str, int] = {}
    countries: dict[str, int] = {}
    regions: dict[str, int] = {}
    acts: dict[str, int] = {}
    modes: dict[str, int] = {}
    entries = {"new": 0, "updated": 0, "completed": 0}
    statuses: dict[str, int] = {}
    threads = posts = total = people = 0
    top: list[dict[str, Any]] = []
    for facts in all_facts:
        threads += facts["activity"]["threads"]
        posts += facts["activity"]["posts"]
        _add(months, dict(facts["activity"]["months"]))
        total += facts["participants"]["total"]
        _add(groups, facts["participants"]["groups"])
        _add(countries, facts["participants"]["countries"])
        _add(regions, facts["participants"]["regions"])
        top.extend(facts["top_threads"]["threads"])
        _add(acts, facts["moderation"]["acts"])
        _add(modes, facts["email"]["modes"])
        people += facts["email"]["people"]
        stocktaking = facts.get("stocktaking", {})
        for key in entries:
            entries[key] += stocktaking.get(key, 0)
        _add(statuses, stocktaking.get("by_status", {}))
    return {
        "activity": {"threads": threads, "posts": posts, "months": sorted(months.items())},
        "participants": {
            "total": total,
            "groups": groups,
            "countries": countries,
            "regions": regions,
        },
        "top_threads": {"threads": sorted(top, key=lambda t: (-t["posts"], t["id"]))[:5]},
        "moderation": {"acts": acts},
        "email": {"modes": modes, "people": people},
        "stocktaking": {**entries, "by_status": statuses},
    }


def overall_lines(facts: dict[str, Any], reader: Viewer) -> tuple[list[OverallLine], Figures]:
    """The action lines' reports that the overall report gathered, only those whose board
    the reader may read, and the sums of those alone: a private board's figures reach
    nobody who cannot read the board, neither on its own line nor in a total. An
    e-application's report is not added to the sums beside C7's, which covers it."""
    entries = facts.get("reports", [])
    boards = {
        board.id: board
        for board in db.session.scalars(
            select(Board).where(Board.id.in_([entry["board_id"] for entry in entries]))
        )
    }
    line_facts = {entry["report_id"]: entry["facts"] for entry in entries}
    lines = [
        OverallLine(
            board=boards[entry["board_id"]],
            report_id=entry["report_id"],
            period_start=date.fromisoformat(entry["period_start"]),
            period_end=date.fromisoformat(entry["period_end"]),
            figures=figures_of(entry["facts"]),
            summary_html=entry["summary_html"],
        )
        for entry in entries
        if entry["board_id"] in boards and can_read_board(reader, boards[entry["board_id"]])
    ]
    # C7's report covers its e-applications: theirs are shown beside it, not added again.
    parents = {line.board.id for line in lines}
    totals = sum_facts(
        [line_facts[line.report_id] for line in lines if line.board.parent_id not in parents]
    )
    return lines, figures_of(totals)
