"""Stocktaking pages: the listings (forum-wide and per action line) with their filters,
an entry's page, history, form and review, the submitter's own entries, and the open
data and feeds (forum.stocktaking.export)."""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.accounts.forms import ActionForm
from forum.accounts.models import STAKEHOLDER_GROUP_LABELS
from forum.boards.access import board_or_404
from forum.boards.models import Board
from forum.boards.queries import board_by_slug
from forum.db import utcnow
from forum.extensions import db
from forum.i18n import country_names
from forum.moderation import entries_acts
from forum.moderation.acts import ModerationError
from forum.pagination import page_of
from forum.permissions import Action, can, can_read_board, require
from forum.regions import area_name, area_tree, region_of
from forum.stocktaking import export, queries, services
from forum.stocktaking.forms import EntryForm, ReviewForm
from forum.stocktaking.models import REVIEW_STATE_LABELS, SCOPE_LABELS, STATUS_LABELS, Entry

bp = Blueprint("stocktaking", __name__)

PER_PAGE = 30


def _entry_or_404(entry_id: int) -> Entry:
    entry = queries.entry_with_parts(entry_id) or abort(404)
    require(current_user, Action.READ_ENTRY, entry)
    return entry


def _labels() -> dict:
    return {"status": STATUS_LABELS, "scope": SCOPE_LABELS, "review": REVIEW_STATE_LABELS,
            "group": STAKEHOLDER_GROUP_LABELS}  # fmt: skip


def _listing(board: Board | None) -> str:
    filters = queries.read_filters(request.args.to_dict(), board)
    total = queries.listed_total(current_user, filters)
    page = page_of(total, PER_PAGE)
    entries = queries.listed_entries(current_user, filters, page=page.number, per_page=PER_PAGE)
    return render_template(
        "stocktaking/list.html", board=board, filters=filters, entries=entries, page=page,
        countries=country_names(), areas=area_tree(), area_name=area_name,
        entry_labels=_labels(), waiting=len(queries.waiting_for_review(current_user)),
    )  # fmt: skip


@bp.get("/stocktaking")
def index() -> str:
    return _listing(None)


@bp.get("/b/<slug>/stocktaking")
def board_index(slug: str) -> str:
    return _listing(board_or_404(slug))


@bp.get("/stocktaking.csv")
def csv_export() -> Response:
    return export.csv_response(current_user, queries.read_filters(request.args.to_dict()))


@bp.get("/stocktaking.json")
def json_export() -> Response:
    return export.json_response(current_user, queries.read_filters(request.args.to_dict()))


@bp.get("/b/<slug>/stocktaking.csv")
def board_csv_export(slug: str) -> Response:
    filters = queries.read_filters(request.args.to_dict(), board_or_404(slug))
    return export.csv_response(current_user, filters)


@bp.get("/b/<slug>/stocktaking.json")
def board_json_export(slug: str) -> Response:
    filters = queries.read_filters(request.args.to_dict(), board_or_404(slug))
    return export.json_response(current_user, filters)


@bp.get("/b/<slug>/stocktaking.atom")
def board_feed(slug: str) -> Response:
    board = board_by_slug(slug) or abort(404)
    return export.atom_response(board)


def _form_page(form: EntryForm, entry: Entry | None, status: int) -> tuple[str, int]:
    return render_template("stocktaking/form.html", form=form, entry=entry), status


@bp.route("/stocktaking/new", methods=["GET", "POST"])
@login_required
def new_entry() -> object:
    require(current_user, Action.SUBMIT_ENTRY)
    form = EntryForm()
    form.set_lines(services.action_lines(current_user))
    if not form.is_submitted():
        form.fill_from_person(current_user)
        return _form_page(form, None, 200)
    if not form.validate():
        return _form_page(form, None, 400)
    try:
        entry = services.submit_entry(current_user, data=form.data_for_service())
        db.session.commit()
    except services.EntryError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _form_page(form, None, 400)
    flash(_("Thank you. Your entry waits for review by the coordinators of its action lines."),
          "info")  # fmt: skip
    return redirect(url_for("stocktaking.entry", entry_id=entry.id))


@bp.route("/stocktaking/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit_entry(entry_id: int) -> object:
    entry = _entry_or_404(entry_id)
    require(current_user, Action.EDIT_ENTRY, entry)
    form = EntryForm()
    form.set_lines(services.action_lines(current_user))
    if not form.is_submitted():
        form.fill_from_entry(entry)
        return _form_page(form, entry, 200)
    if not form.validate():
        return _form_page(form, entry, 400)
    try:
        services.update_entry(entry, current_user, data=form.data_for_service())
        db.session.commit()
    except services.EntryError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _form_page(form, entry, 400)
    flash(_("The entry is updated."), "info")
    return redirect(url_for("stocktaking.entry", entry_id=entry.id))


@bp.post("/stocktaking/<int:entry_id>/confirm")
@login_required
def confirm_entry(entry_id: int) -> Response:
    entry = _entry_or_404(entry_id)
    if not ActionForm(prefix="confirm").validate_on_submit():
        flash(_("The form had expired: send it again."), "error")
        return redirect(url_for("stocktaking.entry", entry_id=entry.id))
    try:
        services.confirm_entry(entry, current_user)
        db.session.commit()
    except services.EntryError as error:
        flash(str(error), "error")
    else:
        flash(_("Thank you: the entry is marked as still accurate today."), "info")
    return redirect(url_for("stocktaking.entry", entry_id=entry.id))


def _entry_page(entry: Entry, review_form: ReviewForm, status: int = 200) -> tuple[str, int]:
    viewer = current_user._get_current_object()
    thread = entry.thread
    return render_template(
        "stocktaking/entry.html", entry=entry, entry_labels=_labels(),
        boards=[board for board in entry.boards if can_read_board(viewer, board)],
        regions=sorted({code for code in map(region_of, entry.country_codes) if code}),
        area_name=area_name, stale=services.is_stale(entry, utcnow()),
        thread=thread if thread is not None and can(viewer, Action.READ_THREAD, thread) else None,
        may_edit=can(viewer, Action.EDIT_ENTRY, entry),
        review_form=review_form if can(viewer, Action.REVIEW_ENTRY, entry) else None,
        confirm_form=ActionForm(formdata=None, prefix="confirm"),
    ), status  # fmt: skip


@bp.get("/stocktaking/<int:entry_id>")
def entry(entry_id: int) -> tuple[str, int]:
    return _entry_page(_entry_or_404(entry_id), ReviewForm(formdata=None))


@bp.post("/stocktaking/<int:entry_id>/review")
@login_required
def review(entry_id: int) -> object:
    entry = _entry_or_404(entry_id)
    require(current_user, Action.REVIEW_ENTRY, entry)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _entry_page(entry, form, 400)
    acts = {
        "publish": lambda: entries_acts.publish_entry(entry, current_user),
        "return": lambda: entries_acts.return_entry(
            entry, current_user, reason=form.reason.data or ""
        ),
        "reject": lambda: entries_acts.reject_entry(
            entry, current_user, reason=form.reason.data or ""
        ),
    }
    try:
        acts[form.decision.data]()
        db.session.commit()
    except ModerationError as error:
        db.session.rollback()
        form.reason.errors = [str(error)]
        return _entry_page(queries.entry_with_parts(entry_id) or abort(404), form, 400)
    flash(_("Done: the submitter is told."), "info")
    return redirect(url_for("stocktaking.entry", entry_id=entry.id))


@bp.get("/stocktaking/<int:entry_id>/history")
def history(entry_id: int) -> str:
    entry = _entry_or_404(entry_id)
    revisions = queries.revisions(entry)
    board_ids = {bid for r in revisions for bid in r.fields.get("action_lines", [])}
    boards = queries.boards_by_id(board_ids)
    readable = {bid: b for bid, b in boards.items() if can_read_board(current_user, b)}
    return render_template(
        "stocktaking/history.html", entry=entry, revisions=revisions, entry_labels=_labels(),
        boards=readable,
    )  # fmt: skip


@bp.get("/stocktaking/yours")
@login_required
def yours() -> str:
    return render_template(
        "stocktaking/yours.html", entry_labels=_labels(),
        entries=queries.own_entries(current_user), waiting=queries.waiting_for_review(current_user),
        may_submit=can(current_user, Action.SUBMIT_ENTRY),
    )  # fmt: skip
