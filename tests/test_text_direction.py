"""People's text in any script keeps its own direction inside a page or mail written in
another: posts, titles, names and organisations are set apart with dir="auto" or <bdi>."""

from html.parser import HTMLParser

from forum.extensions import db
from forum.notices import services as notices
from forum.search import services as search
from tests.conftest import deliver
from tests.test_mail_out import follow

C5 = "/b/c5-building-confidence-and-security"
ARABIC_TITLE = "حوكمة الإنترنت: ما العمل؟"
ARABIC_BODY = "نحتاج إلى قواعد مشتركة للجميع."
ARABIC_NAME = "سارة الأحمد"
ARABIC_ORGANISATION = "جمعية الإنترنت العربية"
ENGLISH_TITLE = "Roaming charges: what next?"


class _Directions(HTMLParser):
    """For each piece of text, the nearest element around it that sets a direction:
    `auto` for <bdi> or dir="auto", else the element's dir ("ltr", "rtl")."""

    _VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "wbr", "source"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.texts: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._VOID:
            return
        direction = dict(attrs).get("dir")
        if tag == "bdi" and direction is None:
            direction = "auto"
        self.stack.append(direction)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        nearest = next((d for d in reversed(self.stack) if d is not None), None)
        self.texts.append((data, nearest))


def direction_of(html: str, text: str) -> set[str | None]:
    """How each place showing `text` sets its direction."""
    parser = _Directions()
    parser.feed(html)
    found = {nearest for data, nearest in parser.texts if text in data}
    assert found, f"{text!r} is not shown"
    return found


def _arabic_thread(make_user, make_thread):
    author = make_user(name=ARABIC_NAME)
    author.organisation = ARABIC_ORGANISATION
    db.session.commit()
    return make_thread("C5", author=author, title=ARABIC_TITLE, body=ARABIC_BODY)


def test_arabic_post_title_name_and_organisation_keep_their_direction_in_english(
    client, make_user, make_thread
):
    thread = _arabic_thread(make_user, make_thread)

    page = client.get(f"/t/{thread.id}", headers={"Accept-Language": "en"})

    html = page.get_data(as_text=True)
    assert 'dir="ltr"' in html
    for text in (ARABIC_TITLE, ARABIC_BODY, ARABIC_NAME, ARABIC_ORGANISATION):
        assert direction_of(html.split("</title>", 1)[1], text) == {"auto"}, text


def test_an_english_title_keeps_its_direction_in_arabic(client, make_thread):
    thread = make_thread("C5", title=ENGLISH_TITLE, body="Prices should fall.")

    thread_page = client.get(f"/t/{thread.id}", headers={"Accept-Language": "ar"})
    board_page = client.get(C5, headers={"Accept-Language": "ar"})

    for page in (thread_page, board_page):
        html = page.get_data(as_text=True).split("</title>", 1)[1]
        assert 'dir="rtl"' in page.get_data(as_text=True)
        assert direction_of(html, ENGLISH_TITLE) == {"auto"}
    assert direction_of(thread_page.get_data(as_text=True), "Prices should fall.") == {"auto"}


def test_board_and_home_listings_set_titles_and_names_apart(client, make_user, make_thread):
    _arabic_thread(make_user, make_thread)

    for url in (C5, "/"):
        html = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert direction_of(html, ARABIC_TITLE) == {"auto"}, url
        assert direction_of(html, ARABIC_NAME) == {"auto"}, url


def test_search_results_set_titles_names_and_text_apart(app, client, make_user, make_thread):
    _arabic_thread(make_user, make_thread)
    with app.test_request_context():
        while search.drain():
            pass

    page = client.get("/search", query_string={"q": "قواعد"}, headers={"Accept-Language": "en"})

    html = page.get_data(as_text=True).split("</title>", 1)[1]
    assert direction_of(html, ARABIC_TITLE) == {"auto"}
    assert direction_of(html, ARABIC_NAME) == {"auto"}
    assert direction_of(html, ARABIC_ORGANISATION) == {"auto"}
    assert direction_of(html, "مشتركة للجميع") == {"auto"}


def test_a_post_copys_html_part_sets_body_and_name_apart(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"))
    _arabic_thread(make_user, make_thread)

    deliver(app)

    [message] = smtp.received
    html = message.get_body(("html",)).get_content().split("</title>", 1)[1]
    for text in (ARABIC_BODY, ARABIC_NAME, ARABIC_ORGANISATION):
        assert direction_of(html, text) == {"auto"}, text
    assert ARABIC_BODY in message.get_body(("plain",)).get_content()


def test_notices_set_titles_and_reasons_apart_and_still_escape_them(
    app, client, make_user, sign_in
):
    person = make_user()
    with app.test_request_context():
        notices.notify(person, "post_rejected", thread=ARABIC_TITLE, reason="<b>Off topic</b>")
        db.session.commit()
    sign_in(person)

    html = client.get("/notices", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert direction_of(html, ARABIC_TITLE) == {"auto"}
    assert direction_of(html, "<b>Off topic</b>") == {"auto"}
    assert "&lt;b&gt;Off topic&lt;/b&gt;" in html
