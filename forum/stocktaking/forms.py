"""The entry form and the reviewers' form. Each message says what to fix; what was
typed is kept."""

import re
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from forum.accounts.forms import country_choices, own_group_choices
from forum.accounts.models import StakeholderGroup, User
from forum.boards.models import Board
from forum.forms import ForumForm, ascii_int, options
from forum.stocktaking.models import SCOPE_LABELS, STATUS_LABELS, Entry, EntryStatus, Scope
from forum.stocktaking.services import (
    MAX_ACTION_LINES,
    MAX_COUNTRIES,
    SUMMARY_MAX_LENGTH,
    EntryData,
    unknown_countries,
)

_CODES = re.compile(r"[\s,;]+")
_WEB_ADDRESS = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


class DayField(DateField):
    """A day written year-month-day, as date inputs send it, with a message that says so."""

    def process_formdata(self, valuelist: list[str]) -> None:
        written = valuelist[0].strip() if valuelist else ""
        if not written:
            self.data = None
            return
        try:
            self.data = datetime.strptime(written, "%Y-%m-%d").date()
        except ValueError as error:
            self.data = None
            raise ValueError(
                _("This is not a date: write it as year-month-day, like 2025-07-31.")
            ) from error


class LinesField(SelectMultipleField):
    """Checkboxes of action lines: any number up to the limit, each one of the list."""

    def pre_validate(self, form: ForumForm) -> None:
        known = {value for value, _label, *_rest in self.iter_choices()}
        if any(value not in known for value in self.data or []):
            raise ValidationError(_("Choose action lines from the list."))


def _board_id(value: object) -> int:
    """A board's id as sent; anything else is an id no board has, which the field's
    validation then names."""
    try:
        return ascii_int(value)
    except ValueError:
        return -1


def _codes(text: str) -> list[str]:
    return [code.upper() for code in _CODES.split(text or "") if code]


class EntryForm(ForumForm):
    title = StringField(
        _l("Title of the activity"),
        validators=[DataRequired(_l("Give the activity a title.")), Length(max=200)],
    )
    summary = TextAreaField(
        _l("Summary"),
        description=_l(
            "What the activity does, for whom, and what it has achieved. Markdown "
            "formatting works as in posts."
        ),
        validators=[DataRequired(_l("Describe the activity in a few sentences."))],
    )
    organisation = StringField(
        _l("Organisation"),
        validators=[DataRequired(_l("Name the organisation that leads it.")), Length(max=200)],
    )
    stakeholder_group = SelectField(
        _l("Stakeholder group of the organisation"),
        choices=own_group_choices,
        validators=[DataRequired(_l("Choose the organisation's stakeholder group."))],
    )
    lead_country = SelectField(
        _l("Lead country"),
        choices=country_choices,
        validators=[DataRequired(_l("Choose the country that leads the activity."))],
    )
    scope = RadioField(
        _l("Where it takes place"),
        choices=options((scope.value, label) for scope, label in SCOPE_LABELS.items()),
        default=Scope.COUNTRIES.value,
        validators=[DataRequired(_l("Say where the activity takes place."))],
    )
    countries = StringField(
        _l("Other countries covered"),
        description=_l("Two-letter ISO codes separated by commas, like KE, TZ, UG."),
        validators=[Optional(), Length(max=400)],
    )
    first_line = SelectField(
        _l("Main action line"),
        description=_l("Its discussion thread is opened on this action line's board."),
        coerce=_board_id,
        validate_choice=False,
    )
    other_lines = LinesField(
        _l("Other action lines it serves"),
        coerce=_board_id,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
    )
    status = RadioField(
        _l("Status"),
        choices=options((status.value, label) for status, label in STATUS_LABELS.items()),
        validators=[DataRequired(_l("Say whether it is planned, ongoing or completed."))],
    )
    start_date = DayField(
        _l("Start date"), validators=[InputRequired(_l("Give the date it starts or started."))]
    )
    end_date = DayField(_l("End date"), validators=[Optional()])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=500)])
    contact_name = StringField(
        _l("Public contact"),
        description=_l("A name, a role or a web contact form."),
        validators=[Optional(), Length(max=200)],
    )
    contact_email = EmailField(
        _l("Contact email address"),
        validators=[
            Optional(),
            Email(_l("Enter a valid email address, like name@example.org."),
                  check_deliverability=False),
            Length(max=254),
        ],
    )  # fmt: skip
    show_email = BooleanField(_l("Show this email address on the public page and in the open data"))
    keywords = StringField(
        _l("Keywords"), description=_l("Separated by commas."),
        validators=[Optional(), Length(max=500)],
    )  # fmt: skip
    colleagues_may_edit = BooleanField(_l("Let the accounts of my organisation update this entry"))

    def set_lines(self, boards: list[Board]) -> None:
        self.first_line.choices = options(
            [(0, _l("— Choose an action line —")), *((b.id, b.label) for b in boards)]
        )
        self.other_lines.choices = options((board.id, board.label) for board in boards)

    def fill_from_person(self, user: User) -> None:
        self.organisation.data = user.organisation
        self.stakeholder_group.data = user.stakeholder_group.value
        self.lead_country.data = user.country or ""

    def fill_from_entry(self, entry: Entry) -> None:
        ids = [line.board_id for line in entry.lines]
        self.title.data, self.summary.data = entry.title, entry.summary_source
        self.organisation.data = entry.organisation
        self.stakeholder_group.data = entry.stakeholder_group.value
        self.lead_country.data, self.scope.data = entry.lead_country, entry.scope.value
        self.countries.data = ", ".join(entry.country_codes[1:])
        self.first_line.data, self.other_lines.data = ids[0], ids[1:]
        self.status.data = entry.status.value
        self.start_date.data, self.end_date.data = entry.start_date, entry.end_date
        self.website.data, self.contact_name.data = entry.website, entry.contact_name
        self.contact_email.data, self.show_email.data = entry.contact_email, entry.show_email
        self.keywords.data = entry.keywords
        self.colleagues_may_edit.data = entry.colleagues_may_edit

    def validate_summary(self, field: TextAreaField) -> None:
        if len(field.data or "") > SUMMARY_MAX_LENGTH:
            raise ValidationError(
                _("This is %(length)d characters long; the limit is %(limit)d.",
                  length=len(field.data), limit=SUMMARY_MAX_LENGTH)
            )  # fmt: skip

    def validate_countries(self, field: StringField) -> None:
        codes = _codes(field.data)
        unknown = unknown_countries(codes)
        if unknown:
            raise ValidationError(
                _("Unknown country code: %(codes)s. Use two-letter ISO codes (KE).",
                  codes=", ".join(unknown[:10]))
            )  # fmt: skip
        if len(set(codes)) > MAX_COUNTRIES:
            raise ValidationError(
                _("List at most %(limit)d countries; for more, say the activity is regional "
                  "or global.", limit=MAX_COUNTRIES)
            )  # fmt: skip

    def validate_lead_country(self, field: SelectField) -> None:
        if field.data and unknown_countries([field.data]):
            raise ValidationError(
                _("Unknown country code: %(codes)s. Use two-letter ISO codes (KE).",
                  codes=field.data[:10])
            )  # fmt: skip

    def validate_first_line(self, field: SelectField) -> None:
        known = {value for value, _label, *_rest in field.iter_choices()}
        if not field.data or field.data not in known:
            raise ValidationError(_("Choose the action line the activity serves."))

    def validate_other_lines(self, field: LinesField) -> None:
        lines = {self.first_line.data, *(field.data or [])} - {None, 0}
        if len(lines) > MAX_ACTION_LINES:
            raise ValidationError(
                _("Choose at most %(limit)d action lines: the ones the activity serves most "
                  "directly.", limit=MAX_ACTION_LINES)
            )  # fmt: skip

    def validate_end_date(self, field: DayField) -> None:
        start, end = self.start_date.data, field.data
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise ValidationError(_("The end date is before the start date."))
        if end is None and self.status.data == EntryStatus.COMPLETED.value:
            raise ValidationError(_("Give the end date of a completed activity."))

    def validate_website(self, field: StringField) -> None:
        if field.data and not _WEB_ADDRESS.fullmatch(field.data.strip()):
            raise ValidationError(_("Give the full address, starting with https://"))

    def data_for_service(self) -> EntryData:
        return EntryData(
            title=self.title.data or "",
            summary=(self.summary.data or "").replace("\r\n", "\n"),
            organisation=self.organisation.data or "",
            stakeholder_group=StakeholderGroup(self.stakeholder_group.data),
            lead_country=self.lead_country.data or "",
            scope=Scope(self.scope.data),
            countries=_codes(self.countries.data),
            board_ids=[self.first_line.data, *(self.other_lines.data or [])],
            status=EntryStatus(self.status.data),
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            website=self.website.data or "",
            contact_name=self.contact_name.data or "",
            contact_email=self.contact_email.data or "",
            show_email=bool(self.show_email.data),
            keywords=self.keywords.data or "",
            colleagues_may_edit=bool(self.colleagues_may_edit.data),
        )


class ReviewForm(ForumForm):
    id_prefix = "review"
    decision = RadioField(
        _l("Decision"),
        choices=options([("publish", _l("Publish it")),
                         ("return", _l("Ask for changes (say which)")),
                         ("reject", _l("Reject it (say why)"))]),
        validators=[DataRequired(_l("Choose a decision."))],
    )  # fmt: skip
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
