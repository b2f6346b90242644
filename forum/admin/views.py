"""The admin area: people and their roles, accreditation, suspensions, deleted content,
the whole moderation log and outgoing mail."""

from datetime import UTC, datetime, time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug import Response

from forum.accounts.forms import ActionForm
from forum.accounts.models import User
from forum.accounts.services import find_user_by_email
from forum.admin import queries
from forum.boards.models import Board, Role
from forum.extensions import db
from forum.forms import options
from forum.inbound import bounces
from forum.inbound import queries as inbound_queries
from forum.inbound.models import InboundMessage
from forum.mail import delivery
from forum.mail import queries as mail_queries
from forum.moderation import queries as moderation_queries
from forum.moderation import services
from forum.moderation.forms import GrantForm, SuspendForm
from forum.moderation.team_views import grant_or_invite
from forum.moderation.views import perform_act
from forum.permissions import Action, require
from forum.worker import heartbeat

bp = Blueprint("admin", __name__, url_prefix="/admin")

# A delivered message's HTML shown as it is: no scripts, no requests, only inline styles.
SANDBOXED_MAIL = "sandbox; default-src 'none'; style-src 'unsafe-inline'"


@bp.before_request
@login_required
def _admins_only() -> None:
    require(current_user, Action.ADMINISTER)


def _grant_form(*, submitted: bool = False, **data: object) -> GrantForm:
    form = GrantForm() if submitted else GrantForm(formdata=None, data=data)
    form.board.choices = options(
        (board.id, board.label) for board in moderation_queries.moderated_boards(current_user)
    )
    return form


def _render_index(grant_form: GrantForm, *, people: list[User], text: str = "") -> str:
    return render_template(
        "admin/index.html",
        stall=heartbeat.stall_warning(),
        people=people,
        q=text,
        grant_form=grant_form,
    )


@bp.get("/")
def index() -> str:
    text = request.args.get("q", "")[:200]
    return _render_index(_grant_form(), people=queries.find_people(text), text=text)


@bp.post("/grant")
def grant() -> object:
    """Give a role to an account, inviting the address when it has none; a refusal comes
    back on the admin page with what was typed."""
    form = _grant_form(submitted=True)
    if not form.validate_on_submit():
        return _render_index(form, people=[]), 400
    board = db.session.get(Board, form.board.data) or abort(404)
    if not grant_or_invite(form, board, Role(form.role.data)):
        return _render_index(form, people=[]), 400
    flash(_("The role is granted."), "success")
    person = find_user_by_email(form.email.data)
    return redirect(
        url_for("admin.person", user_id=person.id) if person else url_for("admin.index")
    )


def _person_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.get("/people/<int:user_id>")
def person(user_id: int) -> str:
    person = _person_or_404(user_id)
    return render_template(
        "admin/person.html",
        person=person,
        grant_form=_grant_form(email=person.email),
        suspend_form=SuspendForm(formdata=None),
        form=ActionForm(formdata=None),
    )


@bp.post("/people/<int:user_id>/revoke/<int:board_id>/<role>")
def revoke(user_id: int, board_id: int, role: str) -> Response:
    person = _person_or_404(user_id)
    board = db.session.get(Board, board_id) or abort(404)
    if role not in {Role.MEMBER, Role.COORDINATOR} or not ActionForm().validate_on_submit():
        abort(400)
    perform_act(
        lambda: services.revoke_role(board, person, Role(role), current_user),
        _("The role is revoked."),
    )
    return redirect(url_for("admin.person", user_id=person.id))


@bp.post("/people/<int:user_id>/accreditation")
def accreditation(user_id: int) -> Response:
    person = _person_or_404(user_id)
    if ActionForm().validate_on_submit():
        value = request.form.get("accredited") == "1"
        perform_act(
            lambda: services.set_accredited(person, current_user, accredited=value), _("Saved.")
        )
    return redirect(url_for("admin.person", user_id=person.id))


@bp.post("/people/<int:user_id>/suspend")
def suspend(user_id: int) -> object:
    person = _person_or_404(user_id)
    form = SuspendForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/person.html",
            person=person,
            grant_form=_grant_form(email=person.email),
            suspend_form=form,
            form=ActionForm(formdata=None),
        ), 400
    until = datetime.combine(form.until.data, time.min, tzinfo=UTC) if form.until.data else None
    perform_act(
        lambda: services.suspend_user(
            person, current_user, reason=form.reason.data or "", until=until
        ),
        _("The account is suspended."),
    )
    return redirect(url_for("admin.person", user_id=person.id))


@bp.post("/people/<int:user_id>/unsuspend")
def unsuspend(user_id: int) -> Response:
    person = _person_or_404(user_id)
    if ActionForm().validate_on_submit():
        perform_act(
            lambda: services.unsuspend_user(person, current_user), _("The suspension is lifted.")
        )
    return redirect(url_for("admin.person", user_id=person.id))


@bp.get("/deleted")
def deleted() -> str:
    return render_template(
        "admin/deleted.html",
        threads=queries.deleted_threads(),
        posts=queries.deleted_posts(),
        form=ActionForm(formdata=None),
    )


@bp.get("/mail")
def outgoing_mail() -> str:
    return render_template(
        "admin/mail.html",
        stall=heartbeat.stall_warning(),
        workers=heartbeat.workers(),
        counts=mail_queries.outbox_counts(),
        problems=mail_queries.problems(),
        delivered=mail_queries.delivered() if not current_app.config["MAIL_SERVER"] else None,
        form=ActionForm(formdata=None),
    )


@bp.post("/mail/retry")
def retry_mail() -> Response:
    if ActionForm().validate_on_submit():
        count = delivery.retry_now()
        flash(
            ngettext(
                "%(num)d message will be tried again at once.",
                "%(num)d messages will be tried again at once.",
                count,
            ),
            "success",
        )
    return redirect(url_for("admin.outgoing_mail"))


@bp.get("/mail/<key>")
def delivered_message(key: str) -> str:
    found = mail_queries.read_delivered(key) or abort(404)
    return render_template("admin/mail_message.html", delivered=found)


@bp.get("/mail/<key>/html")
def delivered_html(key: str) -> Response:
    """The HTML part as a page of its own, sandboxed: it runs nothing, loads nothing."""
    found = mail_queries.read_delivered(key) or abort(404)
    if found.html is None:
        abort(404)
    response = Response(found.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    )
    return response


@bp.get("/mail/received")
def received_mail() -> str:
    return render_template(
        "admin/received.html",
        messages=inbound_queries.recent_messages(),
        awaiting=inbound_queries.awaiting_confirmation(),
        bouncing=bounces.bouncing_people(),
    )


@bp.get("/mail/received/<int:message_id>")
def received_message(message_id: int) -> str:
    message = db.session.get(InboundMessage, message_id) or abort(404)
    raw = message.raw[:200_000].decode("utf-8", errors="replace")
    return render_template("admin/received_message.html", message=message, raw=raw)
