"""Moderation tools for a whole thread: lock, pin, rename, move, split, merge, delete."""

from collections.abc import Callable
from functools import partial

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from forum.boards.models import Board
from forum.extensions import db
from forum.forms import options
from forum.moderation import queries, services
from forum.moderation.forms import (
    MergeForm,
    MoveForm,
    ReasonForm,
    RenameForm,
    SplitForm,
)
from forum.moderation.views import bp, expired, perform_act
from forum.pagination import as_id
from forum.permissions import Action, can, require
from forum.posts.models import Thread
from forum.posts.queries import thread_posts, thread_with_board


def _board_options(excluding: Board | None = None) -> list[SelectChoice]:
    """The boards the moderator moderates, as choices of a form."""
    boards = queries.moderated_boards(current_user)
    return options((board.id, board.label) for board in boards if board is not excluding)


def _thread_for_moderation(thread_id: int) -> Thread:
    thread = thread_with_board(thread_id) or abort(404)
    require(current_user, Action.READ_THREAD, thread)
    require(current_user, Action.MODERATE_THREAD, thread)
    return thread


@bp.get("/t/<int:thread_id>/moderate")
@login_required
def thread_tools(thread_id: int) -> str:
    thread = _thread_for_moderation(thread_id)
    return _render_thread_tools(thread)


def _render_thread_tools(thread: Thread, **forms: object) -> str:
    move = forms.pop("move_form", None) or MoveForm(formdata=None)
    move.board.choices = _board_options(excluding=thread.board)
    return render_template(
        "moderation/thread.html",
        thread=thread,
        posts=thread_posts(thread, current_user, page=1, per_page=200),
        form=ReasonForm(formdata=None),
        rename_form=forms.get("rename_form")
        or RenameForm(formdata=None, data={"title": thread.title}),
        move_form=move,
        split_form=forms.get("split_form") or SplitForm(formdata=None),
        merge_form=forms.get("merge_form") or MergeForm(formdata=None),
    )


def _split(thread: Thread, form: SplitForm) -> object:
    ids = {number for value in request.form.getlist("post") if (number := as_id(value))}
    posts = [post for post in queries.posts_by_ids(ids) if post.thread_id == thread.id]
    return services.split_thread(
        thread, current_user, posts=posts, title=form.title.data, reason=form.reason.data or ""
    )


def _merge(thread: Thread, form: MergeForm) -> None:
    target = thread_with_board(form.target.data)
    if target is None or not can(current_user, Action.READ_THREAD, target):
        raise services.ModerationError(_("There is no thread with that number."))
    services.merge_threads(thread, target, current_user, reason=form.reason.data or "")


def _move(thread: Thread, form: MoveForm) -> None:
    target = db.session.get(Board, form.board.data) or abort(404)
    services.move_thread(thread, current_user, target=target, reason=form.reason.data or "")


_THREAD_FORMS = {"rename": RenameForm, "move": MoveForm, "split": SplitForm, "merge": MergeForm}


def _thread_acts(
    thread: Thread, form: FlaskForm, reason: str
) -> dict[str, tuple[Callable[[], object], str]]:
    """What each thread action does, and what the moderator is told when it is done."""
    user = current_user
    return {
        "lock": (
            partial(services.set_locked, thread, user, locked=True, reason=reason),
            _("The thread is locked."),
        ),
        "unlock": (
            partial(services.set_locked, thread, user, locked=False, reason=reason),
            _("The thread is unlocked."),
        ),
        "pin": (
            partial(services.set_pinned, thread, user, pinned=True),
            _("The thread is pinned."),
        ),
        "unpin": (
            partial(services.set_pinned, thread, user, pinned=False),
            _("The thread is unpinned."),
        ),
        "rename": (
            lambda: services.rename_thread(thread, user, title=form.title.data, reason=reason),
            _("The thread is renamed."),
        ),
        "move": (partial(_move, thread, form), _("The thread is moved.")),
        "delete": (
            partial(services.delete_thread, thread, user, reason=reason),
            _("The thread is deleted."),
        ),
        "restore": (partial(services.restore_thread, thread, user), _("The thread is restored.")),
        "split": (partial(_split, thread, form), _("The replies are in a new thread.")),
        "merge": (partial(_merge, thread, form), _("The threads are merged.")),
    }


@bp.post("/t/<int:thread_id>/moderate")
@login_required
def act_on_thread(thread_id: int) -> object:
    thread = _thread_for_moderation(thread_id)
    action = request.form.get("action", "")
    form = _THREAD_FORMS.get(action, ReasonForm)()
    if action == "move":
        form.board.choices = _board_options(excluding=thread.board)
    acts = _thread_acts(thread, form, request.form.get("reason", ""))
    if action not in acts or not form.validate_on_submit():
        if form.is_submitted() and action in _THREAD_FORMS:
            return _render_thread_tools(thread, **{f"{action}_form": form}), 400
        expired()
        return redirect(url_for("moderation.thread_tools", thread_id=thread.id))
    run, success = acts[action]
    if perform_act(run, success) and action in {"delete", "merge"}:
        return redirect(url_for("boards.board", slug=thread.board.slug))
    return redirect(url_for("posts.thread", thread_id=thread.id))


# Boards: settings, team, log ----------------------------------------------------------
