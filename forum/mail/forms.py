"""Mail forms: following a board or thread, and the email settings page."""

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField
from wtforms.validators import InputRequired, Optional

from forum.boards.models import Board
from forum.forms import ForumForm, ascii_int, options
from forum.mail.models import DIGEST_FORM_LABELS, MAIL_MODE_LABELS, MailFormat, MailMode

WEEKDAYS = (
    _l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
    _l("Saturday"), _l("Sunday"),
)  # fmt: skip
_mode_required = InputRequired(_l("Choose how to follow it."))
# A select that always shows a setting needs no `required` (which asks for an empty
# first choice): the check stays on the server.
_SHOWS_A_SETTING = {"required": False}


def mode_choices() -> list:
    return options((mode.value, label) for mode, label in MAIL_MODE_LABELS.items())


class BoardMailForm(ForumForm):
    mode = SelectField(
        _l("Email"), choices=mode_choices, validators=[_mode_required], render_kw=_SHOWS_A_SETTING
    )


class ThreadMailForm(ForumForm):
    mode = SelectField(
        _l("This thread by email"),
        choices=lambda: options(
            [
                ("normal", _l("As set for the board")),
                ("watch", _l("Watch: every post by email")),
                ("mute", _l("Mute: nothing from it")),
            ]
        ),
        validators=[InputRequired(_l("Choose one."))],
        render_kw=_SHOWS_A_SETTING,
    )


class MailSettingsForm(ForumForm):
    digest_hour = SelectField(
        _l("Digests arrive at"),
        choices=lambda: options((hour, f"{hour:02d}:00") for hour in range(24)),
        coerce=ascii_int,
        description=_l("In your time zone, set on your account settings page."),
    )
    digest_weekday = SelectField(
        _l("Weekly digests arrive on"),
        choices=lambda: options(enumerate(WEEKDAYS)),
        coerce=ascii_int,
    )
    format = RadioField(
        _l("Format"),
        choices=lambda: options(
            [
                (MailFormat.HTML.value, _l("HTML and plain text")),
                (MailFormat.TEXT.value, _l("Plain text only")),
            ]
        ),
        validators=[InputRequired()],
    )
    digest_form = RadioField(
        _l("Digests"),
        choices=lambda: options((form.value, label) for form, label in DIGEST_FORM_LABELS.items()),
        validators=[InputRequired(_l("Choose how digests are made."))],
    )
    replies = BooleanField(_l("Email me replies to my posts"))
    mentions = BooleanField(_l("Email me when someone mentions me"))
    notices = BooleanField(_l("Email me what happens to my posts, flags and roles"))
    own_posts = BooleanField(_l("Send me copies of my own posts"))
    paused = BooleanField(_l("Pause all email (except sign-in and password messages)"))


def board_mail_form(mode: MailMode) -> BoardMailForm:
    return BoardMailForm(formdata=None, data={"mode": mode.value}, prefix="mail")


def thread_mail_form(mode: str) -> ThreadMailForm:
    return ThreadMailForm(formdata=None, data={"mode": mode}, prefix="mail")


def board_field_name(board: Board) -> str:
    return f"board_{board.id}"


def settings_form(boards: Iterable[Board], **kwargs: object) -> MailSettingsForm:
    """The settings form with one choice per board the person may read."""

    class WithBoards(MailSettingsForm):
        pass

    for board in boards:
        # A board left out of the request keeps its setting.
        field = SelectField(board.label, choices=mode_choices, validators=[Optional()])
        setattr(WithBoards, board_field_name(board), field)
    return WithBoards(**kwargs)


def chosen_modes(form: MailSettingsForm, boards: Iterable[Board]) -> dict[Board, MailMode]:
    chosen = {board: form[board_field_name(board)].data for board in boards}
    return {board: MailMode(value) for board, value in chosen.items() if value}
