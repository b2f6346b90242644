"""Moderation pages: the queue, flags, thread and post tools, board teams and settings,
and the public moderation log."""

from collections import Counter
from collections.abc import Callable
from functools import partial

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug import Response
from wtforms.fields.choices import SelectChoice

from forum.accounts.forms import ActionForm
from forum.accounts.models import StakeholderGroup, User
from forum.accounts.services import find_user_by_email
from forum.boards.models import Board, ModerationMode, OutsideMail, Role
from forum.boards.queries import board_by_slug
from forum.boards.queries import team as board_team
from forum.extensions import db
from forum.forms import options
from forum.inbound.queries import email_of, held_without_account
from forum.moderation import queries, services
from forum.moderation.forms import (
    BanForm,
    BoardSettingsForm,
    FlagForm,
    MemberForm,
    MergeForm,
    MoveForm,
    ReasonForm,
    RenameForm,
    SplitForm,
)
from forum.moderation.models import FlagOutcome, FlagReason
from forum.pagination import as_id, page_of
from forum.permissions import Action, can, require
from forum.posts.models import Post, Thread
from forum.posts.queries import post_with_thread, thread_posts, thread_with_board
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


def _expired() -> None:
    flash(_("The page had expired. Please try again."), "error")


def _board_or_404(slug: str, action: Action = Action.READ_BOARD) -> Board:
    board = board_by_slug(slug) or abort(404)
    require(current_user, Action.READ_BOARD, board)
    require(current_user, action, board)
    return board


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
    return _render_queue(_board_or_404(slug, Action.MODERATE_BOARD))


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
        _expired()
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
        flash(_("%(n)d posts handled.", n=outcome["done"]), "success")
    if outcome["handled"]:
        flash(
            _("%(n)d posts had already been handled by someone else.", n=outcome["handled"]), "info"
        )
    if problems:
        flash(
            _("%(n)d posts were left as they were: %(why)s", n=len(problems), why=problems[0]),
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
    require(current_user, Action.MODERATE_BOARD, post.thread.board)
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
        _expired()
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


def _board_options(excluding: Board | None = None) -> list[SelectChoice]:
    """The boards the moderator moderates, as choices of a form."""
    boards = queries.moderated_boards(current_user)
    return options((board.id, board.label) for board in boards if board is not excluding)


def _thread_for_moderation(thread_id: int) -> Thread:
    thread = thread_with_board(thread_id) or abort(404)
    require(current_user, Action.READ_THREAD, thread)
    require(current_user, Action.MODERATE_BOARD, thread.board)
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
        _expired()
        return redirect(url_for("moderation.thread_tools", thread_id=thread.id))
    run, success = acts[action]
    if perform_act(run, success) and action in {"delete", "merge"}:
        return redirect(url_for("boards.board", slug=thread.board.slug))
    return redirect(url_for("posts.thread", thread_id=thread.id))


# Boards: settings, team, log ----------------------------------------------------------


@bp.route("/b/<slug>/settings", methods=["GET", "POST"])
@login_required
def board_settings(slug: str) -> object:
    board = _board_or_404(slug, Action.MODERATE_BOARD)
    form = BoardSettingsForm(
        data={
            "mode": board.moderation_mode.value,
            "outside_mail": board.outside_mail.value,
            "mail_footer": board.mail_footer,
        }
    )
    if form.validate_on_submit():
        mode = ModerationMode(form.mode.data)
        outside_mail = OutsideMail(form.outside_mail.data)
        footer = form.mail_footer.data or ""

        def save() -> None:
            services.set_moderation_mode(board, current_user, mode, outside_mail=outside_mail)
            services.set_mail_footer(board, current_user, footer)

        if perform_act(save, _("Saved.")):
            return redirect(url_for("moderation.board_settings", slug=board.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("moderation/settings.html", board=board, form=form), status


def _render_team(board: Board, status: int = 200, **forms: object) -> tuple[str, int]:
    page = render_template(
        "moderation/team.html",
        board=board,
        team=board_team(board),
        member_form=forms.get("member_form") or MemberForm(formdata=None),
        ban_form=forms.get("ban_form") or BanForm(formdata=None),
        form=ActionForm(formdata=None),
    )
    return page, status


@bp.get("/b/<slug>/team")
@login_required
def team(slug: str) -> object:
    return _render_team(_board_or_404(slug, Action.MANAGE_MEMBERS))


@bp.post("/b/<slug>/team/add")
@login_required
def add_member(slug: str) -> object:
    board = _board_or_404(slug, Action.MANAGE_MEMBERS)
    form = MemberForm()
    if not form.validate_on_submit():
        return _render_team(board, 400, member_form=form)
    if grant_or_invite(form, board, Role.MEMBER):
        flash(_("Added to the team."), "success")
        return redirect(url_for("moderation.team", slug=board.slug))
    return _render_team(board, 400, member_form=form)


def grant_or_invite(form: MemberForm, board: Board, role: Role) -> bool:
    """Give the role asked for by a member or grant form, and commit; on a refusal, put
    the reason on the form (the input is kept) and return False."""
    try:
        services.grant_role_by_email(
            board,
            form.email.data,
            role,
            current_user,
            display_name=form.display_name.data or "",
            organisation=form.organisation.data or "",
            stakeholder_group=StakeholderGroup(form.stakeholder_group.data),
        )
    except services.InviteNeedsName as error:
        db.session.rollback()
        form.display_name.errors.append(str(error))
        return False
    except services.ModerationError as error:
        db.session.rollback()
        form.email.errors.append(str(error))
        return False
    db.session.commit()
    return True


def _person_or_404(user_id: int) -> User:
    return queries.user_by_id(user_id) or abort(404)


@bp.post("/b/<slug>/team/<int:user_id>/remove")
@login_required
def remove_member(slug: str, user_id: int) -> Response:
    board = _board_or_404(slug, Action.MANAGE_MEMBERS)
    if ActionForm().validate_on_submit():
        person = _person_or_404(user_id)
        perform_act(
            lambda: services.revoke_role(board, person, Role.MEMBER, current_user),
            _("Removed from the team."),
        )
    else:
        _expired()
    return redirect(url_for("moderation.team", slug=board.slug))


@bp.post("/b/<slug>/team/ban")
@login_required
def ban(slug: str) -> object:
    board = _board_or_404(slug, Action.MODERATE_BOARD)
    form = BanForm()
    if not form.validate_on_submit():
        return _render_team(board, 400, ban_form=form)
    person = find_user_by_email(form.email.data)
    if person is None:
        form.email.errors.append(_("No account uses this address."))
        return _render_team(board, 400, ban_form=form)
    perform_act(
        lambda: services.ban_from_board(person, board, current_user, reason=form.reason.data or ""),
        _("%(name)s can no longer post here.", name=person.display_name),
    )
    return redirect(url_for("moderation.team", slug=board.slug))


@bp.post("/b/<slug>/team/<int:user_id>/unban")
@login_required
def unban(slug: str, user_id: int) -> Response:
    board = _board_or_404(slug, Action.MODERATE_BOARD)
    if ActionForm().validate_on_submit():
        person = _person_or_404(user_id)
        perform_act(
            lambda: services.unban_from_board(person, board, current_user), _("The ban is lifted.")
        )
    else:
        _expired()
    return redirect(url_for("moderation.team", slug=board.slug))


@bp.get("/moderation-log")
def site_log() -> str:
    """Every act of moderation the reader may see: on readable boards, and on accounts."""
    total = queries.site_log_total(current_user)
    page = page_of(total, current_app.config["THREADS_PER_PAGE"])
    entries = queries.site_log(current_user, page=page.number, per_page=page.per_page)
    return render_template("moderation/log.html", board=None, entries=entries, page=page)


@bp.get("/b/<slug>/log")
def board_log(slug: str) -> str:
    board = _board_or_404(slug)
    page = page_of(queries.board_log_total(board), current_app.config["THREADS_PER_PAGE"])
    entries = queries.board_log(board, page=page.number, per_page=page.per_page)
    return render_template("moderation/log.html", board=board, entries=entries, page=page)
