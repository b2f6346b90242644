"""The header's and footer's parts that are the same for every reader of a language are
kept once rendered: each page still names its own address in the language form, in the
reader's language, and a signed-in reader's own header is never kept."""

import re

from tests.helpers import text_of

_NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')


def _next_of(page: str) -> str:
    [value] = _NEXT.findall(page)
    return value


def test_each_page_names_its_own_address_in_the_language_form(client, make_thread):
    thread = make_thread(title="Kept parts")
    assert _next_of(text_of(client.get("/"))) == "/"
    assert _next_of(text_of(client.get(f"/t/{thread.id}"))) == f"/t/{thread.id}"
    assert _next_of(text_of(client.get("/latest?order=new"))) == "/latest?order=new"


def test_an_address_with_markup_in_it_is_escaped(client):
    page = text_of(client.get('/search?q="><script>alert(1)</script>'))
    assert "<script>alert(1)" not in page
    assert _next_of(page) == "/search?q=&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def test_the_kept_parts_follow_the_reader_s_language(client):
    english = text_of(client.get("/", headers={"Accept-Language": "en"}))
    french = text_of(client.get("/", headers={"Accept-Language": "fr"}))
    english_again = text_of(client.get("/", headers={"Accept-Language": "en"}))
    assert ">Sign in</a>" in english
    assert ">Latest</a>" in english
    assert ">Sign in</a>" not in french
    assert ">Latest</a>" not in french
    assert 'aria-current="true">Français' in french
    assert english_again == english


def test_a_signed_in_reader_gets_their_own_header(client, make_user, sign_in):
    first = make_user(name="First Reader")
    client.get("/")
    sign_in(first)
    page = text_of(client.get("/"))
    assert "First Reader" in page
    assert ">Sign in</a>" not in page
    assert _next_of(page) == "/"
