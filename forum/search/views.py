"""The search page."""

from datetime import UTC, datetime, time

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from forum.accounts.models import STAKEHOLDER_GROUP_LABELS, StakeholderGroup
from forum.boards.models import Board, Section
from forum.extensions import db
from forum.pagination import as_id, page_of, requested_page
from forum.permissions import readable_boards_clause
from forum.search import services
from forum.search.backend import Query
from forum.stocktaking import queries as stocktaking

# Stocktaking entries shown above the posts found: the first few, the rest on the
# stocktaking page's listing of the same words.
ENTRIES_SHOWN = 5

bp = Blueprint("search", __name__)

PER_PAGE = 20


def _int(name: str) -> int | None:
    return as_id(request.args.get(name))


def _date(name: str, errors: dict[str, str], *, end: bool = False) -> datetime | None:
    """The day given as `name`, from its first moment or to its last; one that is no date
    is left out of the search, with an error for its field."""
    written = request.args.get(name, "").strip()
    if not written:
        return None
    try:
        day = datetime.strptime(written, "%Y-%m-%d").date()
    except ValueError:
        errors[name] = _("This is not a date: write it as year-month-day, like 2025-07-31. "
                         "The search ran without it.")  # fmt: skip
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@bp.get("/search")
def search() -> str:
    notes: list[str] = []
    text = request.args.get("q", "").strip()
    limit = current_app.config["SEARCH_QUERY_MAX_LENGTH"]
    if len(text) > limit:
        text = text[:limit]
        notes.append(
            ngettext(
                "Your search was long; only its first %(num)d character was used.",
                "Your search was long; only its first %(num)d characters were used.",
                limit,
            )
        )
    boards = list(
        db.session.scalars(
            select(Board).where(readable_boards_clause(current_user)).order_by(Board.position)
        )
    )
    by_slug = {board.slug: board for board in boards}
    board = by_slug.get(request.args.get("board", ""))
    sections = list(db.session.scalars(select(Section).order_by(Section.position)))
    section = next((s for s in sections if s.slug == request.args.get("section")), None)
    group = request.args.get("group", "")
    context = {
        "q": text, "boards": boards, "board": board, "sections": sections, "section": section,
        "groups": STAKEHOLDER_GROUP_LABELS, "group": group, "notes": notes,
        "titles_only": request.args.get("titles") == "1",
        "newest": request.args.get("sort") == "newest",
        "date_from": request.args.get("from", ""), "date_to": request.args.get("to", ""),
        "author_id": _int("author"), "results": None, "posts": [], "page": None,
        "date_errors": {}, "entries": [], "more_entries": False,
    }  # fmt: skip
    date_from = _date("from", context["date_errors"])
    date_to = _date("to", context["date_errors"], end=True)
    context["filtered"] = bool(
        board or section or group or date_from or date_to or context["date_errors"]
        or context["titles_only"] or context["newest"]
    )  # fmt: skip
    if not text:
        return render_template("search/search.html", **context)
    page_number = requested_page()
    if page_number == 1:
        found = stocktaking.found_entries(current_user, text, ENTRIES_SHOWN)
        context.update(entries=found[:ENTRIES_SHOWN], more_entries=len(found) > ENTRIES_SHOWN)
    query = Query(
        text=text,
        hidden_board_ids=services.hidden_board_ids(current_user),
        reachable_thread_ids=services.reachable_thread_ids(current_user),
        board_id=board.id if board else None,
        listed_thread_ids=services.listed_thread_ids(board) if board else (),
        section_id=section.id if section else None,
        group=group if group in {g.value for g in StakeholderGroup} else None,
        author_id=context["author_id"],
        date_from=date_from,
        date_to=date_to,
        titles_only=context["titles_only"],
        newest_first=context["newest"],
        page=page_number,
        per_page=PER_PAGE,
    )
    results, posts = services.search(current_user, query)
    page = page_of(results.total, PER_PAGE)
    if results.fell_back_to_words:
        notes.append(_("The search could not be read as written, so its words were searched."))
    highlighter = services.backend().highlight
    context.update(
        results=results,
        posts=posts,
        snippets={
            p.id: highlighter(services.plain_text(p.body_html), results.terms, language=p.language)
            for p in posts
        },
        page=page,
    )
    return render_template("search/search.html", **context)
