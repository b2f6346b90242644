"""Forms of the reports: the period of a new report, the narrative of a draft, and the
note of a correction."""

from datetime import date

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from forum.db import utcnow
from forum.forms import ForumForm, WholeNumberField, options
from forum.reports.models import SECTION_LABELS, Section
from forum.reports.services import MAX_NOTE_LENGTH, MAX_SECTION_LENGTH, quarter_bounds


class _DateField(DateField):
    """A date typed as year-month-day (browsers offer a calendar), with a message that
    says how to write it."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = date.fromisoformat(valuelist[0].strip())
        except ValueError as error:
            self.data = None
            raise ValueError(_("Write the date as year-month-day, such as 2026-03-31.")) from error


PERIOD_KINDS = [
    ("quarter", _l("A quarter")),
    ("year", _l("A year")),
    ("dates", _l("From one date to another")),
]


class PeriodForm(ForumForm):
    kind = RadioField(_l("Period"), choices=options(PERIOD_KINDS), default="quarter")
    year = WholeNumberField(_l("Year"))
    quarter = SelectField(
        _l("Quarter"),
        choices=options((str(n), _l("Q%(quarter)s", quarter=n)) for n in range(1, 5)),
        default="1",
    )
    start = _DateField(_l("First day"))
    end = _DateField(_l("Last day"))

    def period(self) -> tuple[date, date] | None:
        """The period chosen, once the form is valid."""
        if self.kind.data == "dates":
            return self.start.data, self.end.data
        if self.kind.data == "year":
            return date(self.year.data, 1, 1), date(self.year.data, 12, 31)
        return quarter_bounds(self.year.data, int(self.quarter.data))

    def validate_year(self, field: WholeNumberField) -> None:
        if self.kind.data in ("quarter", "year"):
            if field.data is None and not field.errors:
                raise ValidationError(_("Give the year."))
            if not 2003 <= field.data <= utcnow().year:
                raise ValidationError(_("Give a year from 2003 to %(year)s.", year=utcnow().year))

    def validate_start(self, field: _DateField) -> None:
        if self.kind.data == "dates" and field.data is None and not field.errors:
            raise ValidationError(_("Give the first day of the period."))

    def validate_end(self, field: _DateField) -> None:
        if self.kind.data != "dates":
            return
        if field.data is None and not field.errors:
            raise ValidationError(_("Give the last day of the period."))
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_("The last day of the period is before its first day."))


class _AtMost:
    """A length limit whose message writes the number in the reader's language."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, form: ForumForm, field: TextAreaField) -> None:
        if len(field.data or "") > self.limit:
            raise ValidationError(_("At most %(max)s characters.", max=format_number(self.limit)))


def _section_field(section: Section) -> TextAreaField:
    return TextAreaField(
        SECTION_LABELS[section],
        validators=[_AtMost(MAX_SECTION_LENGTH)],
        description=_l("Markdown. Link threads and posts of the forum to cite them.")
        if section == Section.SUMMARY
        else "",
    )


class NarrativeForm(ForumForm):
    summary = _section_field(Section.SUMMARY)
    progress = _section_field(Section.PROGRESS)
    stakeholders = _section_field(Section.STAKEHOLDERS)
    challenges = _section_field(Section.CHALLENGES)
    next_steps = _section_field(Section.NEXT_STEPS)
    # The revision the writer started from: a save over someone else's newer one is
    # shown first, the writer's text kept.
    based_on = HiddenField()

    def sections(self) -> dict[str, str]:
        return {section.value: self[section.value].data or "" for section in Section}


class CorrectionForm(ForumForm):
    note = TextAreaField(
        _l("What the correction changes"),
        validators=[
            DataRequired(_l("Say what the correction changes.")),
            _AtMost(MAX_NOTE_LENGTH),
        ],
        description=_l("Shown with the new version, and in the thread that submits it."),
    )
