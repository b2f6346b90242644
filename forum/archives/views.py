"""Month-by-month archives, Atom feeds and mbox downloads."""

from datetime import datetime

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import format_date
from flask_login import AnonymousUserMixin, current_user

from forum.archives import formats, queries
from forum.boards.access import board_or_404
from forum.boards.models import Board
from forum.boards.queries import board_by_slug
from forum.db import utcnow
from forum.meetings.queries import in_month as meetings_in_month
from forum.permissions import Action, can, require
from forum.posts.models import Post, Thread
from forum.posts.queries import thread_with_board

bp = Blueprint("archives", __name__)

ATOM_TYPE = "application/atom+xml; charset=utf-8"
MBOX_TYPE = "application/mbox"


def _public_board(slug: str) -> Board:
    """Feeds are read by programs without an account: public boards only."""
    board = board_by_slug(slug) or abort(404)
    if not can(AnonymousUserMixin(), Action.READ_BOARD, board):
        abort(404)
    return board


def _valid_month(year: int, month: int) -> None:
    if not (1 <= month <= 12 and 1990 <= year <= 9999):
        abort(404)


@bp.get("/b/<slug>/archive")
def board_archive(slug: str) -> str:
    board = board_or_404(slug)
    by_year: dict[int, list[queries.Month]] = {}
    for month in queries.months(board):
        by_year.setdefault(month.year, []).append(month)
    return render_template(
        "archives/board.html", board=board, years=by_year,
        month_name=lambda year, month: format_date(datetime(year, month, 1), "MMMM"),
    )  # fmt: skip


@bp.get("/b/<slug>/archive/<int:year>/<int:month>")
def month_archive(slug: str, year: int, month: int) -> str:
    board = board_or_404(slug)
    _valid_month(year, month)
    threads = queries.threads_in_month(board, year, month)
    meetings = meetings_in_month(board, *queries.month_bounds(year, month))
    if not threads and not meetings:
        abort(404)
    return render_template(
        "archives/month.html", board=board, year=year, month=month, threads=threads,
        meetings=meetings, first_day=datetime(year, month, 1),
    )  # fmt: skip


def _download(data: bytes, name: str) -> Response:
    response = Response(data, mimetype=MBOX_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/b/<slug>/archive/<int:year>/<int:month>.mbox")
def month_mbox(slug: str, year: int, month: int) -> Response:
    board = board_or_404(slug)
    _valid_month(year, month)
    posts = queries.posts_in_month(board, year, month)
    if not posts:
        abort(404)
    return _download(formats.mbox(posts, code=board.code), f"{board.slug}-{year}-{month:02}.mbox")


def _readable_thread(thread_id: int) -> Thread:
    thread = thread_with_board(thread_id) or abort(404)
    require(current_user, Action.READ_THREAD, thread)
    return thread


@bp.get("/t/<int:thread_id>.mbox")
def thread_mbox(thread_id: int) -> Response:
    thread = _readable_thread(thread_id)
    posts = queries.thread_posts(thread)
    return _download(formats.mbox(posts, code=thread.board.code), f"thread-{thread.id}.mbox")


def _entries(posts: list[Post]) -> list[dict]:
    return [
        {
            "id": url_for("posts.permalink", post_id=post.id, _external=True),
            "title": post.thread.title,
            "link": url_for("posts.permalink", post_id=post.id, _external=True),
            "updated": post.edited_at or post.created_at,
            "published": post.created_at,
            "author": post.author.display_name,
            "html": post.body_html,
        }
        for post in posts
    ]


def _feed(title: str, link: str, entries: list[dict]) -> Response:
    updated = max((entry["updated"] for entry in entries), default=utcnow())
    self_link = request.base_url
    body = formats.atom_feed(
        feed_id=self_link, title=title, link=link, self_link=self_link, entries=entries,
        updated=updated,
    )  # fmt: skip
    return Response(body, mimetype="application/atom+xml", content_type=ATOM_TYPE)


@bp.get("/posts.atom")
def site_feed() -> Response:
    home = url_for("boards.home", _external=True)
    return _feed(current_app.config["SITE_NAME"], home, _entries(queries.public_posts()))


@bp.get("/b/<slug>/posts.atom")
def board_posts_feed(slug: str) -> Response:
    board = _public_board(slug)
    link = url_for("boards.board", slug=board.slug, _external=True)
    return _feed(board.label, link, _entries(queries.public_posts(board=board)))


@bp.get("/b/<slug>/threads.atom")
def board_threads_feed(slug: str) -> Response:
    board = _public_board(slug)
    posts = queries.opening_posts(board)
    link = url_for("boards.board", slug=board.slug, _external=True)
    return _feed(board.label, link, _entries(posts))


@bp.get("/t/<int:thread_id>.atom")
def thread_feed(thread_id: int) -> Response:
    thread = thread_with_board(thread_id) or abort(404)
    if not can(AnonymousUserMixin(), Action.READ_THREAD, thread):
        abort(404)
    link = url_for("posts.thread", thread_id=thread.id, _external=True)
    return _feed(thread.title, link, _entries(queries.public_posts(thread=thread)))
