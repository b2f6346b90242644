"""Forms of moderation. Every act is a POST with a CSRF token."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from forum.accounts.forms import own_group_choices
from forum.boards.models import MODERATION_MODE_LABELS, OUTSIDE_MAIL_LABELS
from forum.forms import ForumForm, WholeNumberField, ascii_int, options
from forum.moderation.models import FLAG_REASON_LABELS
from forum.pagination import MAX_ID


class ReasonForm(ForumForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class FlagForm(ForumForm):
    reason = RadioField(
        _l("What is wrong with this post?"),
        choices=options((reason.value, label) for reason, label in FLAG_REASON_LABELS.items()),
        validators=[DataRequired(_l("Choose a reason."))],
    )
    text = TextAreaField(
        _l("Tell the coordinators more"), validators=[Optional(), Length(max=2000)]
    )


class RenameForm(ReasonForm):
    id_prefix = "rename"
    title = StringField(
        _l("New title"), validators=[DataRequired(_l("Give the thread a title.")), Length(max=200)]
    )


class MoveForm(ReasonForm):
    id_prefix = "move"
    board = SelectField(_l("Move to board"), coerce=ascii_int)


class SplitForm(ReasonForm):
    id_prefix = "split"
    title = StringField(
        _l("Title of the new thread"),
        validators=[DataRequired(_l("Give the new thread a title.")), Length(max=200)],
    )


class MergeForm(ReasonForm):
    id_prefix = "merge"
    target = WholeNumberField(
        _l("Merge into thread number"),
        validators=[
            InputRequired(_l("Give the number of the thread to merge into.")),
            NumberRange(min=1, max=MAX_ID),
        ],
        description=_l("The number in the other thread's address: /t/NUMBER."),
    )


# A board's mail footer is short: it goes into every copy and digest.
MAIL_FOOTER_MAX_LENGTH = 1000


class BoardSettingsForm(ForumForm):
    mode = SelectField(
        _l("Moderation"),
        choices=options((mode.value, label) for mode, label in MODERATION_MODE_LABELS.items()),
    )
    outside_mail = SelectField(
        _l("Mail from people who may not post here"),
        choices=options((value.value, label) for value, label in OUTSIDE_MAIL_LABELS.items()),
    )
    mail_footer = TextAreaField(
        _l("Footer of the board's mail"),
        validators=[Optional(), Length(max=MAIL_FOOTER_MAX_LENGTH)],
        description=_l("Added to every copy and digest of this board's posts, as plain text: "
                       "the list's purpose, its rules, where to write to the coordinators."),
    )  # fmt: skip


_email = [
    DataRequired(_l("Enter an email address.")),
    Email(_l("Enter a valid email address."), check_deliverability=False),
    Length(max=254),
]


class MemberForm(ForumForm):
    """Add someone to a board; unknown addresses become invited, email-only accounts."""

    email = EmailField(_l("Email address"), validators=_email)
    display_name = StringField(
        _l("Name (for a new account)"), validators=[Optional(), Length(max=100)]
    )
    organisation = StringField(
        _l("Organisation (for a new account)"), validators=[Optional(), Length(max=200)]
    )
    stakeholder_group = SelectField(
        _l("Stakeholder group (for a new account)"),
        choices=own_group_choices,
        validators=[Optional()],
    )


class GrantForm(MemberForm):
    """Admins: give a role on any board, to an account or to a new, invited one."""

    board = SelectField(_l("Board"), coerce=ascii_int)
    role = SelectField(
        _l("Role"), choices=options([("member", _l("Member")), ("coordinator", _l("Coordinator"))])
    )


class BanForm(ReasonForm):
    id_prefix = "ban"
    email = EmailField(_l("Email address of the person"), validators=_email)


class SuspendForm(ReasonForm):
    until = DateField(_l("Until (leave empty for no end date)"), validators=[Optional()])
