"""Characters that text from people may not hold, and making stored text safe to write
into mail headers and XML.

Forms refuse control characters (`control_characters`); the writers of headers and
feeds clean whatever is stored anyway (`one_line`, `xml_text`), since older versions,
mail or other programs may have stored some.
"""

import re
import unicodedata

# Line breaks and tabs, which bodies may hold.
_BODY_WHITESPACE = frozenset("\t\n\r")
# What `str.splitlines` breaks on besides \n and \r; the email package refuses these in
# headers, and readers of a single line would break it there.
_LINE_SEPARATORS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# XML 1.0 allows tab, line feed, carriage return and these ranges only.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_REPLACEMENT = "\ufffd"


def _refused(char: str, *, multiline: bool) -> bool:
    if multiline and char in _BODY_WHITESPACE:
        return False
    category = unicodedata.category(char)
    return (
        category in {"Cc", "Cs"}
        or (not multiline and char in _LINE_SEPARATORS)
        or char in "\ufffe\uffff"
    )


def control_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The control characters in `text`, once each, in order of appearance: every one for
    a single line; all but line breaks and tabs (and Unicode's line and paragraph
    separators) for text of several lines."""
    found: dict[str, None] = {}
    for char in text:
        if char not in found and _refused(char, multiline=multiline):
            found[char] = None
    return list(found)


def code_points(chars: list[str]) -> str:
    """`U+000B, U+0000`: characters named so that a message can show them."""
    return ", ".join(f"U+{ord(char):04X}" for char in chars)


def one_line(text: str) -> str:
    """`text` as one line for a mail header: control characters and line breaks become
    spaces, runs of spaces one, the ends trimmed."""
    cleaned = "".join(" " if _refused(char, multiline=False) else char for char in text)
    return " ".join(cleaned.split())


def without_control_characters(text: str) -> str:
    """Text of several lines with the characters `control_characters` finds taken out (for
    mail, whose sender cannot be asked to type it again)."""
    return "".join(char for char in text if not _refused(char, multiline=True))


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 forbids replaced by U+FFFD, so a document
    holding it stays well-formed."""
    return _NOT_XML.sub(_REPLACEMENT, text)


# A cell starting with one of these is read as a formula by spreadsheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_cell(value: object) -> str:
    """The value as text for a CSV cell, with a leading apostrophe where a spreadsheet
    would otherwise take it for a formula (OWASP's advice on CSV injection)."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
