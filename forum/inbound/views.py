"""Confirming, from the link mailed to its sender, a message that could not be
authenticated. The signed link is the authority: no sign-in is needed."""

from flask import Blueprint, flash, render_template
from flask_babel import gettext as _

from forum.accounts.forms import ActionForm
from forum.extensions import db
from forum.inbound import confirmations
from forum.inbound.models import InboundMessage

bp = Blueprint("inbound", __name__)


def _page(token: str, record: InboundMessage | None, *, error: str = "", done: bool = False) -> str:
    return render_template(
        "inbound/confirm.html",
        token=token,
        record=record,
        error=error,
        done=done,
        form=ActionForm(),
    )


def _invalid(token: str) -> tuple[str, int]:
    error = _("This link is not valid. Check that you copied all of it.")
    return _page(token, None, error=error), 404


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
