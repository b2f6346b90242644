"""The reader's language, and locale-aware formatting cheap enough for every post on a
page."""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icu
import pycountry
from babel import Locale
from babel.dates import (
    DateTimePattern,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
from babel.lists import format_list
from babel.support import NullTranslations
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import get_locale, get_timezone, get_translations
from flask_login import current_user
from markupsafe import Markup

# The cookie that remembers the language a reader chose with the switcher.
LANGUAGE_COOKIE = "lang"


def translations() -> NullTranslations:
    """The catalogue of the current language, as Flask-Babel's `get_translations` gives
    it, kept for the request under the locale it is for: asking Flask-Babel costs some
    25 µs a string (the locale and the catalogue looked up again each time), and a page
    says thirty or more. `force_locale` puts another locale in place (and back after),
    which this notices."""
    try:
        state = g._get_current_object()._flask_babel
        kept = state.forum_translations
        if kept[0] is state.babel_locale:
            return kept[1]
    except AttributeError:
        pass
    found = get_translations()
    state = getattr(g, "_flask_babel", None)
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        state.forum_translations = (locale, found)
    return found


def install_fast_gettext(app: Flask) -> None:
    """Templates' `_`, `ngettext` and `pgettext` through `translations`."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


def interface_languages() -> dict[str, str]:
    """The languages pages and mail can be in: the forum's six, and the pseudo-locale when
    PSEUDO_LOCALE is set (never a language posts are written in)."""
    languages = current_app.config["LANGUAGES"]
    if current_app.config["PSEUDO_LOCALE"]:
        from forum.pseudo import PSEUDO_LOCALE, PSEUDO_NAME

        return {**languages, PSEUDO_LOCALE: PSEUDO_NAME}
    return languages


def select_locale() -> str | None:
    """The language of a page: a signed-in person's setting, else the one chosen with the
    switcher (a cookie), else the browser's best offer among the forum's languages; the
    default outside requests."""
    if not has_request_context():
        return None
    languages = interface_languages()
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return browser_locale()


def browser_locale() -> str | None:
    """The language the browser asks for: the switcher's cookie, else its best offer among
    the forum's languages (what a page built without the database can know)."""
    languages = interface_languages()
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or _by_primary_tag(languages)


def _by_primary_tag(languages: dict[str, str]) -> str | None:
    """The forum's language for the browser's best-liked one, by its primary tag alone
    (a browser sending only `zh-CN` gets zh_Hans, only `ar-EG` Arabic)."""
    ours: dict[str, str] = {}
    for code in languages:
        ours.setdefault(code.split("_")[0], code)
    for tag, _quality in request.accept_languages:
        code = ours.get(tag.replace("_", "-").split("-")[0].lower())
        if code:
            return code
    return None


def country_names() -> dict[str, str]:
    """Every country by its ISO code, named in the reader's language (CLDR's names), in
    that language's order (see `collation_key`)."""
    return _country_names(str(get_locale() or "en"))


@cache
def _country_names(locale_name: str) -> dict[str, str]:
    territories = Locale.parse(locale_name).territories
    named = {
        country.alpha_2: territories.get(country.alpha_2) or country.name
        for country in pycountry.countries
    }
    key = collation_key(locale_name)
    return dict(sorted(named.items(), key=lambda item: key(item[1])))


def collation_key(locale_name: str) -> Callable[[str], bytes]:
    """A sort key for text in the language's alphabetical order: ICU's collation, with
    CLDR's rules for the language (Åland among the A's, Spanish ñ after n, Chinese by
    pinyin); case-folding sorts by code point, Åland after Z."""
    return _collator(locale_name).getSortKey


@cache
def _collator(locale_name: str) -> icu.Collator:
    return icu.Collator.createInstance(icu.Locale(locale_name))


def listing(items: Iterable[str]) -> str:
    """Items as a list in the reader's language ("a, b, c" with its own commas)."""
    return format_list(list(items), style="unit", locale=get_locale() or Locale.parse("en"))


def language_tag(locale: object) -> str:
    """A locale as an HTML `lang` / Content-Language tag: zh_Hans is zh-Hans."""
    return str(locale or "en").replace("_", "-")


def say_language(response: Response) -> Response:
    """Content-Language, and Vary on what chose it (the browser's header and the cookie,
    which also carries the session), so that no cache gives one reader's language to
    another."""
    response.headers.setdefault("Content-Language", language_tag(get_locale()))
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def isolate(text: object) -> Markup:
    """People's text (a name, a title) set apart from the sentence around it, so that
    Arabic in an English line, or English in an Arabic one, keeps its own direction."""
    return Markup("<bdi>%s</bdi>") % text


def zone(name: str | None) -> ZoneInfo:
    """The named time zone, or UTC when the name is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# Zone names that mean UTC itself, written as such ("UTC", "TU" in French) rather than
# as an offset.
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Etc/Universal", "Zulu"})


@cache
def _when_pattern(locale_name: str, *, utc: bool) -> DateTimePattern:
    """The locale's medium date with its short time and the zone: "Nov 22, 2026, 4:45 PM
    UTC", or the localised GMT offset ("GMT+03:00", "UTC+03:00" in French) for any other
    zone, shorter and less ambiguous than the zone's long name."""
    locale = Locale.parse(locale_name)
    combined = get_datetime_format("medium", locale=locale)
    date = get_date_format("medium", locale=locale).pattern
    time = get_time_format("short", locale=locale).pattern
    moment = combined.replace("{1}", date).replace("{0}", time)
    return parse_pattern(f"{moment} {'z' if utc else 'ZZZZ'}")


def format_when(value: datetime) -> str:
    """A moment in the reader's time zone and language, with that zone shown."""
    return when_formatter()(value)


def when_formatter() -> Callable[[datetime], str]:
    """`format_when` with the locale and time zone looked up once, for long listings.

    The moments last written in this language and zone are kept (2,048 of them, for 64
    languages and zones): listings show the same ones request after request (a board's threads'
    last posts), and Babel takes 20 to 40 µs for each."""
    locale = get_locale() or Locale.parse("en")
    timezone = get_timezone()
    return _written(str(locale), str(timezone), timezone)


@lru_cache(maxsize=64)
def _written(locale_name: str, zone_name: str, timezone: tzinfo) -> Callable[[datetime], str]:
    locale = Locale.parse(locale_name)
    pattern = _when_pattern(locale_name, utc=zone_name in _UTC_NAMES)

    @lru_cache(maxsize=2048)
    def write(value: datetime) -> str:
        return pattern.apply(value.astimezone(timezone), locale)

    return write


def machine_time(value: datetime) -> str:
    """A moment as a `datetime` attribute holds it: UTC to the whole second, zone named
    ("2026-12-05T14:00:53Z"; HTML takes at most three digits of a fraction)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_moment(value: datetime, timezone: ZoneInfo) -> str:
    """A moment in the given time zone, in the current language (mail, which is worded
    for a person other than the request's)."""
    locale = get_locale() or Locale.parse("en")
    pattern = _when_pattern(str(locale), utc=str(timezone) in _UTC_NAMES)
    return pattern.apply(value.astimezone(timezone), locale)
