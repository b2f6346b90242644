"""No string left untranslated: every page kind (for anonymous readers, members,
coordinators and admins) and every mail kind, in the pseudo-locale en_XA, shows no plain
English word. Each message of the catalogue is accented and bracketed there ("[Ŝîĝñ îñ]"),
and everything people wrote in these tests is Arabic or Chinese, so any run of plain Latin letters
left on a page or in a mail is text that skipped the catalogues, unless it is one of the
deliberate exceptions listed here with its reason."""

import re
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from xml.etree import ElementTree
from zoneinfo import available_timezones

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forum.accounts.models import User
from forum.boards.models import Board, Role, Section
from forum.extensions import db
from forum.mail import digests, mail_context
from forum.posts import services as posting
from forum.pseudo import PSEUDO_LOCALE, pseudo
from forum.site.models import SitePage
from tests.helpers import PASSWORD, board, post_form, text_of
from tests.mailin import DOMAIN, email, send
from tests.pages import (
    NOT_CRAWLED,
    PEOPLES_TEXT,
    TOKEN_PAGES,
    WHO,
    client_of,
    crawl,
    fill_world,
    starts,
)

PSEUDO = {"Accept-Language": "en-XA"}
_PLAIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Addresses and links are written as they are in every language.
_ADDRESS = re.compile(r"[\w.+-]+@[\w.-]+|\b(?:https?|mailto):[^\s<>\"']+|/[\w/.?=&%+-]*[\w/]")

# Words shown as written whatever the language, and why.
AS_WRITTEN = {
    "WSIS": "the Summit's name, in the forum's name (SITE_NAME) and subject tags",
    "Forum": "the forum's name, SITE_NAME 'WSIS Forum', a proper name",
    "Atom": "the feed format's name, beside its icon",
    "mbox": "the file format's name",
    "CSV": "the file format's name (stocktaking open data)",
    "JSON": "the file format's name (stocktaking open data)",
    "UTC": "the zone names' own abbreviation in a time zone list",
    "Re": "the reply prefix of mail subjects, which mail programs read as written",
    # Mail commands and header names are read by programs as written (see the help text).
    "subscribe": "a mail command",
    "unsubscribe": "a mail command",
    "digest": "a mail command",
    "daily": "a mail command's argument",
    "weekly": "a mail command's argument",
    "help": "a mail command",
    "end": "a mail command",
    "off": "a mail command's argument",
    "confirm": "a mail command",
    "join": "a mail command",
    "DKIM": "a protocol's name",
    "DMARC": "a protocol's name",
    "SPF": "a protocol's name",
    "leave": "a mail command",
}

# WTForms' own messages, translated by the catalogues WTForms ships (ar, es, fr, ru, zh;
# see test_wtforms_messages_are_translated_by_wtforms), which have no pseudo-locale.
WTFORMS_MESSAGES = ("This field is required.", "Not a valid choice.")


class _Visible(HTMLParser):
    """The text a reader sees or hears: text nodes (not scripts or styles), the attributes
    read aloud, and the labels of buttons. Left out: what the page marks as written in no
    language (`translate="no"`: mail as it was sent or received) and time zones in option
    lists (IANA names)."""

    SPOKEN = frozenset({"title", "aria-label", "placeholder", "alt"})
    VOID = frozenset({"area", "br", "col", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        # The open elements, each with whether its text is left out.
        self._open: list[tuple[str, bool]] = []

    def _skipping(self) -> bool:
        return bool(self._open) and self._open[-1][1]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        skip = (
            self._skipping()
            or tag in {"script", "style"}
            or values.get("translate") == "no"
            or (tag == "option" and values.get("value") in _ZONES)
        )
        if tag not in self.VOID:
            self._open.append((tag, skip))
        if skip:
            return
        self.text += [value for name, value in attrs if name in self.SPOKEN and value]
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.text.append(values["value"])
        if tag == "meta" and values.get("name") == "description":
            self.text.append(values.get("content") or "")

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.text.append(data)


_ZONES = frozenset(available_timezones())


def plain_words(text: str, *, exceptions: frozenset[str]) -> list[str]:
    """The plain Latin words of a text, less addresses, links and the exceptions."""
    text = _ADDRESS.sub(" ", text)
    for phrase in exceptions:
        text = text.replace(phrase, " ")
    return [word for word in _PLAIN_WORD.findall(text) if word not in AS_WRITTEN]


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.text)


@pytest.fixture
def exceptions(app: Flask) -> frozenset[str]:
    """Names as written in every language: each language's own name (the switcher, the
    posts' language), and the facilitators of the boards (organisations' names); and
    WTForms' messages, translated by WTForms."""
    names = set(app.config["LANGUAGES"].values()) | set(WTFORMS_MESSAGES)
    for each in db.session.scalars(select(Board)):
        names.update(each.facilitators)
    return frozenset(sorted(names, key=len, reverse=True))


@pytest.fixture
def world(app: Flask, make_user: Callable[..., User], exceptions) -> dict:
    """Boards and site pages in the pseudo-locale too (their names and texts are data,
    translated as data), and the people of every kind in it."""
    for item in [*db.session.scalars(select(Board)), *db.session.scalars(select(Section))]:
        item.translations = {
            **item.translations,
            PSEUDO_LOCALE: {"title": pseudo(item.title), "description": pseudo(item.description)},
        }
    for page in db.session.scalars(select(SitePage).where(SitePage.language == "en")).all():
        db.session.add(
            SitePage(slug=page.slug, language=PSEUDO_LOCALE, title=pseudo(page.title),
                     body_source="", body_html=pseudo(page.body_html))
        )  # fmt: skip
    return fill_world(app, make_user, locale=PSEUDO_LOCALE)


def signed_in(app: Flask, user: User | None) -> FlaskClient:
    return client_of(app, user, language=PSEUDO["Accept-Language"])


def _listed(found: dict[str, list[str]]) -> str:
    return "English outside the catalogue:\n" + "\n".join(
        f"{where}: {' '.join(words)}" for where, words in found.items()
    )


def test_every_page_shows_no_english_outside_the_catalogue(app, world, exceptions, outbox, lmtp):
    people = world["people"]
    send(lmtp, _in_pseudo("stranger@example.net", "مرحبا", "نص"), to=f"c5@{DOMAIN}")
    assert outbox(), "mail delivered, for the admin's pages of mail"
    seen: dict[str, list[str]] = {}
    found: dict[str, list[str]] = {}
    for who in WHO:
        client = signed_in(app, people.get(who))
        for path, html in crawl(app, client, starts(world, who), seen):
            if words := plain_words(visible_text(html), exceptions=exceptions):
                found[f"{who} {path}"] = sorted(set(words))
    gets = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert gets - set(seen) - set(NOT_CRAWLED) - TOKEN_PAGES == set(), "pages never reached"
    assert found == {}, _listed(found)


def _mail_parts(message) -> dict[str, str]:
    """What a reader of a mail sees: its subject, its text, its HTML's visible text (and
    those of the messages a MIME digest carries)."""
    message = message_from_bytes(message.as_bytes(), policy=policy.default)
    parts = {"subject": str(message["Subject"])}
    for number, part in enumerate(message.walk()):
        if part.get_content_type() == "text/plain" and part.get_filename() is None:
            parts[f"text {number}"] = part.get_payload(decode=True).decode()
        elif part.get_content_type() == "text/html":
            parts[f"html {number}"] = visible_text(part.get_payload(decode=True).decode())
        elif part.get_content_type() == "message/rfc822":
            parts[f"subject {number}"] = str(part.get_payload(0)["Subject"])
    return parts


def _every_notice(app: Flask, people: dict, world: dict) -> None:
    """A notice of each kind for the member (worded when shown, and mailed)."""
    from forum.notices.services import notify

    thread, c5 = world["thread"], board("C5")
    params = {
        "thread": thread.title, "reason": PEOPLES_TEXT["reason"], "post_id": world["posts"][0].id,
        "board_slug": c5.slug, "author": PEOPLES_TEXT["coordinator"], "sender": "guest@example.net",
    }  # fmt: skip
    kinds = ["post_approved", "post_rejected", "post_hidden", "post_unhidden", "post_deleted",
             "flag_kept", "flag_hidden", "flag_deleted", "suspended", "unsuspended",
             "post_waiting", "mail_bouncing"]  # fmt: skip
    with app.test_request_context():
        for kind in kinds:
            notify(people["member"], kind, **params)
        from forum.moderation import members

        members.ban_from_board(people["member"], c5, people["coordinator"], reason="سبب")
        members.unban_from_board(people["member"], c5, people["coordinator"])
        members.grant_role(board("C3"), people["member"], Role.MEMBER, people["coordinator"])
        members.revoke_role(board("C3"), people["member"], Role.MEMBER, people["coordinator"])
        db.session.commit()


def _in_pseudo(sender: str, subject: str, body: str, **options: object) -> EmailMessage:
    """A message marked as written in the pseudo-locale (Content-Language: en-XA)."""
    message = email(sender, subject, body, **options)
    message["Content-Language"] = "en-XA"
    return message


def _mail_in(lmtp: int, people: dict) -> None:
    """Mail from people without an account (in en_XA by their Content-Language), and from
    an account in en_XA: refused, asked to confirm, commands answered."""
    stranger = "stranger@example.net"
    send(lmtp, _in_pseudo(stranger, "مرحبا", "نص"), to=f"c5@{DOMAIN}")
    send(lmtp, _in_pseudo(stranger, "", "help"), to=f"c5-request@{DOMAIN}")
    send(lmtp, _in_pseudo(stranger, "", "subscribe"), to=f"c5-join@{DOMAIN}")
    unsigned = _in_pseudo("other@example.net", "مرحبا", "نص", authenticated=False)
    send(lmtp, unsigned, to=f"c5@{DOMAIN}")
    send(lmtp, _in_pseudo(stranger, "مرحبا", "نص"), to=f"forum@{DOMAIN}")
    member = people["member"].email
    send(lmtp, email(member, "مرحبا", "نص"), to=f"csb@{DOMAIN}")
    send(lmtp, email(member, "مرحبا", "ن" * 60_000), to=f"c5@{DOMAIN}")
    send(lmtp, email(member, "", "subscribe\ndigest weekly\n胡话"), to=f"c5-request@{DOMAIN}")


def test_every_mail_shows_no_english_outside_the_catalogue(app, world, exceptions, outbox, lmtp):
    people = world["people"]
    anonymous = signed_in(app, None)
    registration = {
        "display_name": "زهرة", "email": "zoe@example.org", "password": PASSWORD + " ز",
        "confirm": PASSWORD + " ز", "stakeholder_group": "civil_society",
        "organisation": PEOPLES_TEXT["organisation"], "country": "GR",
    }  # fmt: skip
    post_form(anonymous, "/register", registration)
    post_form(anonymous, "/register", {**registration, "email": people["member"].email})
    post_form(anonymous, "/forgot-password", {"email": people["member"].email})
    member = signed_in(app, people["member"])
    post_form(member, "/settings/email", {"email": "amina.new@example.org", "password": PASSWORD},
              prefix="email")  # fmt: skip
    _every_notice(app, people, world)
    with app.test_request_context():
        posting.reply(world["thread"], people["coordinator"], body="رد")
        db.session.commit()
    with mail_context(app):
        digests.queue_due("daily", force=True)
        digests.queue_due("weekly", force=True)
    _mail_in(lmtp, people)
    found: dict[str, list[str]] = {}
    delivered = outbox()
    for number, message in enumerate(delivered):
        for part, text in _mail_parts(message).items():
            if words := plain_words(text, exceptions=exceptions):
                found[f"{message['To']} #{number} {part}"] = sorted(set(words))
    subjects = {_mail_parts(message)["subject"] for message in delivered}
    assert len(subjects) >= 15, sorted(subjects)
    assert found == {}, _listed(found)


def _feed_text(xml: str) -> str:
    """The words of a feed a reader sees: every element's text but its ids (tag: URIs),
    the visible text of HTML content (not its tags and attributes)."""
    root = ElementTree.fromstring(xml)
    return "\n".join(
        visible_text(element.text) if element.get("type") == "html" else element.text
        for element in root.iter()
        if element.text and not element.tag.endswith("}id") and not element.tag.endswith("}updated")
        and not element.tag.endswith("}published")
    )  # fmt: skip


def test_feeds_show_no_english_outside_the_catalogue(app, world, exceptions):
    client = signed_in(app, None)
    slug = board("C5").slug
    found = {}
    for path in ["/posts.atom", f"/b/{slug}/posts.atom", f"/b/{slug}/threads.atom",
                 f"/t/{world['thread'].id}.atom"]:  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        if words := plain_words(_feed_text(text_of(response)), exceptions=exceptions):
            found[path] = sorted(set(words))
    assert found == {}, _listed(found)


def _answer_text(client: FlaskClient, response) -> str:
    """A form's answer as the reader sees it: the page, or the page it redirects to with
    its flash messages."""
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
    return visible_text(text_of(response))


def test_form_errors_flashes_and_error_pages_show_no_english(app, world, exceptions):
    people, thread = world["people"], world["thread"]
    slug, post_id = board("C5").slug, world["posts"][0].id
    anonymous, member = signed_in(app, None), signed_in(app, people["member"])
    wrong = {"password": "not the password", "current_password": "not the password"}
    asked = {
        "anonymous /register": (anonymous, "/register", {"email": "x", "password": "short"}, ""),
        "anonymous /sign-in": (anonymous, "/sign-in", {"email": "amina@example.org", **wrong}, ""),
        "anonymous /forgot-password": (anonymous, "/forgot-password", {"email": ""}, ""),
        "member reply": (member, f"/t/{thread.id}/reply", {"body": ""}, ""),
        "member new thread": (member, f"/b/{slug}/new", {"title": "", "body": ""}, ""),
        "member flag": (member, f"/p/{post_id}/flag", {"reason": "other", "text": ""}, ""),
        "member password": (member, "/settings/password", {**wrong, "confirm": "x"}, "password"),
        "member email": (member, "/settings/email", {"email": "x", **wrong}, "email"),
        "member profile": (member, "/settings/profile", {"display_name": ""}, "profile"),
        "member mail settings": (member, "/settings/mail", {}, ""),
    }
    found = {}
    for where, (client, url, data, prefix) in asked.items():
        text = _answer_text(client, post_form(client, url, data, prefix=prefix))
        if words := plain_words(text, exceptions=exceptions):
            found[where] = sorted(set(words))
    errors = {
        "400 without a form token": anonymous.post("/sign-in", data={"email": "x"}),
        "400 an unknown language": anonymous.post("/language", data={"lang": "xx"}),
        "405 a form's address opened": anonymous.get("/sign-out"),
        "search too long": anonymous.get("/search?q=" + "ن" * 600),
    }
    for where, response in errors.items():
        if where[0].isdigit():
            assert response.status_code == int(where[:3]), where
        if words := plain_words(visible_text(text_of(response)), exceptions=exceptions):
            found[where] = sorted(set(words))
    assert found == {}, _listed(found)


@pytest.mark.parametrize("accept", ["ar", "zh-CN", "fr", "ru", "es"])
def test_wtforms_messages_are_translated_by_wtforms(app, accept):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept
    page = text_of(post_form(client, "/register", {"stakeholder_group": ""}))
    assert not any(message in page for message in WTFORMS_MESSAGES)
