"""The pseudo-locale en_XA: every message of the template in accented, bracketed English
("[Ŝîĝñ îñ]"), so that a page or a mail shown in it gives away, in plain letters, any text
that does not go through the catalogues. A development and test aid (PSEUDO_LOCALE),
never offered to readers."""

import copy
import os
import re
import secrets
from pathlib import Path
from typing import Any

from babel import localedata
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PSEUDO_LOCALE = "en_XA"
PSEUDO_NAME = "[Éñĝļîšħ]"

_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "åƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
# What a translation must keep as written: placeholders, HTML tags and entities.
_KEPT = re.compile(r"%\(\w+\)[sdr]|%[sd%]|%0?\d*[sd]|\{\w*\}|<[^>]*>|&#?\w+;")
# The parts of Babel's locale data that are words (month and day names, countries,
# languages, AM/PM, time zones, units), accented too so that dates and names formatted
# without the reader's locale show.
_LOCALE_WORDS = (
    "months", "days", "day_periods", "eras", "territories", "languages", "scripts",
    "date_fields", "unit_patterns", "time_zones", "meta_zones", "zone_formats",
)  # fmt: skip


def pseudo(text: str) -> str:
    """English text accented and bracketed, its placeholders, tags and entities kept."""
    if not text.strip():
        return text
    lead = text[: len(text) - len(text.lstrip())]
    tail = text[len(text.rstrip()) :]
    return f"{lead}[{_accent(text.strip())}]{tail}"


def _accent(text: str) -> str:
    accented, last = [], 0
    for kept in _KEPT.finditer(text):
        accented += [text[last : kept.start()].translate(_ACCENTED), kept.group()]
        last = kept.end()
    accented.append(text[last:].translate(_ACCENTED))
    return "".join(accented)


def pseudo_catalogue(template: Path) -> Catalog:
    """The template's every message (plural forms too) in the pseudo-locale."""
    with template.open("rb") as source:
        messages = read_po(source)
    catalogue = Catalog(locale="en", domain="messages")
    for message in messages:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            string: str | tuple[str, ...] = (pseudo(message.id[0]), pseudo(message.id[1]))
        else:
            string = pseudo(message.id)
        catalogue.add(message.id, string, context=message.context)
    return catalogue


def write_pseudo_catalogue(template: Path, directory: Path) -> None:
    """Compile the pseudo catalogue into `directory`/en_XA (written aside, then moved into
    place, so that several processes starting together each read a whole file)."""
    target = directory / PSEUDO_LOCALE / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    aside = target / f".messages.{os.getpid()}.{secrets.token_hex(4)}.mo"
    with aside.open("wb") as out:
        write_mo(out, pseudo_catalogue(template))
    aside.replace(target / "messages.mo")


def register_pseudo_locale() -> None:
    """Make Babel know en_XA: English locale data with its words accented."""
    data = copy.deepcopy(localedata.load("en"))
    for key in _LOCALE_WORDS:
        if key in data:
            data[key] = _accent_words(data[key])
    # Babel reads a locale's data from its cache before its files; en_XA has no file.
    localedata._cache[PSEUDO_LOCALE] = data


def _accent_words(value: Any) -> Any:
    if isinstance(value, str):
        return _accent(value)
    if isinstance(value, dict):
        return {key: _accent_words(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_accent_words(item) for item in value)
    return value
