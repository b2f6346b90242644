"""Moderation pages: the queue, flags, post tools and the public moderation log, with
what the blueprint's other pages share (thread tools in `thread_views`, a board's
settings and team in `team_views`)."""

from collections import Counter
from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug import Response

from forum.boards.access import board_or_404
from forum.boards.models import Board
from forum.extensions import db
from forum.inbound.queries import email_of, held_without_account
from forum.moderation import queries, services
from forum.moderation.forms import (
    FlagForm,
    ReasonForm,
)
from forum.moderation.models import FlagOutcome, FlagReason
from forum.pagination import as_id, page_of
from forum.permissions import Action, can, require
from forum.posts.models import Post
from forum.posts.queries import post_with_thread
from forum.ratelimit import hit
from forum.web import safe_next_url

bp = Blueprint("moderation", __name__)


def perform_act(act: Callable[[], object], success: str) -> bool:
    """Run one moderation act and commit it, telling the moderator how it went."""
    try:
        act()
    except services.AlreadyHandled as error:
        db.session.rollback()
        flash(str(error), "info")
        return False
    except services.ModerationError as error:
        db.session.rollback()
        flash(str(error), "error")
        return False
    db.session.commit()
    flash(success, "success")
    return True


def _back(default: str) -> Response:
    return redirect(safe_next_url(request.form.get("next"), default))


def expired() -> None:
    flash(_("The page had expired. Please try again."), "error")


def _post_or_404(post_id: int) -> Post:
    post = post_with_thread(post_id) or abort(404)
    require(current_user, Action.READ_POST, post)
    return post


# The queue ----------------------------------------------------------------------------


def _render_queue(board: Board | None) -> str:
    held = queries.held_posts(current_user, board)
    flagged = queries.flagged_posts(current_user, board)
    return render_template(
        "moderation/queue.html",
        board=board,
        held=held,
        flagged=flagged,
        flags=queries.open_flags_by_post(flagged),
        held_mail=held_without_account(current_user, board),
        form=ReasonForm(formdata=None),
    )


@bp.get("/queue")
@login_required
def queue() -> str:
    if not queries.moderated_boards(current_user):
        abort(403)
    return _render_queue(None)


@bp.get("/b/<slug>/queue")
@login_required
def board_queue(slug: str) -> str:
    return _render_queue(board_or_404(slug, Action.MODERATE_BOARD))


_QUEUE_ACTS: dict[str, Callable[[Post, str], None]] = {
    "approve": lambda post, _reason: services.approve_post(post, current_user),
    "approve_trust": lambda post, _reason: services.approve_post(post, current_user, trust=True),
    "reject": lambda post, reason: services.reject_post(post, current_user, reason=reason),
}


@bp.post("/queue")
@login_required
def act_on_queue() -> Response:
    """Approve or reject one or many held posts; every post is checked on its own."""
    form = ReasonForm()
    act = _QUEUE_ACTS.get(request.form.get("action", ""))
    ids = {number for value in request.form.getlist("post") if (number := as_id(value))}
    if not form.validate_on_submit() or act is None:
        expired()
        return _back(url_for("moderation.queue"))
    outcome: Counter[str] = Counter()
    problems: list[str] = []
    for post in queries.posts_by_ids(ids):
        try:
            with db.session.begin_nested():
                act(post, form.reason.data or "")
            outcome["done"] += 1
        except services.AlreadyHandled:
            outcome["handled"] += 1
        except services.ModerationError as error:
            outcome["refused"] += 1
            problems.append(str(error))
    db.session.commit()
    _flash_outcome(outcome, problems, asked=len(ids))
    return _back(url_for("moderation.queue"))


def _flash_outcome(outcome: Counter[str], problems: list[str], asked: int) -> None:
    if outcome["done"]:
        flash(
            ngettext("%(num)d post handled.", "%(num)d posts handled.", outcome["done"]),
            "success",
        )
    if outcome["handled"]:
        flash(
            ngettext(
                "%(num)d post had already been handled by someone else.",
                "%(num)d posts had already been handled by someone else.",
                outcome["handled"],
            ),
            "info",
        )
    if problems:
        flash(
            ngettext(
                "%(num)d post was left as it was: %(why)s",
                "%(num)d posts were left as they were: %(why)s",
                len(problems),
                why=problems[0],
            ),
            "error",
        )
    if not asked:
        flash(_("Tick the posts to act on."), "error")


# Posts --------------------------------------------------------------------------------


@bp.route("/p/<int:post_id>/flag", methods=["GET", "POST"])
@login_required
def flag(post_id: int) -> object:
    post = _post_or_404(post_id)
    if not can(current_user, Action.FLAG_POST, post):
        abort(403)
    form = FlagForm()
    if form.validate_on_submit():
        if hit("FLAG_LIMIT", str(current_user.id)):
            flash(_("You have flagged many posts recently. Please wait a while."), "error")
            return render_template("moderation/flag.html", post=post, form=form), 429
        done = perform_act(
            lambda: services.flag_post(
                post, current_user, reason=FlagReason(form.reason.data), text=form.text.data or ""
            ),
            _("Thank you. The coordinators of this board will review the post."),
        )
        if done:
            return redirect(url_for("posts.permalink", post_id=post.id))
    status = 400 if form.is_submitted() else 200
    return render_template("moderation/flag.html", post=post, form=form), status


@bp.get("/p/<int:post_id>/moderate")
@login_required
def post_tools(post_id: int) -> str:
    post = _post_or_404(post_id)
    require(current_user, Action.MODERATE_THREAD, post.thread)
    flags = queries.open_flags_by_post([post]).get(post.id, [])
    return render_template(
        "moderation/post.html",
        post=post,
        flags=flags,
        form=ReasonForm(formdata=None),
        email=email_of(post),
    )


_POST_ACTS: dict[str, tuple[Callable[[Post, str], None], str]] = {
    "hide": (lambda p, r: services.hide_post(p, current_user, reason=r), "The post is hidden."),
    "unhide": (
        lambda p, r: services.unhide_post(p, current_user, reason=r),
        "The post is visible again.",
    ),
    "delete": (
        lambda p, r: services.delete_post(p, current_user, reason=r),
        "The post is deleted.",
    ),
    "restore": (lambda p, _r: services.restore_post(p, current_user), "The post is restored."),
    "keep": (
        lambda p, r: services.resolve_flags(p, current_user, outcome=FlagOutcome.KEPT, reason=r),
        "The flags are dismissed and the post kept.",
    ),
    "flags_hide": (
        lambda p, r: services.resolve_flags(p, current_user, outcome=FlagOutcome.HIDDEN, reason=r),
        "The flags are resolved and the post hidden.",
    ),
    "flags_delete": (
        lambda p, r: services.resolve_flags(p, current_user, outcome=FlagOutcome.DELETED, reason=r),
        "The flags are resolved and the post deleted.",
    ),
}


@bp.post("/p/<int:post_id>/moderate")
@login_required
def act_on_post(post_id: int) -> Response:
    post = _post_or_404(post_id)
    form = ReasonForm()
    act = _POST_ACTS.get(request.form.get("action", ""))
    if not form.validate_on_submit() or act is None:
        expired()
    else:
        run, success = act
        perform_act(lambda: run(post, form.reason.data or ""), _(success))
    return _back(_after_post_act(post))


def _after_post_act(post: Post) -> str:
    """Where to go after acting on a post: the post, unless the moderator can no longer
    see it (deleted), then its thread, or its board when the thread went with it."""
    db.session.expire(post)
    if can(current_user, Action.READ_POST, post):
        return url_for("posts.permalink", post_id=post.id)
    if can(current_user, Action.READ_THREAD, post.thread):
        return url_for("posts.thread", thread_id=post.thread_id)
    return url_for("boards.board", slug=post.thread.board.slug)


# Threads ------------------------------------------------------------------------------


@bp.get("/moderation-log")
def site_log() -> str:
    """Every act of moderation the reader may see: on readable boards, and on accounts."""
    total = queries.site_log_total(current_user)
    page = page_of(total, current_app.config["THREADS_PER_PAGE"])
    entries = queries.site_log(current_user, page=page.number, per_page=page.per_page)
    return render_template("moderation/log.html", board=None, entries=entries, page=page)


@bp.get("/b/<slug>/log")
def board_log(slug: str) -> str:
    board = board_or_404(slug)
    page = page_of(queries.board_log_total(board), current_app.config["THREADS_PER_PAGE"])
    entries = queries.board_log(board, page=page.number, per_page=page.per_page)
    return render_template("moderation/log.html", board=board, entries=entries, page=page)


# The other pages of the blueprint, registered on it when imported.
from forum.moderation import team_views, thread_views  # noqa: E402, F401
