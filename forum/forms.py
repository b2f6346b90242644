"""Small helpers shared by the features' forms."""

import re
from collections.abc import Iterable

from flask_babel import gettext as _
from wtforms import IntegerField
from wtforms.fields.choices import SelectChoice

_ASCII_DIGITS = re.compile(r"[0-9]+")


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
