"""Registration, sign-in, password reset, profiles and account settings."""

from flask import (
    Blueprint,
    Response,
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
from flask_wtf import FlaskForm

from forum.accounts import auth, services
from forum.accounts.forms import (
    ActionForm,
    ChangeEmailForm,
    ChangePasswordForm,
    EmailOnlyForm,
    RegisterForm,
    ResetPasswordForm,
    SettingsForm,
    SignInForm,
)
from forum.accounts.models import StakeholderGroup, User, email_key
from forum.extensions import db
from forum.forms import options
from forum.i18n import LANGUAGE_COOKIE, interface_languages
from forum.mail.models import MailMode
from forum.mail.subscriptions import followable_at_sign_up, subscribe_at_sign_up
from forum.posts.queries import recent_posts_by
from forum.ratelimit import Refusal, client_address, count, exhausted, forget, hit, take
from forum.web import safe_next_url

bp = Blueprint("accounts", __name__)


def _too_many(template: str, form: FlaskForm, refusal: Refusal) -> tuple[str, int]:
    """The form again, with the user's input, and how long to wait."""
    flash(
        ngettext(
            "Too many attempts. Try again in %(num)d minute.",
            "Too many attempts. Try again in %(num)d minutes.",
            refusal.minutes,
        ),
        "error",
    )
    return render_template(template, form=form), 429


@bp.route("/register", methods=["GET", "POST"])
def register() -> object:
    if current_user.is_authenticated:
        return redirect(url_for("boards.home"))
    form = RegisterForm()
    public_boards = followable_at_sign_up()
    form.follow_boards.choices = options((board.id, board.label) for board in public_boards)
    if not form.validate_on_submit():
        return render_template("accounts/register.html", form=form), 400 if form.errors else 200
    refusal = hit("REGISTER_LIMIT_PER_ADDRESS", client_address())
    if refusal:
        return _too_many("accounts/register.html", form, refusal)
    try:
        user = services.register_user(
            email=form.email.data,
            password=form.password.data,
            display_name=form.display_name.data,
            stakeholder_group=StakeholderGroup(form.stakeholder_group.data),
            organisation=form.organisation.data or "",
            country=form.country.data or None,
        )
    except services.EmailTaken:
        # The same answer as for a new address, so that nobody learns who has an account;
        # the owner of the address is told by mail.
        db.session.rollback()
        taken = services.find_user_by_email(form.email.data)
        if taken is not None:
            services.send_registration_attempt(taken)
    else:
        chosen = [board for board in public_boards if board.id in (form.follow_boards.data or [])]
        subscribe_at_sign_up(user, chosen, MailMode(form.follow_mode.data))
        services.send_verification(user)
    db.session.commit()
    flash(
        _(
            "Thank you. We sent a message to %(email)s: open its link to confirm your address, "
            "then sign in.",
            email=email_key(form.email.data),
        ),
        "success",
    )
    return redirect(url_for("accounts.sign_in"))


def _verify_page(token: str, status: int = 200) -> tuple[str, int]:
    """The confirmation button, or why the link does not work and a form for a new one."""
    try:
        user, _payload = services.read_token(services.VERIFY, token)
    except services.AccountError as error:
        page = render_template("accounts/verify.html", error=str(error), form=EmailOnlyForm())
        return page, 400
    return render_template(
        "accounts/verify.html", user=user, form=ActionForm(), token=token
    ), status


@bp.get("/verify/<token>")
def verify(token: str) -> object:
    """Shows a confirmation button: a GET never writes, and mail scanners follow links."""
    return _verify_page(token)


@bp.post("/verify/<token>")
def verify_confirm(token: str) -> object:
    if not ActionForm().validate_on_submit():
        flash(_("The page had expired. Press the button again."), "error")
        return _verify_page(token, 400)
    try:
        services.verify_email(token)
    except services.AccountError:
        return _verify_page(token)
    db.session.commit()
    if current_user.is_authenticated:
        flash(_("Your email address is confirmed. You can now post."), "success")
        return redirect(url_for("boards.home"))
    flash(_("Your email address is confirmed. Sign in to take part."), "success")
    return redirect(url_for("accounts.sign_in"))


@bp.post("/verify/resend")
def resend_verification() -> object:
    """A new confirmation link: for the signed-in account, or for the address given."""
    if current_user.is_authenticated:
        form: FlaskForm = ActionForm()
        email = current_user.email
    else:
        form = EmailOnlyForm()
        email = form.email.data
    if form.validate_on_submit() and not hit("RESET_LIMIT_PER_ADDRESS", client_address()):
        user = services.find_user_by_email(email)
        if user is not None and not user.is_verified:
            services.send_verification(user)
            db.session.commit()
    flash(_("If that address has an unconfirmed account, a new link is on its way."), "info")
    return redirect(url_for("boards.home"))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> object:
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next"), url_for("boards.home")))
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("accounts/sign_in.html", form=form), 400 if form.errors else 200
    pair, *wider = services.sign_in_limits(form.email.data, client_address())
    refusal = exhausted(wider) or take(pair)
    if refusal:
        return _too_many("accounts/sign_in.html", form, refusal)
    user = services.authenticate(form.email.data, form.password.data)
    if user is None:
        count(wider)
        form.password.errors.append(_("Wrong email address or password."))
        return render_template("accounts/sign_in.html", form=form), 400
    forget(pair)
    auth.sign_in(user, remember=form.remember.data)
    db.session.commit()
    return redirect(safe_next_url(request.args.get("next"), url_for("boards.home")))


def _forget_kept_pages(response: Response) -> Response:
    """The browser drops the pages it kept for the person signed in (forum.conditional)."""
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.post("/sign-out")
def sign_out() -> object:
    if ActionForm(prefix="sign-out").validate_on_submit():
        if current_user.is_authenticated:
            auth.sign_out(current_user)
            db.session.commit()
        flash(_("You are signed out."), "info")
    return _forget_kept_pages(redirect(url_for("boards.home")))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> object:
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        return render_template(
            "accounts/forgot_password.html", form=form
        ), 400 if form.errors else 200
    refusal = hit("RESET_LIMIT_PER_ADDRESS", client_address())
    if refusal:
        return _too_many("accounts/forgot_password.html", form, refusal)
    user = services.find_user_by_email(form.email.data)
    if user is not None:
        services.send_password_reset(user)
        db.session.commit()
    flash(
        _("If an account uses that address, we have sent it a link to choose a new password."),
        "info",
    )
    return redirect(url_for("accounts.sign_in"))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> object:
    try:
        services.read_token(services.RESET, token)
    except services.AccountError as error:
        return render_template(
            "accounts/forgot_password.html", form=EmailOnlyForm(), error=str(error)
        ), 400
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return render_template(
            "accounts/reset_password.html", form=form, token=token
        ), 400 if form.errors else 200
    user = services.reset_password(token, form.password.data)
    auth.sign_in(user)
    db.session.commit()
    flash(_("Your new password is set."), "success")
    return redirect(url_for("boards.home"))


@bp.route("/people/<int:user_id>")
def profile(user_id: int) -> object:
    user = db.session.get(User, user_id) or abort(404)
    posts = recent_posts_by(user, viewer=current_user)
    return render_template("accounts/profile.html", person=user, posts=posts)


def _settings_page(status: int = 200, **forms: object) -> tuple[str, int]:
    user: User = current_user  # type: ignore[assignment]
    if "profile_form" not in forms:
        profile_form = SettingsForm(obj=user, prefix="profile", formdata=None)
        profile_form.stakeholder_group.data = user.stakeholder_group.value
        forms["profile_form"] = profile_form
    forms.setdefault("password_form", ChangePasswordForm(prefix="password", formdata=None))
    forms.setdefault("email_form", ChangeEmailForm(prefix="email", formdata=None))
    forms.setdefault("everywhere_form", ActionForm(prefix="everywhere", formdata=None))
    return render_template("accounts/settings.html", **forms), status


@bp.get("/settings")
@login_required
def settings() -> object:
    return _settings_page()


@bp.post("/settings/profile")
@login_required
def save_profile() -> object:
    form = SettingsForm(prefix="profile")
    if not form.validate_on_submit():
        return _settings_page(400, profile_form=form)
    services.update_profile(
        current_user,
        display_name=form.display_name.data,
        organisation=form.organisation.data or "",
        stakeholder_group=StakeholderGroup(form.stakeholder_group.data),
        country=form.country.data or None,
        locale=form.locale.data,
        timezone=form.timezone.data,
    )
    db.session.commit()
    flash(_("Your settings are saved."), "success")
    return redirect(url_for("accounts.settings"))


def _current_password_ok(form: ChangePasswordForm | ChangeEmailForm) -> bool:
    if services.authenticate(current_user.email, form.current_password.data) is not None:
        return True
    form.current_password.errors.append(_("Your current password is not right."))
    return False


@bp.post("/settings/password")
@login_required
def change_password() -> object:
    form = ChangePasswordForm(prefix="password")
    if not (form.validate_on_submit() and _current_password_ok(form)):
        return _settings_page(400, password_form=form)
    services.set_password(current_user, form.password.data)
    auth.renew(current_user._get_current_object())
    db.session.commit()
    flash(_("Your password is changed. Other devices have been signed out."), "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/settings/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> object:
    """End every session of the account, on this device and all others."""
    if not ActionForm(prefix="everywhere").validate_on_submit():
        flash(_("The page had expired. Press the button again."), "error")
        return redirect(url_for("accounts.settings"))
    auth.sign_out(current_user, everywhere=True)
    db.session.commit()
    flash(_("You are signed out on every device."), "info")
    return _forget_kept_pages(redirect(url_for("accounts.sign_in")))


@bp.post("/settings/email")
@login_required
def change_email() -> object:
    form = ChangeEmailForm(prefix="email")
    if not (form.validate_on_submit() and _current_password_ok(form)):
        return _settings_page(400, email_form=form)
    if services.find_user_by_email(form.email.data) is not None:
        form.email.errors.append(_("An account with this email address exists already."))
        return _settings_page(400, email_form=form)
    services.send_email_change(current_user, form.email.data)
    db.session.commit()
    flash(
        _(
            "We sent a confirmation link to %(email)s. Your address changes when you open it.",
            email=form.email.data,
        ),
        "info",
    )
    return redirect(url_for("accounts.settings"))


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> object:
    form = ActionForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("accounts/confirm_email.html", form=form, token=token)
    try:
        user = services.confirm_email_change(token)
    except services.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("boards.home"))
    auth.sign_in(user)
    db.session.commit()
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/language")
def set_language() -> Response:
    """The language switcher: remembered in a cookie (and, for a signed-in person, in
    their settings). It takes no form token: the pages that carry it are shared by every
    anonymous reader (the page cache), and choosing a language harms nobody."""
    chosen = request.form.get("lang", "")
    if chosen not in interface_languages():
        abort(400)
    if current_user.is_authenticated:
        current_user.locale = chosen
        db.session.commit()
    response = redirect(safe_next_url(request.form.get("next"), url_for("boards.home")))
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        max_age=current_app.config["LANGUAGE_COOKIE_DAYS"] * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response
