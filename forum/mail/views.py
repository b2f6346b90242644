"""Following boards and threads by email, the email settings page, and unsubscribing."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from forum.boards.access import board_or_404
from forum.boards.models import Board
from forum.extensions import db
from forum.inbound import bounces
from forum.mail import queries, subscriptions
from forum.mail.forms import (
    BoardMailForm,
    ThreadMailForm,
    board_field_name,
    chosen_modes,
    settings_form,
)
from forum.mail.models import DigestForm, MailFormat, MailMode, WatchMode
from forum.pagination import page_of
from forum.permissions import Action, readable_boards_clause, require
from forum.posts.queries import thread_with_board

bp = Blueprint("mail", __name__)

_SETTINGS_FIELDS = (
    "digest_hour", "digest_weekday", "replies", "mentions", "notices", "own_posts", "paused",
)  # fmt: skip


def _readable_boards() -> list[Board]:
    return list(
        db.session.scalars(
            select(Board)
            .join(Board.section)
            .where(readable_boards_clause(current_user))
            .order_by(Board.section_id, Board.position, Board.id)
        )
    )


@bp.get("/settings/mail")
@login_required
def preferences() -> str:
    boards = _readable_boards()
    settings = subscriptions.current_settings(current_user)
    modes = subscriptions.board_modes(current_user)
    data = {name: getattr(settings, name) for name in _SETTINGS_FIELDS}
    data["format"] = settings.format.value
    data["digest_form"] = settings.digest_form.value
    data |= {board_field_name(b): modes.get(b.id, MailMode.OFF).value for b in boards}
    form = settings_form(boards, formdata=None, data=data)
    return render_template("mail_settings/preferences.html", form=form, boards=boards)


@bp.post("/settings/mail")
@login_required
def save_preferences() -> object:
    boards = _readable_boards()
    form = settings_form(boards)
    if not form.validate_on_submit():
        page = render_template("mail_settings/preferences.html", form=form, boards=boards)
        return page, 400
    settings = subscriptions.settings_of(current_user)
    for name in _SETTINGS_FIELDS:
        setattr(settings, name, form[name].data)
    settings.format = MailFormat(form.format.data)
    settings.digest_form = DigestForm(form.digest_form.data)
    subscriptions.set_board_modes(current_user, chosen_modes(form, boards))
    db.session.commit()
    flash(_("Your email settings are saved."), "success")
    return redirect(url_for("mail.preferences"))


@bp.post("/b/<slug>/mail")
@login_required
def board_mail(slug: str) -> object:
    board = board_or_404(slug)
    form = BoardMailForm(prefix="mail")
    if not form.validate_on_submit():
        flash(_("Choose how to follow this board, then save."), "error")
        return redirect(url_for("boards.board", slug=slug))
    mode = MailMode(form.mode.data)
    subscriptions.set_board_mode(current_user, board, mode)
    db.session.commit()
    flash(_("%(board)s: %(mode)s.", board=board.label, mode=mode.label), "success")
    return redirect(url_for("boards.board", slug=slug))


@bp.post("/t/<int:thread_id>/mail")
@login_required
def thread_mail(thread_id: int) -> object:
    thread = thread_with_board(thread_id) or abort(404)
    require(current_user, Action.READ_THREAD, thread)
    form = ThreadMailForm(prefix="mail")
    if not form.validate_on_submit():
        flash(_("Choose how to follow this thread, then save."), "error")
        return redirect(url_for("posts.thread", thread_id=thread_id))
    mode = None if form.mode.data == "normal" else WatchMode(form.mode.data)
    subscriptions.set_watch_mode(current_user, thread, mode)
    db.session.commit()
    messages = {
        WatchMode.WATCH: _("You watch this thread: every post comes by email."),
        WatchMode.MUTE: _("This thread is muted: nothing from it comes by email."),
        None: _("This thread follows your setting for its board."),
    }
    flash(messages[mode], "success")
    return redirect(url_for("posts.thread", thread_id=thread_id))


@bp.get("/b/<slug>/subscribers")
@login_required
def subscribers(slug: str) -> str:
    """The board's roster, for its coordinators: names and how they follow, no addresses."""
    board = board_or_404(slug, Action.VIEW_SUBSCRIBERS)
    page = page_of(queries.follower_total(board), current_app.config["THREADS_PER_PAGE"])
    rows = queries.followers(board, page=page.number, per_page=page.per_page)
    return render_template("mail_settings/subscribers.html", board=board, rows=rows, page=page)


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> object:
    """Asks, and changes nothing: mail scanners follow links, and `curl -I` sends HEAD.
    The button POSTs to `unsubscribe_now`."""
    valid = subscriptions.read_unsubscribe_token(token) is not None
    return _unsubscribe_page(token, valid=valid), 200 if valid else 400


@bp.post("/unsubscribe/<token>")
def unsubscribe_now(token: str) -> object:
    """From the page's button or a mail client's one-click request (RFC 8058), with no
    session or CSRF token: the signed token is the authority, and it can only stop what
    it names."""
    try:
        done = subscriptions.unsubscribe(token)
    except subscriptions.SubscriptionError as error:
        return _unsubscribe_page(token, valid=False, error=str(error)), 400
    db.session.commit()
    return _unsubscribe_page(token, valid=True, done=done)


def _unsubscribe_page(token: str, *, valid: bool, done: str = "", error: str = "") -> str:
    return render_template(
        "mail_settings/unsubscribe.html", token=token, valid=valid, done=done, error=error
    )


@bp.get("/mail/confirm-address/<token>")
def confirm_address(token: str) -> str:
    """After bounces paused someone's mail: a button that starts it again, for the
    address the link was sent to. Following the link (GET or HEAD) changes nothing."""
    return render_template("mail_settings/confirm_address.html", token=token, done=False)


@bp.post("/mail/confirm-address/<token>")
def confirm_address_now(token: str) -> object:
    user = bounces.confirm_address(token)
    if user is None:
        flash(_("This link is not valid any more."), "error")
        return render_template("mail_settings/confirm_address.html", token=token, done=False), 400
    db.session.commit()
    return render_template("mail_settings/confirm_address.html", token=token, done=True)
