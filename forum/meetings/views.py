"""Meeting pages, their forms, and their calendars (.ics files and feeds)."""

import secrets

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
from forum.boards import queries as boards
from forum.boards.access import board_or_404
from forum.boards.models import Board
from forum.db import utcnow
from forum.extensions import db
from forum.i18n import format_moment, zone
from forum.meetings import ical, queries, services
from forum.meetings.forms import AnswerForm, CancelForm, MeetingForm, MinutesForm
from forum.meetings.models import ANSWER_LABELS, Answer, CalendarToken, Meeting
from forum.permissions import Action, can, readable_boards_clause, require

bp = Blueprint("meetings", __name__)

CALENDAR_TYPE = "text/calendar; charset=utf-8"


def _meeting_or_404(meeting_id: int, action: Action = Action.READ_MEETING) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id) or abort(404)
    require(current_user, Action.READ_MEETING, meeting)
    if action != Action.READ_MEETING:
        require(current_user, action, meeting)
    return meeting


@bp.get("/meetings")
def meeting_list() -> str:
    """Upcoming meetings, then past ones, of every board the reader may read, or one's."""
    readable = list(
        db.session.scalars(
            db.select(Board).where(readable_boards_clause(current_user)).order_by(Board.position)
        )
    )
    chosen = next((b for b in readable if b.slug == request.args.get("board")), None)
    return render_template(
        "meetings/list.html",
        boards=readable,
        chosen=chosen,
        upcoming=queries.upcoming(current_user, board=chosen),
        past=queries.past(current_user, board=chosen),
    )


@bp.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int) -> str:
    meeting = _meeting_or_404(meeting_id)
    answer = queries.answer_of(meeting, current_user)
    return render_template(
        "meetings/meeting.html",
        meeting=meeting,
        organiser_starts=format_moment(meeting.starts_at, zone(meeting.timezone)),
        organiser_ends=format_moment(meeting.ends_at, zone(meeting.timezone)),
        turnout=queries.turnout(meeting),
        answer=answer,
        answer_form=AnswerForm(formdata=None, data={"answer": answer.value if answer else None}),
        answers=list(Answer),
        answer_labels=ANSWER_LABELS,
        over=meeting.ends_at <= utcnow(),
    )


@bp.get("/meetings/<int:meeting_id>/meeting.ics")
def meeting_ics(meeting_id: int) -> Response:
    """The meeting as a file to add to one's calendar."""
    meeting = _meeting_or_404(meeting_id)
    response = Response(
        ical.calendar([meeting], method="PUBLISH").to_ical(), content_type=CALENDAR_TYPE
    )
    response.headers["Content-Disposition"] = f'attachment; filename="meeting-{meeting.id}.ics"'
    return response


def _feed(meetings: list[Meeting], name: str) -> Response:
    response = Response(ical.calendar(meetings, name=name).to_ical(), content_type=CALENDAR_TYPE)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/meetings.ics")
def site_feed() -> Response:
    """Every public board's meetings, to subscribe to."""
    return _feed(queries.public_feed(), _("Meetings"))


@bp.get("/b/<slug>/meetings.ics")
def board_feed(slug: str) -> Response:
    """A public board's meetings; a private board's are in people's own feeds only."""
    board = boards.board_by_slug(slug) or abort(404)
    if not can(None, Action.READ_BOARD, board):
        abort(404)
    return _feed(queries.public_feed(board), board.label)


@bp.get("/calendar/<token>.ics")
def personal_feed(token: str) -> Response:
    """The meetings of every board the secret address's owner may read."""
    owner = queries.token_owner(token) if len(token) <= 64 else None
    if owner is None:
        abort(404)
    return _feed(queries.readable_feed(owner), _("My meetings"))


@bp.get("/meetings/calendar")
@login_required
def calendar_link() -> str:
    entry = db.session.get(CalendarToken, current_user.id)
    link = url_for("meetings.personal_feed", token=entry.token, _external=True) if entry else None
    return render_template("meetings/calendar.html", link=link, form=ActionForm(formdata=None))


@bp.post("/meetings/calendar")
@login_required
def reset_calendar_link() -> Response:
    """A new secret address for one's own feed; the old one opens nothing from now on."""
    form = ActionForm()
    if form.validate_on_submit():
        entry = db.session.get(CalendarToken, current_user.id)
        if entry is None:
            entry = CalendarToken(user_id=current_user.id, token="")
            db.session.add(entry)
        entry.token, entry.created_at = secrets.token_urlsafe(32), utcnow()
        db.session.commit()
        flash(_("Your calendar has a new address; the old one no longer works."), "success")
    return redirect(url_for("meetings.calendar_link"))


def _render_form(form: MeetingForm, board: Board, meeting: Meeting | None, status: int) -> tuple:
    page = render_template(
        "meetings/edit.html",
        form=form,
        board=board,
        meeting=meeting,
        cancel_form=CancelForm(formdata=None) if meeting else None,
    )
    return page, status


@bp.route("/b/<slug>/meetings/new", methods=["GET", "POST"])
@login_required
def new_meeting(slug: str) -> object:
    board = board_or_404(slug, Action.SCHEDULE_MEETING)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = services.schedule_meeting(board, current_user, details=form.details())
        except services.MeetingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The meeting is scheduled, and its invitations are on their way."), "success")
            return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    return _render_form(form, board, None, 400 if form.is_submitted() else 200)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit_meeting(meeting_id: int) -> object:
    meeting = _meeting_or_404(meeting_id, Action.CHANGE_MEETING)
    form = MeetingForm() if request.method == "POST" else MeetingForm.of(meeting)
    if form.validate_on_submit():
        try:
            changed = services.change_meeting(
                meeting, current_user, details=form.details(), reason=form.reason.data or ""
            )
        except services.MeetingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Saved; those invited are sent the update.") if changed
                  else _("Nothing changed."), "success")  # fmt: skip
            return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    return _render_form(form, meeting.board, meeting, 400 if form.is_submitted() else 200)


@bp.post("/meetings/<int:meeting_id>/cancel")
@login_required
def cancel_meeting(meeting_id: int) -> object:
    meeting = _meeting_or_404(meeting_id, Action.CHANGE_MEETING)
    form = CancelForm()
    if form.validate_on_submit():
        services.cancel_meeting(meeting, current_user, reason=form.reason.data)
        db.session.commit()
        flash(_("The meeting is cancelled; those invited are told."), "success")
        return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    page = render_template(
        "meetings/edit.html", form=MeetingForm.of(meeting), board=meeting.board,
        meeting=meeting, cancel_form=form,
    )  # fmt: skip
    return page, 400


@bp.post("/meetings/<int:meeting_id>/answer")
@login_required
def answer(meeting_id: int) -> object:
    meeting = _meeting_or_404(meeting_id, Action.ANSWER_MEETING)
    form = AnswerForm()
    if form.validate_on_submit() and form.answer.data in set(Answer):
        services.answer_meeting(meeting, current_user, answer=Answer(form.answer.data))
        db.session.commit()
        flash(_("Your answer is saved."), "success")
    else:
        flash(_("Choose whether you attend in person, online, or not."), "error")
    return redirect(url_for("meetings.meeting", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET", "POST"])
@login_required
def minutes(meeting_id: int) -> object:
    meeting = _meeting_or_404(meeting_id, Action.POST_MINUTES)
    form = MinutesForm()
    if form.validate_on_submit():
        try:
            post = services.post_minutes(meeting, current_user, body=form.body.data)
        except services.MeetingError as error:
            db.session.rollback()
            form.body.errors = [str(error)]
        else:
            db.session.commit()
            flash(_("The minutes are posted."), "success")
            return redirect(url_for("posts.permalink", post_id=post.id))
    status = 400 if form.is_submitted() else 200
    return render_template("meetings/minutes.html", meeting=meeting, form=form), status
