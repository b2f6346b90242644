"""What every form of the forum shares: the base form, and small helpers."""

from collections.abc import Iterable
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from forum.text import code_points, control_characters


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Choices for a SelectField or RadioField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[arg-type]


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


class ForumForm(FlaskForm):
    """The base of every form here. Reads the submitted fields only: an uploaded file
    or a JSON body never reaches a field (fields would be handed objects they cannot
    read), and a form whose field was sent a file is refused, saying so. Every text field
    is checked by `PlainText` before its own validators."""

    uploaded_names: frozenset[str] = frozenset()
    files_message = _l("Files are not taken here: type or paste the text instead.")

    class Meta(FlaskForm.Meta):
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
            return field

    def validate(self, extra_validators: dict | None = None) -> bool:
        valid = super().validate(extra_validators)
        sent_files = [field for field in self if field.name in self.uploaded_names]
        for field in sent_files:
            field.errors = [str(self.files_message)]
        return valid and not sent_files
