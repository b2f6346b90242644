"""The language each message is worded in: its recipient's account setting, or, for an
address with no account, the language of the message being answered (its
Content-Language header, else the script it is written in), else English.

Scripts tell Arabic, Russian and Chinese apart from the rest; French, Spanish and
English share the Latin script, so text in it alone is answered in English."""

from contextlib import AbstractContextManager
from email.message import Message

from flask import current_app
from flask_babel import force_locale

from forum.accounts.models import User

DEFAULT_LANGUAGE = "en"
# Unicode blocks of the scripts that name one of the forum's languages.
_SCRIPTS = {
    "ar": ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
           (0xFE70, 0xFEFF)),
    "ru": ((0x0400, 0x052F),),
    "zh_Hans": ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)),
}  # fmt: skip


def _languages() -> dict[str, str]:
    return current_app.config["LANGUAGES"]


def language_of(user: User | None) -> str:
    """An account's language, or the forum's default for none (or an unknown setting)."""
    locale = user.locale if user is not None else None
    return locale if locale in _languages() else DEFAULT_LANGUAGE


def language_of_tags(header: str) -> str | None:
    """The first of the forum's languages a Content-Language header names (by primary
    tag: `ar-EG` is Arabic, `zh-CN` Chinese)."""
    ours = {code.split("_")[0]: code for code in _languages()}
    for tag in header.split(","):
        code = ours.get(tag.strip().replace("_", "-").split("-")[0].lower())
        if code:
            return code
    return None


def _script_of(character: str) -> str | None:
    point = ord(character)
    for language, blocks in _SCRIPTS.items():
        if any(start <= point <= end for start, end in blocks):
            return language
    return None


def language_of_text(text: str) -> str | None:
    """Arabic, Russian or Chinese when most letters of the text are in that script."""
    counts: dict[str | None, int] = {}
    for character in text:
        if character.isalpha():
            script = _script_of(character)
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    best = max(counts, key=lambda script: counts[script])
    return best if best in _languages() else None


def language_of_message(message: Message | None, subject: str, text: str) -> str:
    """The language a received message is written in, as far as it can be told."""
    header = str(message.get("Content-Language", "")) if message is not None else ""
    return language_of_tags(header) or language_of_text(f"{subject}\n{text}") or DEFAULT_LANGUAGE


def worded_for(user: User | None) -> AbstractContextManager[None]:
    """Words and dates rendered inside are in this account's language."""
    return force_locale(language_of(user))
