"""Account forms. Validation messages say what to fix; the user's text is kept."""

from functools import cache
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forum.accounts.models import STAKEHOLDER_GROUP_LABELS
from forum.accounts.services import password_problem
from forum.forms import ForumForm, ascii_int, options
from forum.i18n import country_names, interface_languages
from forum.mail.models import MAIL_MODE_LABELS, MailMode


def country_choices() -> list[SelectChoice]:
    """Countries named in the reader's language."""
    return options([("", _l("— Choose a country —")), *country_names().items()])


@cache
def timezone_choices() -> list[SelectChoice]:
    zones = sorted(z for z in available_timezones() if "/" in z or z == "UTC")
    return options((zone, zone.replace("_", " ")) for zone in zones)


def group_choices() -> list[SelectChoice]:
    return options((group.value, label) for group, label in STAKEHOLDER_GROUP_LABELS.items())


def own_group_choices() -> list[SelectChoice]:
    """The groups after an empty first choice: a person's group is said by them or by
    whoever invites them, never chosen for them by the form."""
    return [*options([("", _l("— Choose a group —"))]), *group_choices()]


def language_choices() -> list[SelectChoice]:
    return options(interface_languages().items())


_email = [
    DataRequired(_l("Enter your email address.")),
    Email(
        _l("Enter a valid email address, like name@example.org, in Latin letters before the @."),
        check_deliverability=False,
        allow_smtputf8=False,
    ),
    Length(max=254),
]


class StrongPassword:
    """Rejects weak passwords, comparing against the form's email and name fields."""

    def __call__(self, form: ForumForm, field: PasswordField) -> None:
        email = getattr(form, "email", None)
        name = getattr(form, "display_name", None)
        problem = password_problem(
            field.data or "",
            email=email.data if email is not None else "",
            display_name=name.data if name is not None else "",
        )
        if problem:
            raise ValidationError(problem)


class ProfileFields(ForumForm):
    display_name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter your name.")), Length(max=100)]
    )
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    stakeholder_group = SelectField(
        _l("Stakeholder group"),
        choices=own_group_choices,
        validators=[DataRequired(_l("Choose the stakeholder group you belong to."))],
    )
    country = SelectField(_l("Country"), choices=country_choices, validators=[Optional()])


class RegisterForm(ProfileFields):
    email = EmailField(_l("Email address"), validators=_email)
    password = PasswordField(_l("Password"), validators=[DataRequired(), StrongPassword()])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[EqualTo("password", _l("The two passwords differ."))],
    )
    # Choices (the boards anyone may read) are set by the view.
    follow_boards = SelectMultipleField(
        _l("Boards to follow by email"),
        coerce=ascii_int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
        description=_l("None yet? Pick some later from any board page or your email settings."),
    )
    follow_mode = SelectField(
        _l("How"),
        choices=lambda: options(
            (mode.value, label) for mode, label in MAIL_MODE_LABELS.items() if mode != MailMode.OFF
        ),
        default=MailMode.WEEKLY.value,
    )


class SettingsForm(ProfileFields):
    locale = SelectField(_l("Language"), choices=language_choices)
    timezone = SelectField(_l("Time zone"), choices=timezone_choices)


class SignInForm(ForumForm):
    email = EmailField(_l("Email address"), validators=_email)
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Keep me signed in on this device"))


class EmailOnlyForm(ForumForm):
    email = EmailField(_l("Email address"), validators=_email)


class ResetPasswordForm(ForumForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), StrongPassword()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("password", _l("The two passwords differ."))],
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )


class ChangeEmailForm(ForumForm):
    email = EmailField(_l("New email address"), validators=_email)
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )


class ActionForm(ForumForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


class DeleteAccountForm(ForumForm):
    """Deleting one's account: what becomes of one's posts (when the admins let people
    choose), confirmed by the password."""

    posts = RadioField(
        _l("Your posts"),
        choices=options(
            [
                ("keep", _l("Keep them, under “a former participant”")),
                ("remove", _l("Remove them")),
            ]
        ),
        validators=[DataRequired(_l("Choose what becomes of your posts."))],
    )
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
