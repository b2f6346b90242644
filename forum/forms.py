"""What every form of the forum shares: the base form, and small helpers."""

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from babel import support
from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, HiddenField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError
from wtforms.widgets import HiddenInput

from forum.text import code_points, control_characters

_ASCII_DIGITS = re.compile(r"[0-9]+")


@cache
def _wtforms_messages(locale: str) -> support.NullTranslations:
    """WTForms' own messages in this language, read once a process (Flask-WTF reads the
    catalogue again for every request that builds a form)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Choices for a SelectField or RadioField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[arg-type]


def ascii_int(value: object) -> int:
    """A whole number from a form, written with the digits 0 to 9 only (the `coerce` of
    number choices). Python's `int` also reads other scripts' digits ("१२३" is 123),
    "+123" and "1_23"; here they raise ValueError, as anything else does."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _ASCII_DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError(value)


class WholeNumberField(IntegerField):
    """An IntegerField that takes the digits 0 to 9 and nothing else; an empty field is
    left to the field's required-ness validator."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = ascii_int(valuelist[0])
        except ValueError as error:
            self.data = None
            raise ValueError(_("Enter a number using the digits 0 to 9.")) from error


class PlainText:
    """A text field holds no control character (line breaks and tabs are text in a field
    of several lines). Passwords are never shown or written out: they may."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if isinstance(field, PasswordField) or not isinstance(field.data, str):
            return
        found = control_characters(field.data, multiline=isinstance(field, TextAreaField))
        if found:
            raise ValidationError(
                _("This holds control characters (%(chars)s) that cannot be shown: remove them.",
                  chars=code_points(found))
            )  # fmt: skip


_PLAIN_TEXT = PlainText()


class _HiddenInput(HiddenInput):
    """A hidden field without an id: nothing labels or points at it, and a page with
    several forms would otherwise repeat `csrf_token` as an id. Written out directly
    (the markup WTForms would make, in a tenth of its time): every signed-in page
    carries several."""

    def __call__(self, field: Field, **kwargs: object) -> str:
        if kwargs:
            kwargs.setdefault("id", False)
            return super().__call__(field, **kwargs)
        return Markup('<input name="%s" type="hidden" value="%s">') % (field.name, field._value())


_HIDDEN_INPUT = _HiddenInput()


class ForumForm(FlaskForm):
    """The base of every form here. Reads the submitted fields only: an uploaded file
    or a JSON body never reaches a field (fields would be handed objects they cannot
    read), and a form whose field was sent a file is refused, saying so. Every text field
    is checked by `PlainText` before its own validators."""

    uploaded_names: frozenset[str] = frozenset()
    files_message = _l("Files are not taken here: type or paste the text instead.")
    # Forms that share a page with others of the same fields start their fields' ids with
    # this ("ban-email"), so that no id is repeated; the fields' names stay as they are.
    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.id_prefix:
            for field in self:
                field.id = field.label.field_id = f"{self.id_prefix}-{field.id}"

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: "ForumForm") -> support.NullTranslations:
            return _wtforms_messages(str(get_locale()))

        def wrap_formdata(self, form: "ForumForm", formdata: Any) -> Any:
            wrapped = super().wrap_formdata(form, formdata)
            if wrapped is formdata or wrapped is None:
                return wrapped
            if request.files:
                form.uploaded_names = frozenset(request.files)
                return request.form
            return wrapped if wrapped is request.form else None

        def bind_field(self, form: "ForumForm", unbound_field: Any, options: dict) -> Field:
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField) and not isinstance(field, HiddenField):
                field.validators = [_PLAIN_TEXT, *field.validators]
            if type(field.widget) is HiddenInput:
                field.widget = _HIDDEN_INPUT
            return field

    def validate(self, extra_validators: dict | None = None) -> bool:
        valid = super().validate(extra_validators)
        sent_files = [field for field in self if field.name in self.uploaded_names]
        for field in sent_files:
            field.errors = [str(self.files_message)]
        return valid and not sent_files
