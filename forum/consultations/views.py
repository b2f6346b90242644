"""Consultations: the forum's and each board's list, opening one, answering a board's
requests to list one, and posting the summary."""

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.boards.access import board_or_404
from forum.boards.models import Board
from forum.consultations import queries, services
from forum.consultations.forms import ConsultationForm, DecisionForm, SummaryForm
from forum.consultations.models import Consultation
from forum.extensions import db
from forum.forms import options
from forum.i18n import zone
from forum.pagination import page_of
from forum.permissions import Action, can, require, visible_boards
from forum.posts.models import Thread
from forum.posts.queries import thread_with_board
from forum.posts.services import PostingError

bp = Blueprint("consultations", __name__)


@bp.app_template_global()
def consultation_of(thread: Thread) -> queries.Shown | None:
    """What the thread page shows of its consultation, for the reader."""
    return queries.shown(current_user, thread)


@bp.app_template_global()
def consultation_boards_seen(thread: Thread) -> list[Board]:
    """The boards of a consultation that the reader may read."""
    return visible_boards(current_user, thread)


@bp.get("/consultations")
def index() -> str:
    page = page_of(queries.consultation_total(current_user), current_app.config["THREADS_PER_PAGE"])
    found = queries.consultations(current_user, page=page.number, per_page=page.per_page)
    return render_template(
        "consultations/list.html",
        consultations=found,
        page=page,
        board=None,
        requests=[],
        decision_form=None,
    )


@bp.get("/b/<slug>/consultations")
def board_consultations(slug: str) -> str:
    board = board_or_404(slug)
    total = queries.consultation_total(current_user, board)
    page = page_of(total, current_app.config["THREADS_PER_PAGE"])
    moderator = can(current_user, Action.MODERATE_BOARD, board)
    return render_template(
        "consultations/list.html",
        board=board,
        consultations=queries.consultations(
            current_user, board=board, page=page.number, per_page=page.per_page
        ),
        page=page,
        requests=queries.waiting_requests(board) if moderator else [],
        decision_form=DecisionForm(formdata=None) if moderator else None,
    )


def _closing_moment(form: ConsultationForm) -> datetime:
    """The end of the chosen day in the opener's time zone, as a UTC moment."""
    day = form.closes_on.data + timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=zone(current_user.timezone))


@bp.route("/b/<slug>/consultations/new", methods=["GET", "POST"])
@login_required
def new(slug: str) -> object:
    board = board_or_404(slug)
    require(current_user, Action.OPEN_CONSULTATION, board)
    form = ConsultationForm()
    choices = queries.listable_boards(current_user, board)
    form.other_boards.choices = options((other.id, other.label) for other in choices)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        chosen = {other.id: other for other in choices}
        try:
            consultation = services.open_consultation(
                board,
                current_user,
                title=form.title.data,
                question=form.question.data,
                body=form.body.data,
                closes_at=_closing_moment(form),
                other_boards=[chosen[value] for value in form.other_boards.data or []],
            )
        except (services.ConsultationError, PostingError) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The consultation is open."), "success")
            return redirect(url_for("posts.thread", thread_id=consultation.thread_id))
    return render_template(
        "consultations/new.html", board=board, form=form, zone=current_user.timezone or "UTC"
    ), status


@bp.post("/consultations/requests/<int:listing_id>")
@login_required
def decide(listing_id: int) -> object:
    listing = queries.listing_by_id(listing_id) or abort(404)
    require(current_user, Action.READ_BOARD, listing.board)
    require(current_user, Action.MODERATE_BOARD, listing.board)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The form had expired: answer again."), "error")
    else:
        accept = "accept" in request.form
        try:
            services.decide_listing(listing, current_user, accept=accept)
        except services.ConsultationError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                _("%(board)s lists the consultation.", board=listing.board.label)
                if accept
                else _("You declined to list the consultation."),
                "success",
            )
    return redirect(url_for("consultations.board_consultations", slug=listing.board.slug))


@bp.route("/t/<int:thread_id>/summary", methods=["GET", "POST"])
@login_required
def summary(thread_id: int) -> object:
    thread = thread_with_board(thread_id) or abort(404)
    require(current_user, Action.READ_THREAD, thread)
    require(current_user, Action.POST_SUMMARY, thread)
    consultation: Consultation = thread.consultation
    form = SummaryForm()
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            post = services.post_summary(thread, current_user, body=form.body.data)
        except (services.ConsultationError, PostingError) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The summary is posted."), "success")
            return redirect(url_for("posts.permalink", post_id=post.id))
    return render_template(
        "consultations/summary.html", thread=thread, consultation=consultation, form=form
    ), status
