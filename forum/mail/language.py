"""The language each message is worded in: its recipient's account setting, or, for an
address with no account, the language of the message being answered (its
Content-Language header, else the language its text is written in), else English.

A text's language: its script when most of its letters are Arabic, Cyrillic (Russian) or
CJK ideographs (Chinese); else, for Latin letters, English, French or Spanish as told by
py3langid (langid.py's model, restricted to those three), when it is confident; text too
short to tell is left undecided."""

import threading
from contextlib import AbstractContextManager
from email.message import Message
from typing import Any

from flask import current_app
from flask_babel import force_locale

from forum.accounts.models import User
from forum.i18n import interface_languages

DEFAULT_LANGUAGE = "en"
# Unicode blocks of the scripts that name one of the forum's languages.
_SCRIPTS = {
    "ar": ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
           (0xFE70, 0xFEFF)),
    "ru": ((0x0400, 0x052F),),
    "zh_Hans": ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)),
}  # fmt: skip


# Latin letters (Basic Latin to Latin Extended-B).
_LATIN_SCRIPT, _LATIN_END = "latin", 0x024F
# Latin-script languages of the forum that the identifier tells apart, in its codes.
_LATIN = ("en", "fr", "es")
# Below this many letters, or this confidence, a Latin text's language is not told.
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.9
# The identifier reads this much of a text at most (its opening says enough).
_READ_AT_MOST = 2000


def _languages() -> dict[str, str]:
    return current_app.config["LANGUAGES"]


def language_of(user: User | None) -> str:
    """An account's language, or the forum's default for none (or an unknown setting)."""
    locale = user.locale if user is not None else None
    return locale if locale in interface_languages() else DEFAULT_LANGUAGE


def language_of_tags(header: str, languages: dict[str, str] | None = None) -> str | None:
    """The first of the forum's languages a Content-Language header names (by its whole
    tag, else its primary tag: `ar-EG` is Arabic, `zh-CN` Chinese)."""
    languages = _languages() if languages is None else languages
    ours: dict[str, str] = {}
    for code in languages:
        ours[code.replace("_", "-").lower()] = code
        ours.setdefault(code.split("_")[0], code)
    for tag in header.split(","):
        tag = tag.strip().replace("_", "-").lower()
        code = ours.get(tag) or ours.get(tag.split("-")[0])
        if code:
            return code
    return None


def _script_of(character: str) -> str | None:
    point = ord(character)
    if point <= _LATIN_END:
        return _LATIN_SCRIPT
    for language, blocks in _SCRIPTS.items():
        if any(start <= point <= end for start, end in blocks):
            return language
    return None


def language_of_text(text: str) -> str | None:
    """Arabic, Russian or Chinese when most letters of the text are in that script;
    English, French or Spanish when they are Latin and the identifier is sure; else
    None."""
    text = text[:_READ_AT_MOST]
    counts: dict[str | None, int] = {}
    for character in text:
        if character.isalpha():
            script = _script_of(character)
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    best = max(counts, key=lambda script: counts[script])
    if best != _LATIN_SCRIPT:
        return best if best in _languages() else None
    if counts[best] < MIN_LETTERS:
        return None
    language, confidence = _identifier().classify(text)
    if confidence < MIN_CONFIDENCE or language not in _languages():
        return None
    return language


_loaded: dict[str, Any] = {}
_loading = threading.Lock()


def _identifier() -> Any:
    """py3langid's identifier for the Latin languages, loaded once per process on first
    use (it takes under a second, and most processes never need it)."""
    with _loading:
        if "identifier" not in _loaded:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(_LATIN))
            _loaded["identifier"] = identifier
        return _loaded["identifier"]


def language_of_message(message: Message | None, subject: str, text: str) -> str:
    """The language a received message is written in, as far as it can be told (the
    pseudo-locale too, named in Content-Language, when it is on)."""
    header = str(message.get("Content-Language", "")) if message is not None else ""
    return (
        language_of_tags(header, interface_languages())
        or language_of_text(f"{subject}\n{text}")
        or DEFAULT_LANGUAGE
    )


def worded_for(user: User | None) -> AbstractContextManager[None]:
    """Words and dates rendered inside are in this account's language."""
    return force_locale(language_of(user))
