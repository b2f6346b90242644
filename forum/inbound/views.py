"""Confirming, from the link mailed to its sender, a message that could not be
authenticated (the signed link is the authority: no sign-in is needed); and the
coordinators' decision on mail held from addresses with no account."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug import Response

from forum.accounts.forms import ActionForm
from forum.extensions import db
from forum.inbound import confirmations, outside
from forum.inbound.models import InboundMessage
from forum.moderation import services as moderation
from forum.permissions import Action, require
from forum.web import safe_next_url

bp = Blueprint("inbound", __name__)


def _page(token: str, record: InboundMessage | None, *, error: str = "", done: bool = False) -> str:
    return render_template(
        "inbound/confirm.html",
        question=confirmations.what_is_asked(record) if record else _("Post this message?"),
        token=token,
        record=record,
        error=error,
        done=done,
        form=ActionForm(),
    )


def _invalid(token: str) -> tuple[str, int]:
    error = _("This link is not valid. Check that you copied all of it.")
    return _page(token, None, error=error), 404


@bp.post("/queue/mail/<int:message_id>")
@login_required
def act_on_held_mail(message_id: int) -> Response:
    """Accept or discard mail from an address with no account, held for a board."""
    record = db.session.get(InboundMessage, message_id) or abort(404)
    if record.board is None:
        abort(404)
    require(current_user, Action.MODERATE_BOARD, record.board)
    act = {"accept": outside.accept, "discard": outside.discard}.get(request.form.get("action"))
    if act is None or not ActionForm().validate_on_submit():
        flash(_("The page had expired. Please try again."), "error")
        return redirect(url_for("moderation.queue"))
    try:
        act(record, current_user)
    except moderation.ModerationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Accepted: the message is posted.") if request.form["action"] == "accept"
              else _("Discarded."), "success")  # fmt: skip
    return redirect(safe_next_url(request.form.get("next"), url_for("moderation.queue")))


@bp.get("/mail/confirm-post/<token>")
def confirm(token: str) -> object:
    """The message and a button: a GET never writes, and mail scanners follow links."""
    record = confirmations.read_token(token)
    if record is None:
        return _invalid(token)
    return _page(token, record, error=confirmations.why_not(record))


@bp.post("/mail/confirm-post/<token>")
def confirm_post(token: str) -> object:
    record = confirmations.read_token(token)
    if record is None:
        return _invalid(token)
    if not ActionForm().validate_on_submit():
        flash(_("The page had expired. Press the button again."), "error")
        return _page(token, record), 400
    try:
        confirmations.confirm(record)
    except confirmations.ConfirmationError as error:
        return _page(token, record, error=str(error)), 409
    db.session.commit()
    return _page(token, record, done=True)
