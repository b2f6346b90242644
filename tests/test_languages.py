"""Choosing the language: the browser's, the switcher's (no account, no JavaScript), the
account's; said in Content-Language and Vary, and never given to another reader."""

import re

import pytest

from forum.extensions import db
from tests.helpers import text_of

_HTML_TAG = re.compile(r'<html lang="([^"]+)" dir="([^"]+)">')


def _lang_and_dir(response) -> tuple[str, str]:
    found = _HTML_TAG.search(text_of(response))
    assert found, "no html element"
    return found.group(1), found.group(2)


@pytest.mark.parametrize(
    ("accept", "lang", "direction"),
    [
        ("ar-EG,ar;q=0.9", "ar", "rtl"),
        ("zh-CN,zh;q=0.9", "zh-Hans", "ltr"),
        ("zh-CN", "zh-Hans", "ltr"),
        ("fr-CA,fr;q=0.8", "fr", "ltr"),
        ("ru", "ru", "ltr"),
        ("es-419", "es", "ltr"),
        ("pt-BR", "en", "ltr"),
    ],
)
def test_the_browsers_language_is_offered_to_anyone(client, accept, lang, direction):
    response = client.get("/", headers={"Accept-Language": accept})

    assert _lang_and_dir(response) == (lang, direction)
    assert response.headers["Content-Language"] == lang
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_the_switcher_works_without_an_account(client):
    chosen = client.post("/language", data={"lang": "ru", "next": "/search?q=x"})

    assert chosen.status_code == 302
    assert chosen.location == "/search?q=x"
    page = client.get("/", headers={"Accept-Language": "fr"})
    assert _lang_and_dir(page) == ("ru", "ltr")


def test_the_switcher_is_on_every_page_and_names_each_language_in_itself(client):
    page = text_of(client.get("/"))

    assert 'action="/language"' in page
    for code, name in (("ar", "العربية"), ("zh-Hans", "中文"), ("es", "Español")):
        assert f'lang="{code}"' in page
        assert name in page


def test_an_unknown_language_is_refused(client):
    assert client.post("/language", data={"lang": "xx"}).status_code == 400


def test_the_switcher_never_sends_anyone_to_another_site(client):
    response = client.post("/language", data={"lang": "es", "next": "//evil.example/"})

    assert response.location == "/"


def test_a_signed_in_persons_choice_is_kept_in_their_settings(client, sign_in, make_user):
    person = make_user()
    sign_in(person)

    client.post("/language", data={"lang": "ar"})

    db.session.refresh(person)
    assert person.locale == "ar"
    client.delete_cookie("lang")
    assert _lang_and_dir(client.get("/", headers={"Accept-Language": "en"})) == ("ar", "rtl")


def test_one_readers_language_never_reaches_another_through_the_page_cache(app):
    arabic, english = app.test_client(), app.test_client()

    first = arabic.get("/", headers={"Accept-Language": "ar"})
    second = english.get("/", headers={"Accept-Language": "en"})

    assert _lang_and_dir(first)[0] == "ar"
    assert _lang_and_dir(second)[0] == "en"
