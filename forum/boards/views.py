"""The home page and board pages."""

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user

from forum.accounts.forms import ActionForm
from forum.boards import queries
from forum.boards.access import board_or_404
from forum.boards.models import Board, BoardKind, Role
from forum.mail.forms import board_mail_form
from forum.mail.subscriptions import board_mode
from forum.meetings.queries import board_upcoming as board_meetings
from forum.pagecache import cached
from forum.pagination import Page, page_of
from forum.reads import queries as reads

bp = Blueprint("boards", __name__)

# Who a board page lists: every board its coordinators; bureaus and the coordinators'
# meeting their members too.
_LISTED_ROLES = {
    BoardKind.ACTION_LINE: {Role.COORDINATOR},
    BoardKind.BUREAU: {Role.COORDINATOR, Role.MEMBER},
    BoardKind.COORDINATION: {Role.COORDINATOR, Role.MEMBER},
}


@bp.get("/")
def home() -> Response:
    return cached(queries.last_change(current_user), _render_home)


def _render_home() -> str:
    sections = queries.home_sections(current_user)
    board_ids = [board.id for listing in sections for board in listing.boards]
    return render_template(
        "boards/home.html",
        sections=sections,
        unread=reads.unread_board_ids(current_user, board_ids),
    )


@bp.get("/latest")
def latest() -> Response:
    """New and active threads of every board the reader may read, across the forum."""
    newest = request.args.get("order") == "new"
    page = page_of(
        queries.latest_thread_total(current_user), current_app.config["THREADS_PER_PAGE"]
    )
    return cached(queries.last_change(current_user), lambda: _render_latest(newest, page))


def _render_latest(newest: bool, page: Page) -> str:
    threads = queries.latest_threads(
        current_user, newest=newest, page=page.number, per_page=page.per_page
    )
    return render_template(
        "boards/latest.html",
        threads=threads,
        newest=newest,
        page=page,
        unread=reads.unread_thread_ids(current_user, threads),
    )


@bp.get("/b/<slug>")
def board(slug: str) -> Response:
    board = board_or_404(slug)
    total = board.thread_count + (board.listed_elsewhere or 0)
    page = page_of(total, current_app.config["THREADS_PER_PAGE"])
    return cached(board.changed_at, lambda: _render_board(board, page))


def _render_board(board: Board, page: Page) -> str:
    threads = queries.board_threads(board, page=page.number, per_page=page.per_page)
    return render_template(
        "boards/board.html",
        board=board,
        threads=threads,
        unread=reads.unread_thread_ids(current_user, threads),
        read_form=ActionForm(formdata=None, prefix="read")
        if current_user.is_authenticated
        else None,
        page=page,
        meetings=board_meetings(board),
        children=queries.child_boards(board, current_user),
        team=[role for role in queries.team(board) if role.role in _LISTED_ROLES[board.kind]],
        mail_form=board_mail_form(board_mode(current_user, board))
        if current_user.is_authenticated
        else None,
    )
