"""Light on the wire: compressed answers for clients that take them, static files under a
fingerprint kept for a year, `304 Not Modified` for pages a browser has already, and a
favicon."""

import gzip
import re
import time

import brotli
import pytest
from flask import template_rendered

from forum.assets import minify_css
from forum.extensions import db
from tests.helpers import PASSWORD, post_form, text_of

SLUG = "c5-building-confidence-and-security"
_STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/static/forum\.([0-9a-f]{12})\.css)">')
_ICON = re.compile(r'<link rel="icon" href="(/static/favicon\.[0-9a-f]{12}\.svg)"')


def _decoded(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    assert encoding is None, encoding
    return body


@pytest.fixture
def thread(make_thread):
    return make_thread(title="Bandwidth", body="Words " * 200, replies=3)


def _addresses(thread) -> dict[str, str]:
    return {
        "home": "/",
        "board": f"/b/{SLUG}",
        "thread": f"/t/{thread.id}",
        "feed": f"/t/{thread.id}.atom",
        "site feed": "/posts.atom",
        "mbox": f"/t/{thread.id}.mbox",
    }


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_feeds_and_mbox_are_compressed_for_clients_that_ask(client, thread, encoding):
    for kind, url in _addresses(thread).items():
        plain = client.get(url)
        assert plain.status_code == 200, kind
        assert "Content-Encoding" not in plain.headers, kind
        squeezed = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
        assert squeezed.headers["Content-Encoding"] == encoding, kind
        assert len(squeezed.get_data()) < len(plain.get_data()) / 2, kind
        assert _decoded(squeezed) == plain.get_data(), kind
        for response in (plain, squeezed):
            assert "Accept-Encoding" in response.headers["Vary"], kind


def test_brotli_is_chosen_when_a_browser_offers_both(client, thread):
    response = client.get(f"/t/{thread.id}", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert b"Bandwidth" in _decoded(response)


def test_pages_link_the_stylesheet_and_icon_under_their_fingerprint(client, thread):
    for url in ("/", f"/b/{SLUG}", f"/t/{thread.id}", "/sign-in"):
        page = text_of(client.get(url))
        assert _STYLESHEET.search(page), url
        assert _ICON.search(page), url


def test_a_fingerprinted_stylesheet_is_kept_for_a_year(app, client):
    href = _STYLESHEET.search(text_of(client.get("/"))).group(1)
    css = minify_css((app.extensions["assets"].folder / "forum.css").read_bytes())
    for encoding in ("br", "gzip", None):
        headers = {"Accept-Encoding": encoding} if encoding else {}
        response = client.get(href, headers=headers)
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        assert response.headers.get("Content-Encoding") == encoding
        assert _decoded(response) == css
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert "Cookie" not in response.headers["Vary"]
    plain = client.get(href)
    again = client.get(href, headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304


def test_an_old_fingerprint_still_serves_the_stylesheet(app, client):
    href, digest = _STYLESHEET.search(text_of(client.get("/"))).groups()
    css = app.extensions["assets"].files["forum.css"].data
    old = href.replace(digest, "0123456789ab")
    for url in (old, "/static/forum.css"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.get_data() == css, url
        # Checked again on each use, so that it moves on when the file changes.
        assert "immutable" not in response.headers["Cache-Control"], url
        assert "no-cache" in response.headers["Cache-Control"], url
    assert client.get("/static/nothing.css").status_code == 404
    assert client.get("/static/nothing.0123456789ab.css").status_code == 404
    assert client.get("/static/../config/defaults.py").status_code == 404


def test_the_favicon_answers(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype in {"image/vnd.microsoft.icon", "image/x-icon"}
    assert icon.get_data()[:4] == b"\0\0\1\0"
    assert "max-age" in icon.headers["Cache-Control"]
    svg_href = _ICON.search(text_of(client.get("/"))).group(1)
    svg = client.get(svg_href, headers={"Accept-Encoding": "br"})
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    assert _decoded(svg).startswith(b"<svg")


@pytest.fixture
def renders(app):
    """The templates rendered while a test runs."""
    rendered: list[str] = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(record, app)
    yield rendered
    template_rendered.disconnect(record, app)


@pytest.mark.parametrize("kind", ["home", "board", "thread"])
def test_an_anonymous_reader_s_unchanged_page_is_not_sent_again(client, thread, renders, kind):
    url = _addresses(thread)[kind]
    first = client.get(url, headers={"Accept-Encoding": "br"})
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')
    assert first.headers["Cache-Control"] == "no-cache"
    renders.clear()
    for method in (client.get, client.head):
        again = method(url, headers={"If-None-Match": tag, "Accept-Encoding": "br"})
        assert again.status_code == 304
        assert again.get_data() == b""
        assert again.headers["ETag"] == tag
    assert renders == []
    assert client.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_an_anonymous_reader_gets_the_page_again_after_a_reply(app, client, thread, make_user):
    url = f"/t/{thread.id}"
    tag = client.get(url).headers["ETag"]
    writer = app.test_client()
    post_form(writer, "/sign-in", {"email": make_user().email, "password": PASSWORD})
    assert post_form(writer, f"{url}/reply", {"body": "Fresh news"}).status_code == 302
    for address in (url, "/", f"/b/{SLUG}"):
        response = client.get(address, headers={"If-None-Match": tag})
        assert response.status_code == 200, address
    assert "Fresh news" in text_of(client.get(url, headers={"If-None-Match": tag}))


def test_an_author_s_new_name_is_not_confirmed_once_the_page_is_rendered_again(
    app, client, make_user, make_thread
):
    author = make_user(name="Old Name")
    thread = make_thread(author=author)
    tag = client.get(f"/t/{thread.id}").headers["ETag"]
    author.display_name = "New Name"
    db.session.commit()
    app.extensions["page_cache"].clear()  # as when its lifetime is over
    response = client.get(f"/t/{thread.id}", headers={"If-None-Match": tag})
    assert response.status_code == 200
    assert "New Name" in text_of(response)


def test_another_language_is_not_confirmed(client, thread):
    url = f"/t/{thread.id}"
    tag = client.get(url).headers["ETag"]
    french = client.get(url, headers={"If-None-Match": tag, "Accept-Language": "fr"})
    assert french.status_code == 200
    assert french.headers["Content-Language"] == "fr"


def _signed_in(app, user):
    browser = app.test_client()
    response = post_form(browser, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


@pytest.mark.parametrize("kind", ["home", "board", "thread"])
def test_a_signed_in_page_is_confirmed_without_rendering(app, thread, make_user, renders, kind):
    browser = _signed_in(app, make_user(name="Zainab Haddad"))
    url = _addresses(thread)[kind]
    first = browser.get(url)
    assert "Zainab Haddad" in text_of(first)
    assert first.headers["Cache-Control"] == "private, no-cache"
    renders.clear()
    again = browser.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert renders == []


def test_a_signed_in_page_s_validator_is_the_viewer_s_own(app, client, thread, make_user):
    url = f"/t/{thread.id}"
    tag = _signed_in(app, make_user()).get(url).headers["ETag"]
    other = _signed_in(app, make_user())
    assert other.get(url, headers={"If-None-Match": tag}).status_code == 200
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 200


def test_a_signed_in_page_is_sent_again_after_the_viewer_posts(app, thread, make_user):
    browser = _signed_in(app, make_user())
    url = f"/t/{thread.id}"
    tag = browser.get(url).headers["ETag"]
    assert post_form(browser, f"{url}/reply", {"body": "My answer"}).status_code == 302
    browser.get(url)  # with no flashed message left
    response = browser.get(url, headers={"If-None-Match": tag})
    assert response.status_code == 200
    assert "My answer" in text_of(response)


def test_a_signed_in_page_is_sent_again_in_the_new_language(app, thread, make_user):
    browser = _signed_in(app, make_user())
    url = f"/t/{thread.id}"
    tag = browser.get(url).headers["ETag"]
    browser.post("/language", data={"lang": "es", "next": url})
    response = browser.get(url, headers={"If-None-Match": tag})
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "es"


def test_a_signed_in_page_is_not_confirmed_past_the_page_cache_lifetime(
    app, thread, make_user, monkeypatch
):
    browser = _signed_in(app, make_user())
    url = f"/t/{thread.id}"
    tag = browser.get(url).headers["ETag"]
    later = time.time() + app.config["PAGE_CACHE_SECONDS"] + 1
    monkeypatch.setattr("forum.conditional.time.time", lambda: later)
    assert browser.get(url, headers={"If-None-Match": tag}).status_code == 200


def test_a_page_with_a_message_to_show_has_no_validator(app, client, thread, make_user):
    browser = _signed_in(app, make_user())
    url = f"/t/{thread.id}"
    post_form(browser, f"{url}/mail", {"mode": "everything"}, prefix="mail")
    page = browser.get(url)
    assert "Choose how to follow this thread" in text_of(page)
    assert "ETag" not in page.headers
    assert page.headers["Cache-Control"] == "no-store"
    post_form(browser, "/sign-out", {}, prefix="sign-out")
    page = browser.get("/")
    assert "You are signed out." in text_of(page)
    assert "ETag" not in page.headers


def test_other_signed_in_pages_are_still_not_kept(app, make_user):
    browser = _signed_in(app, make_user())
    assert browser.get("/settings").headers["Cache-Control"] == "no-store"


def test_signing_out_clears_the_pages_the_browser_kept(app, make_user):
    browser = _signed_in(app, make_user())
    response = post_form(browser, "/sign-out", {}, prefix="sign-out")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache"'


def test_the_stylesheet_is_served_without_comments_or_spaces_that_mean_nothing(app, client):
    source = (
        b"/* a comment */\n"
        b"header.site ul,  .post  >  p { color: var(--ink);  margin: 0 auto; }\n"
        b'body { font: 16px/1.5 "Segoe UI", sans-serif; }\n'
        b".body :is(p, li) a:focus { outline: 3px solid #f2a900; }\n"
        b"@media (max-width: 30rem) {\n  thead { display: none; }\n}\n"
    )
    assert minify_css(source) == (
        b"header.site ul,.post>p{color:var(--ink);margin:0 auto}"
        b'body{font:16px/1.5 "Segoe UI",sans-serif}'
        b".body :is(p,li) a:focus{outline:3px solid #f2a900}"
        b"@media (max-width: 30rem){thead{display:none}}\n"
    )
    href = _STYLESHEET.search(text_of(client.get("/"))).group(1)
    served = client.get(href).get_data()
    written = (app.extensions["assets"].folder / "forum.css").read_bytes()
    assert len(served) < 0.85 * len(written)
    assert b"/*" not in served
