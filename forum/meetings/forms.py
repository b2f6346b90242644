"""Forms for scheduling and changing meetings, answering, cancelling and the minutes."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forum.accounts.forms import timezone_choices
from forum.db import utcnow
from forum.forms import ForumForm, options
from forum.i18n import zone
from forum.meetings.models import ANSWER_LABELS, INVITEE_LABELS, Invitees, Meeting
from forum.meetings.services import MeetingDetails, check_details

_DATE = _l("Enter a date (year, month and day).")
_TIME = _l("Enter a time (hours and minutes).")


class _DateField(DateField):
    """A date, with a message that says what to write when it is not one."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_DATE)) from error


class _TimeField(TimeField):
    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_TIME)) from error


def _organiser_zone() -> str:
    return getattr(current_user, "timezone", None) or "UTC"


class MeetingForm(ForumForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the meeting a title.")), Length(max=200)]
    )
    start_date = _DateField(_l("Date"), validators=[InputRequired(_DATE)])
    start_time = _TimeField(_l("Starts at"), validators=[InputRequired(_TIME)])
    end_date = _DateField(
        _l("Ends on"),
        validators=[Optional()],
        description=_l("Leave empty for a meeting that ends the day it starts."),
    )
    end_time = _TimeField(_l("Ends at"), validators=[InputRequired(_TIME)])
    timezone = SelectField(
        _l("Time zone of these times"),
        choices=timezone_choices,
        default=_organiser_zone,
        validate_choice=False,
    )
    place = StringField(
        _l("Place"),
        validators=[Length(max=300)],
        description=_l("Where it is held (leave empty for a meeting only online)."),
    )
    online_link = StringField(_l("Online link"), validators=[Length(max=500)])
    dial_in = TextAreaField(
        _l("Dial-in details"), validators=[Length(max=2000)],
        description=_l("Telephone numbers and codes, for those who join by phone."),
    )  # fmt: skip
    agenda = TextAreaField(
        _l("Agenda"),
        description=_l("Markdown: a numbered list (1. 2. 3.) for the items."),
    )
    documents = TextAreaField(
        _l("Documents"), description=_l("Links to the meeting's documents, one a line.")
    )
    invitees = RadioField(
        _l("Who is invited by email"),
        choices=options(INVITEE_LABELS.items()),
        default=Invitees.MEMBERS.value,
        validate_choice=False,
    )
    reason = StringField(
        _l("What changed (shown in the moderation log)"),
        validators=[Optional(), Length(max=500)],
    )

    @classmethod
    def of(cls, meeting: Meeting) -> "MeetingForm":
        """The form filled with a meeting, in its organiser's time zone."""
        timezone = zone(meeting.timezone)
        starts, ends = meeting.starts_at.astimezone(timezone), meeting.ends_at.astimezone(timezone)
        return cls(
            data={
                "title": meeting.title,
                "start_date": starts.date(),
                "start_time": starts.time().replace(tzinfo=None),
                "end_date": ends.date(),
                "end_time": ends.time().replace(tzinfo=None),
                "timezone": meeting.timezone,
                "place": meeting.place,
                "online_link": meeting.online_link,
                "dial_in": meeting.dial_in,
                "agenda": meeting.agenda_source,
                "documents": "\n".join(meeting.documents),
                "invitees": meeting.invitees.value,
            }
        )

    def details(self) -> MeetingDetails:
        invitees = self.invitees.data
        return MeetingDetails(
            title=self.title.data or "",
            start_date=self.start_date.data,
            start_time=self.start_time.data,
            end_date=self.end_date.data or self.start_date.data,
            end_time=self.end_time.data,
            timezone=self.timezone.data or "",
            place=self.place.data or "",
            online_link=self.online_link.data or "",
            dial_in=self.dial_in.data or "",
            agenda=(self.agenda.data or "").replace("\r\n", "\n"),
            documents=(self.documents.data or "").split(),
            invitees=Invitees(invitees) if invitees in set(Invitees) else Invitees.MEMBERS,
        )

    def validate(self, extra_validators: dict | None = None) -> bool:
        """The fields, then the meeting as a whole (its times, zone, length, agenda),
        each error beside the field it is about."""
        if not super().validate(extra_validators):
            return False
        if self.invitees.data not in set(Invitees):
            self.invitees.errors = [_("Choose who is invited.")]
            return False
        problems = check_details(self.details(), now=utcnow())
        for name, message in problems.items():
            getattr(self, name).errors = [message]
        return not problems


class AnswerForm(ForumForm):
    answer = RadioField(
        _l("Will you attend?"),
        choices=options(ANSWER_LABELS.items()),
        validators=[InputRequired(_l("Choose one."))],
    )


class CancelForm(ForumForm):
    id_prefix = "cancel"
    reason = StringField(
        _l("Why it is cancelled (shown in the moderation log and the cancellation)"),
        validators=[DataRequired(_l("Say why the meeting is cancelled.")), Length(max=500)],
    )


class MinutesForm(ForumForm):
    body = TextAreaField(
        _l("Minutes"),
        validators=[DataRequired(_l("Write the minutes."))],
        description=_l("Markdown. They are posted in the meeting's thread, marked as its minutes."),
    )
