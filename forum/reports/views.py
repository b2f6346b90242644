"""Report pages: the listings, a report (a draft's preview with its figures computed
now, or a published report with them frozen), its printable form and its figures as CSV,
and the forms that start, write, publish and correct reports."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.accounts.forms import ActionForm
from forum.boards.access import board_or_404
from forum.extensions import db
from forum.pagination import page_of
from forum.permissions import Action, can, require
from forum.reports import queries, services
from forum.reports.charts import bar_chart, line_chart
from forum.reports.export import figures_csv
from forum.reports.forms import CorrectionForm, NarrativeForm, PeriodForm
from forum.reports.models import REPORT_STATE_LABELS, SECTION_LABELS, Report, Section
from forum.reports.present import figures_of, overall_lines
from forum.web import RTL_LANGUAGES

bp = Blueprint("reports", __name__)


@bp.context_processor
def _helpers() -> dict:
    return {"period_label": services.period_label, "report_state_labels": REPORT_STATE_LABELS}


@bp.get("/reports")
def index() -> str:
    page = page_of(queries.report_total(current_user), current_app.config["THREADS_PER_PAGE"])
    reports = queries.listed_reports(current_user, page=page.number, per_page=page.per_page)
    return render_template("reports/index.html", reports=reports, page=page, board=None)


@bp.get("/b/<slug>/reports")
def board_reports(slug: str) -> str:
    board = board_or_404(slug)
    total = queries.report_total(current_user, board)
    page = page_of(total, current_app.config["THREADS_PER_PAGE"])
    reports = queries.listed_reports(
        current_user, board=board, page=page.number, per_page=page.per_page
    )
    return render_template("reports/index.html", reports=reports, page=page, board=board)


@bp.route("/b/<slug>/reports/new", methods=["GET", "POST"])
@login_required
def new_report(slug: str) -> Response | str:
    board = board_or_404(slug)
    require(current_user, Action.DRAFT_REPORT, board)
    form = PeriodForm()
    if form.validate_on_submit():
        start, end = form.period()
        try:
            report = services.start_report(board, current_user, start=start, end=end)
        except services.ReportError as error:
            form.end.errors = [*form.end.errors, str(error)]
        else:
            db.session.commit()
            return redirect(url_for("reports.edit", report_id=report.id))
    return render_template("reports/new.html", board=board, form=form)


def _report(report_id: int, action: Action = Action.READ_REPORT) -> Report:
    report = queries.report_for_page(report_id) or abort(404)
    require(current_user, Action.READ_BOARD, report.board)
    require(current_user, Action.READ_REPORT, report)
    if action != Action.READ_REPORT:
        require(current_user, action, report)
    return report


def _charts(figures, prefix: str) -> dict:
    """The three charts of a set of figures, with ids unique on the page."""
    rtl = str(get_locale() or "en").split("_")[0] in RTL_LANGUAGES
    groups = [(row.label, row.count) for row in figures.groups]
    regions = [(row.label, row.count) for row in figures.regions]
    months = [(row.label, row.count) for row in figures.months]
    return {
        "groups": bar_chart(
            groups, chart_id=f"{prefix}-groups", rtl=rtl,
            title=_("Participants by stakeholder group"),
            desc="; ".join(f"{label}: {count}" for label, count in groups),
        ),
        "regions": bar_chart(
            regions, chart_id=f"{prefix}-regions", rtl=rtl,
            title=_("Participants by region"),
            desc="; ".join(f"{label}: {count}" for label, count in regions),
        )
        if regions
        else None,
        "months": line_chart(
            months, chart_id=f"{prefix}-months", rtl=rtl,
            title=_("Posts by month"),
            desc="; ".join(f"{label}: {count}" for label, count in months),
        ),
    }  # fmt: skip


def _page_values(report: Report) -> dict:
    """What the report's page and its printable form show."""
    facts = services.live_facts(report)
    lines = None
    if services.is_overall(report):
        lines, figures = overall_lines(facts, current_user)
    else:
        figures = figures_of(facts)
    revision = report.current_revision
    references = (
        report.references
        if report.references is not None
        else services.references_in(report, revision.sections if revision else {})
    )
    return {
        "report": report,
        "board": report.board,
        "period": services.period_label(report.period_start, report.period_end),
        "figures": figures,
        "lines": lines,
        "charts": _charts(figures, f"r{report.id}"),
        "revision": revision,
        "sections": [(section, SECTION_LABELS[section]) for section in Section],
        "references": references,
        "overall": services.is_overall(report),
    }


@bp.get("/reports/<int:report_id>")
def report(report_id: int) -> str:
    report = _report(report_id)
    return render_template(
        "reports/report.html",
        **_page_values(report),
        revisions=queries.revisions(report),
        publish_form=ActionForm(formdata=None, prefix="publish")
        if can(current_user, Action.PUBLISH_REPORT, report)
        else None,
    )


@bp.get("/reports/<int:report_id>/print")
def printable(report_id: int) -> str:
    return render_template("reports/print.html", **_page_values(_report(report_id)))


@bp.get("/reports/<int:report_id>/figures.csv")
def figures(report_id: int) -> Response:
    values = _page_values(_report(report_id))
    name = f"report-{report_id}-{values['board'].code.lower()}.csv"
    return Response(
        figures_csv(values["figures"], values["lines"]),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/reports/<int:report_id>/edit", methods=["GET", "POST"])
@login_required
def edit(report_id: int) -> Response | str:
    report = _report(report_id, Action.EDIT_REPORT)
    revision = report.current_revision
    # What a save sends replaces these; a first look shows the newest revision.
    form = NarrativeForm(
        data={
            **(revision.sections if revision else {}),
            "based_on": revision.id if revision else "",
        }
    )
    if form.validate_on_submit():
        current = str(revision.id) if revision else ""
        if form.based_on.data != current:
            # Someone saved since this form was opened: show it, keep this text.
            form.based_on.data = current
            return render_template(
                "reports/edit.html", report=report, form=form, overtaken=revision,
                period=services.period_label(report.period_start, report.period_end),
            )  # fmt: skip
        try:
            services.save_revision(report, current_user, sections=form.sections())
        except services.ReportError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Saved. This is the draft as it will read."), "success")
            return redirect(url_for("reports.report", report_id=report.id))
    return render_template(
        "reports/edit.html", report=report, form=form, overtaken=None,
        period=services.period_label(report.period_start, report.period_end),
    )  # fmt: skip


@bp.post("/reports/<int:report_id>/publish")
@login_required
def publish(report_id: int) -> Response:
    report = _report(report_id, Action.PUBLISH_REPORT)
    form = ActionForm(prefix="publish")
    if not form.validate_on_submit():
        flash(_("The form had expired: publish again."), "error")
        return redirect(url_for("reports.report", report_id=report.id))
    try:
        services.publish_report(report, current_user)
    except services.ReportError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The report is published and submitted to the Meeting of the coordinators."),
              "success")  # fmt: skip
    return redirect(url_for("reports.report", report_id=report.id))


@bp.route("/reports/<int:report_id>/correct", methods=["GET", "POST"])
@login_required
def correct(report_id: int) -> Response | str:
    report = _report(report_id, Action.CORRECT_REPORT)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            correction = services.start_correction(report, current_user, note=form.note.data)
        except services.ReportError as error:
            form.note.errors = [*form.note.errors, str(error)]
        else:
            db.session.commit()
            return redirect(url_for("reports.edit", report_id=correction.id))
    return render_template(
        "reports/correct.html", report=report, form=form,
        period=services.period_label(report.period_start, report.period_end),
    )  # fmt: skip
