"""Locale-aware formatting that is cheap enough for every post on a page."""

from collections.abc import Callable
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import (
    DateTimePattern,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
from flask_babel import get_locale, get_timezone


def zone(name: str | None) -> ZoneInfo:
    """The named time zone, or UTC when the name is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@cache
def _when_pattern(locale_name: str) -> DateTimePattern:
    """The locale's medium date with its short time ("Nov 22, 2026, 4:45 PM" in English)."""
    locale = Locale.parse(locale_name)
    combined = get_datetime_format("medium", locale=locale)
    date = get_date_format("medium", locale=locale).pattern
    time = get_time_format("short", locale=locale).pattern
    return parse_pattern(combined.replace("{1}", date).replace("{0}", time))


def format_when(value: datetime) -> str:
    """A moment in the reader's time zone and language."""
    return when_formatter()(value)


def when_formatter() -> Callable[[datetime], str]:
    """`format_when` with the locale and time zone looked up once, for long listings."""
    locale = get_locale() or Locale.parse("en")
    timezone = get_timezone()
    pattern = _when_pattern(str(locale))
    return lambda value: pattern.apply(value.astimezone(timezone), locale)
