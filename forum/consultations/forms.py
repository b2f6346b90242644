"""Forms for opening a consultation, answering a listing request and its summary."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forum.consultations.services import QUESTION_MAX
from forum.forms import ForumForm, ascii_int
from forum.posts.forms import NewPostForm, ThreadForm

CLOSING_DATE_FORMAT = _l("Give the closing date, as year-month-day.")


class DayField(DateField):
    """A date, refused in the forum's own words when it is not one."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(CLOSING_DATE_FORMAT)) from error


class ConsultationForm(ThreadForm):
    """A thread with its question, its closing date and the other boards asked to list
    it (choices, the boards the person may read, set by the view)."""

    question = TextAreaField(
        _l("Question"),
        validators=[
            DataRequired(_l("Write the question the consultation asks.")),
            Length(max=QUESTION_MAX),
        ],
        description=_l("One or two sentences, shown above the thread on every board."),
    )
    closes_on = DayField(_l("Closes on"), validators=[DataRequired(CLOSING_DATE_FORMAT)])
    other_boards = SelectMultipleField(
        _l("Ask these boards to list it too"),
        coerce=ascii_int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
        validators=[Optional()],
        description=_l(
            "Their coordinators accept or decline; on a board you coordinate it is listed at once."
        ),
    )

    def validate_other_boards(self, field: SelectMultipleField) -> None:
        offered = {choice.value for choice in field.choices or []}
        if any(value not in offered for value in field.data or []):
            # The same words for a board that does not exist and one the person may not read.
            raise ValidationError(_("There is no such board: choose among those listed."))


class SummaryForm(NewPostForm):
    """The summary of a closed consultation: a post, marked as such."""


class DecisionForm(ForumForm):
    """Accept or decline a listing request: the button pressed decides."""
