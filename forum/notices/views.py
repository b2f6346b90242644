"""A person's notices from the forum."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug import Response

from forum.accounts.forms import ActionForm
from forum.extensions import db
from forum.notices import services

bp = Blueprint("notices", __name__)


@bp.get("/notices")
@login_required
def notice_list() -> str:
    return render_template(
        "notices/list.html",
        notices=services.recent_notices(current_user),
        describe=services.describe_html,
        link_for=services.link_for,
        form=ActionForm(formdata=None),
    )


@bp.post("/notices/read")
@login_required
def read_all() -> Response:
    if ActionForm().validate_on_submit():
        services.mark_all_read(current_user)
        db.session.commit()
    return redirect(url_for("notices.notice_list"))
