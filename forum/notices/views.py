"""A person's notices from the forum."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug import Response

from forum.accounts.forms import ActionForm
from forum.extensions import db
from forum.notices import services
from forum.pagination import as_id, page_of

bp = Blueprint("notices", __name__)


@bp.get("/notices")
@login_required
def notice_list() -> str:
    page = page_of(services.notice_total(current_user), current_app.config["THREADS_PER_PAGE"])
    notices = services.recent_notices(current_user, page=page.number, per_page=page.per_page)
    return render_template(
        "notices/list.html",
        rows=services.shown(current_user, notices),
        page=page,
        form=ActionForm(formdata=None),
    )


@bp.post("/notices/read")
@login_required
def read_all() -> Response:
    """Marks every notice read, or with `open` (a notice's "See it" button) that one,
    and then leads where it points."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("notices.notice_list"))
    opened = as_id(request.form.get("open"))
    if opened is None:
        services.mark_all_read(current_user)
        db.session.commit()
        return redirect(url_for("notices.notice_list"))
    link = services.open_notice(current_user, opened)
    db.session.commit()
    return redirect(link or url_for("notices.notice_list"))
