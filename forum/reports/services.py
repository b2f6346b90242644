"""Drafting, publishing and correcting reports. Views, commands and the demo call these;
they check the rules, change state and flush, and never commit."""

import re
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_date, format_number
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from forum.accounts.models import User
from forum.boards.models import Board, BoardKind
from forum.db import utcnow
from forum.extensions import db
from forum.i18n import interface_languages
from forum.mail import link_for
from forum.markup import render_markdown
from forum.permissions import (
    Action,
    can,
    is_listed,
    readers_may_follow,
    readers_may_read_entry,
)
from forum.posts import services as posting
from forum.posts.models import Post, PostStatus, Thread
from forum.reports.facts import compile_facts
from forum.reports.models import Report, ReportRevision, ReportState, Section
from forum.stocktaking.models import Entry, EntryBoard

# The board whose meeting receives the reports, and whose own report is the overall one.
MEETING_BOARD = "COORD"
MAX_SECTION_LENGTH = 20_000
MAX_NOTE_LENGTH = 1_000
MAX_PERIOD_DAYS = 5 * 366
EARLIEST_YEAR = 2003


class ReportError(Exception):
    """A report that cannot be written or published as asked; the message is for the user."""


def meeting_board() -> Board | None:
    return db.session.scalars(select(Board).where(Board.code == MEETING_BOARD)).first()


def is_overall(report: Report) -> bool:
    """The coordinators' meeting's report gathers the action lines' reports."""
    return report.board.kind == BoardKind.COORDINATION


def check_period(start: date | None, end: date | None) -> None:
    """Refuse a period that cannot be reported on, saying why."""
    if start is None or end is None:
        raise ReportError(_("Give the first and the last day of the period."))
    if end < start:
        raise ReportError(_("The last day of the period is before its first day."))
    if start.year < EARLIEST_YEAR:
        raise ReportError(_("The period starts before the Summit (2003)."))
    if start > utcnow().date():
        raise ReportError(_("The period has not begun yet."))
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ReportError(_("A report covers five years at most."))


def covered_board_ids(board: Board) -> list[int]:
    """The board and its e-applications (C7's report covers theirs too), those of them
    that everyone who reads the board may read."""
    children = db.session.scalars(select(Board).where(Board.parent_id == board.id)).all()
    return [board.id, *(child.id for child in children if readers_may_follow(board, child))]


def start_report(board: Board, author: User, *, start: date, end: date) -> Report:
    if not can(author, Action.DRAFT_REPORT, board):
        raise ReportError(_("Only the coordinators of this board write its reports."))
    check_period(start, end)
    report = Report(board=board, period_start=start, period_end=end, created_by=author)
    db.session.add(report)
    db.session.flush()
    return report


def save_revision(report: Report, author: User, *, sections: dict[str, str]) -> ReportRevision:
    """A new revision of the draft's narrative, by `author`."""
    if not can(author, Action.EDIT_REPORT, report):
        raise ReportError(_("This report can no longer be edited."))
    kept = {key.value: (sections.get(key.value) or "").strip() for key in Section}
    if any(len(text) > MAX_SECTION_LENGTH for text in kept.values()):
        raise ReportError(
            _(
                "Each section holds %(max)s characters at most.",
                max=format_number(MAX_SECTION_LENGTH),
            )
        )
    revision = ReportRevision(
        report=report,
        author=author,
        sections=kept,
        sections_html={key: render_markdown(text) for key, text in kept.items() if text},
    )
    db.session.add(revision)
    db.session.flush()
    report.current_revision = revision
    return revision


def live_facts(report: Report) -> dict[str, Any]:
    """The facts as they stand now (a draft's), or as frozen (a published report's)."""
    if report.facts is not None:
        return report.facts
    if is_overall(report):
        return compile_overall(report.period_start, report.period_end)
    return compile_facts(covered_board_ids(report.board), report.period_start, report.period_end)


def compile_overall(start: date, end: date) -> dict[str, Any]:
    """The published action-line reports of the period (their latest versions), with their
    frozen facts and their summaries, for the overall report to set side by side."""
    reports = db.session.scalars(
        select(Report)
        .join(Board, Board.id == Report.board_id)
        .where(
            Board.kind == BoardKind.ACTION_LINE,
            Report.state == ReportState.PUBLISHED,
            Report.corrected_by_id.is_(None),
            Report.period_start >= start,
            Report.period_end <= end,
        )
        .options(selectinload(Report.current_revision))
        .order_by(Board.section_id, Board.position, Report.period_start, Report.id)
    ).all()
    return {
        "overall": True,
        "reports": [
            {
                "report_id": report.id,
                "board_id": report.board_id,
                "period_start": report.period_start.isoformat(),
                "period_end": report.period_end.isoformat(),
                "facts": report.facts,
                "summary_html": (
                    report.current_revision.sections_html.get(Section.SUMMARY, "")
                    if report.current_revision
                    else ""
                ),
            }
            for report in reports
        ],
        "compiled_at": utcnow().isoformat(),
    }


_CITATION = r"(?<![\w./:-])(?:{base})?/(t|p|stocktaking)/([0-9]{{1,18}})(?![\w/])"


def references_in(report: Report, sections: dict[str, str]) -> list[dict[str, Any]]:
    """The threads, posts and stocktaking entries of this forum that the narrative links
    to, in the order first cited: threads and posts listed and published, on boards whose
    readers include the report's; entries published and serving such a board."""
    base = re.escape(current_app.config["BASE_URL"].rstrip("/"))
    cited: list[tuple[str, int]] = []
    for text in sections.values():
        for kind, number in re.findall(_CITATION.format(base=base), text or ""):
            if (kind, int(number)) not in cited:
                cited.append((kind, int(number)))
    if not cited:
        return []
    posts = {
        post.id: post
        for post in db.session.scalars(
            select(Post)
            .where(Post.id.in_([n for kind, n in cited if kind == "p"]))
            .options(selectinload(Post.thread).selectinload(Thread.board))
        )
    }
    thread_ids = [n for kind, n in cited if kind == "t"]
    threads = {
        thread.id: thread
        for thread in db.session.scalars(
            select(Thread).where(Thread.id.in_(thread_ids)).options(selectinload(Thread.board))
        )
    }
    entries = _cited_entries([n for kind, n in cited if kind == "stocktaking"])
    found = []
    for kind, number in cited:
        if kind == "stocktaking":
            entry = entries.get(number)
            if entry is not None and readers_may_read_entry(report.board, entry):
                found.append({"kind": "entry", "id": number, "title": entry.title})
            continue
        post = posts.get(number) if kind == "p" else None
        thread = post.thread if post is not None else threads.get(number)
        if kind == "p" and (post is None or post.status != PostStatus.PUBLISHED):
            continue
        if thread is None or not is_listed(thread):
            continue
        if not readers_may_follow(report.board, thread.board):
            continue
        found.append(
            {"kind": "post" if post else "thread", "id": number, "thread_id": thread.id,
             "title": thread.title}
        )  # fmt: skip
    return found


def _cited_entries(entry_ids: list[int]) -> dict[int, Entry]:
    if not entry_ids:
        return {}
    query = (
        select(Entry)
        .where(Entry.id.in_(entry_ids))
        .options(selectinload(Entry.lines).joinedload(EntryBoard.board))
    )
    return {entry.id: entry for entry in db.session.scalars(query)}


def publish_report(report: Report, publisher: User) -> Thread:
    """Publish the draft: its facts and references frozen, the report it corrects marked
    as replaced, and a thread on the Meeting of the coordinators board that submits it."""
    if not can(publisher, Action.PUBLISH_REPORT, report):
        raise ReportError(_("This report can no longer be published."))
    revision = report.current_revision
    if revision is None or not revision.sections.get(Section.SUMMARY):
        raise ReportError(_("Write the summary before publishing the report."))
    meeting = meeting_board()
    if meeting is None or not can(publisher, Action.START_THREAD, meeting):
        raise ReportError(
            _("Publishing submits the report to the Meeting of the coordinators: only "
              "someone who may start threads there can publish it.")
        )  # fmt: skip
    # Compare and set: of two coordinators publishing at once, one publishes.
    taken = db.session.execute(
        update(Report)
        .where(Report.id == report.id, Report.state == ReportState.DRAFT)
        .values(state=ReportState.PUBLISHED)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ReportError(_("This report can no longer be published."))
    report.facts = live_facts(report)
    report.references = references_in(report, revision.sections)
    report.state = ReportState.PUBLISHED
    report.published_at = utcnow()
    report.published_by = publisher
    if report.corrects is not None:
        report.corrects.corrected_by = report
    db.session.flush()
    return _submit(report, meeting, publisher)


def _submit(report: Report, meeting: Board, publisher: User) -> Thread:
    """The thread that submits the report, in its publisher's language. It quotes the
    summary only where everyone who reads the meeting's board may read the report."""
    language = publisher.locale if publisher.locale in interface_languages() else "en"
    shared = readers_may_follow(meeting, report.board)
    with force_locale(language):
        label = report.board.label_in(language)
        period = period_label(report.period_start, report.period_end)
        if report.corrects is not None:
            title = _("Report of %(board)s, %(period)s (version %(version)s)",
                      board=label, period=period, version=report.version)  # fmt: skip
        else:
            title = _("Report of %(board)s, %(period)s", board=label, period=period)
        body = "\n\n".join(
            part
            for part in (
                _(
                    "The report is published: %(link)s",
                    link=link_for("reports.report", report_id=report.id),
                ),
                report.correction_note if shared else "",
                report.current_revision.sections.get(Section.SUMMARY, "") if shared else "",
            )
            if part
        )
    thread = posting.create_thread(
        meeting,
        publisher,
        title=title[:200],
        body=body,
        language=language if language in current_app.config["LANGUAGES"] else "en",
    )
    report.thread = thread
    db.session.flush()
    return thread


def start_correction(report: Report, author: User, *, note: str) -> Report:
    """A new draft version of a published report, starting from its text; the note says
    what it corrects. A correction already being drafted is returned as it is."""
    if not can(author, Action.CORRECT_REPORT, report):
        raise ReportError(_("This report cannot be corrected: a later version replaces it."))
    note = note.strip()
    if not note:
        raise ReportError(_("Say what the correction changes."))
    if len(note) > MAX_NOTE_LENGTH:
        raise ReportError(
            _("The note holds %(max)s characters at most.", max=format_number(MAX_NOTE_LENGTH))
        )
    drafted = db.session.scalars(
        select(Report).where(Report.corrects_id == report.id, Report.state == ReportState.DRAFT)
    ).first()
    if drafted is not None:
        return drafted
    correction = Report(
        board=report.board,
        period_start=report.period_start,
        period_end=report.period_end,
        version=report.version + 1,
        corrects=report,
        correction_note=note,
        created_by=author,
    )
    db.session.add(correction)
    db.session.flush()
    if report.current_revision is not None:
        save_revision(correction, author, sections=dict(report.current_revision.sections))
    return correction


def period_label(start: date, end: date) -> str:
    """ "Q3 2026", "2026", or the two dates, in the current language."""
    if start.month == 1 and start.day == 1 and end == date(start.year, 12, 31):
        return str(start.year)
    quarter = (start.month - 1) // 3
    if start.day == 1 and start.month == quarter * 3 + 1 and end == _quarter_end(start):
        return _("Q%(quarter)s %(year)s", quarter=quarter + 1, year=start.year)
    return _("%(start)s to %(end)s", start=format_date(start, "medium"),
             end=format_date(end, "medium"))  # fmt: skip


def _quarter_end(start: date) -> date:
    month = start.month + 3
    following = date(start.year + month // 13, (month - 1) % 12 + 1, 1)
    return following - timedelta(days=1)


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    return start, _quarter_end(start)


def last_quarter(today: date) -> tuple[date, date]:
    """The last quarter that has ended."""
    quarter = (today.month - 1) // 3
    return quarter_bounds(today.year, quarter) if quarter else quarter_bounds(today.year - 1, 4)
