"""A board's settings and its team: members, coordinators, bans."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug import Response

from forum.accounts.forms import ActionForm
from forum.accounts.models import StakeholderGroup, User
from forum.accounts.services import find_user_by_email
from forum.boards.access import board_or_404
from forum.boards.models import Board, ModerationMode, OutsideMail, Role
from forum.boards.queries import team as board_team
from forum.extensions import db
from forum.moderation import queries, services
from forum.moderation.forms import (
    BanForm,
    BoardSettingsForm,
    MemberForm,
)
from forum.moderation.views import bp, expired, perform_act
from forum.permissions import Action


@bp.route("/b/<slug>/settings", methods=["GET", "POST"])
@login_required
def board_settings(slug: str) -> object:
    board = board_or_404(slug, Action.MODERATE_BOARD)
    form = BoardSettingsForm(
        data={
            "mode": board.moderation_mode.value,
            "outside_mail": board.outside_mail.value,
            "mail_footer": board.mail_footer,
        }
    )
    if form.validate_on_submit():
        mode = ModerationMode(form.mode.data)
        outside_mail = OutsideMail(form.outside_mail.data)
        footer = form.mail_footer.data or ""

        def save() -> None:
            services.set_moderation_mode(board, current_user, mode, outside_mail=outside_mail)
            services.set_mail_footer(board, current_user, footer)

        if perform_act(save, _("Saved.")):
            return redirect(url_for("moderation.board_settings", slug=board.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("moderation/settings.html", board=board, form=form), status


def _render_team(board: Board, status: int = 200, **forms: object) -> tuple[str, int]:
    page = render_template(
        "moderation/team.html",
        board=board,
        team=board_team(board),
        member_form=forms.get("member_form") or MemberForm(formdata=None),
        ban_form=forms.get("ban_form") or BanForm(formdata=None),
        form=ActionForm(formdata=None),
    )
    return page, status


@bp.get("/b/<slug>/team")
@login_required
def team(slug: str) -> object:
    return _render_team(board_or_404(slug, Action.MANAGE_MEMBERS))


@bp.post("/b/<slug>/team/add")
@login_required
def add_member(slug: str) -> object:
    board = board_or_404(slug, Action.MANAGE_MEMBERS)
    form = MemberForm()
    if not form.validate_on_submit():
        return _render_team(board, 400, member_form=form)
    if grant_or_invite(form, board, Role.MEMBER):
        flash(_("Added to the team."), "success")
        return redirect(url_for("moderation.team", slug=board.slug))
    return _render_team(board, 400, member_form=form)


def grant_or_invite(form: MemberForm, board: Board, role: Role) -> bool:
    """Give the role asked for by a member or grant form, and commit; on a refusal, put
    the reason on the form (the input is kept) and return False."""
    try:
        services.grant_role_by_email(
            board,
            form.email.data,
            role,
            current_user,
            display_name=form.display_name.data or "",
            organisation=form.organisation.data or "",
            stakeholder_group=StakeholderGroup(form.stakeholder_group.data)
            if form.stakeholder_group.data
            else None,
        )
    except services.InviteNeedsDetails as error:
        db.session.rollback()
        if error.name:
            form.display_name.errors.append(error.name)
        if error.group:
            form.stakeholder_group.errors.append(error.group)
        return False
    except services.ModerationError as error:
        db.session.rollback()
        form.email.errors.append(str(error))
        return False
    db.session.commit()
    return True


def _person_or_404(user_id: int) -> User:
    return queries.user_by_id(user_id) or abort(404)


@bp.post("/b/<slug>/team/<int:user_id>/remove")
@login_required
def remove_member(slug: str, user_id: int) -> Response:
    board = board_or_404(slug, Action.MANAGE_MEMBERS)
    if ActionForm().validate_on_submit():
        person = _person_or_404(user_id)
        perform_act(
            lambda: services.revoke_role(board, person, Role.MEMBER, current_user),
            _("Removed from the team."),
        )
    else:
        expired()
    return redirect(url_for("moderation.team", slug=board.slug))


@bp.post("/b/<slug>/team/ban")
@login_required
def ban(slug: str) -> object:
    board = board_or_404(slug, Action.MODERATE_BOARD)
    form = BanForm()
    if not form.validate_on_submit():
        return _render_team(board, 400, ban_form=form)
    person = find_user_by_email(form.email.data)
    if person is None:
        form.email.errors.append(_("No account uses this address."))
        return _render_team(board, 400, ban_form=form)
    perform_act(
        lambda: services.ban_from_board(person, board, current_user, reason=form.reason.data or ""),
        _("%(name)s can no longer post here.", name=person.display_name),
    )
    return redirect(url_for("moderation.team", slug=board.slug))


@bp.post("/b/<slug>/team/<int:user_id>/unban")
@login_required
def unban(slug: str, user_id: int) -> Response:
    board = board_or_404(slug, Action.MODERATE_BOARD)
    if ActionForm().validate_on_submit():
        person = _person_or_404(user_id)
        perform_act(
            lambda: services.unban_from_board(person, board, current_user), _("The ban is lifted.")
        )
    else:
        expired()
    return redirect(url_for("moderation.team", slug=board.slug))
