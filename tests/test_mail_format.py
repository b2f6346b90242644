"""How the forum's mail is written: the post's own text in copies, digests and the mbox,
readable raw (8bit, or quoted-printable), no needless MIME wrapper, Message-IDs on the
forum's domain, footers that read right."""

import mailbox
import re

from forum.boards.models import Role
from forum.extensions import db
from forum.mail import digests, mail_context, subscriptions
from forum.mail.models import MailKind, MailMode
from forum.mail.outbox import queue
from forum.markup import html_to_text
from forum.posts import services as posting
from tests.conftest import deliver
from tests.helpers import board, post_form

C5 = "/b/c5-building-confidence-and-security"
POST = """First paragraph, with a [report](https://example.org/report_(2024)).

Second paragraph.

- point one
- point two

> Quoted words of someone else.

    code = "kept [as](written)"
"""


def follow(app, user, mode=MailMode.EVERY_POST) -> None:
    with app.test_request_context():
        subscriptions.set_board_mode(user, board("C5"), mode)
        db.session.commit()


def plain_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def assert_kept(text: str, indent: str = "") -> None:
    """The paragraphs, list, quote, code and link of POST, as text."""
    expected = [
        "First paragraph, with a report <https://example.org/report_(2024)>.",
        "",
        "Second paragraph.",
        "",
        "- point one",
        "- point two",
        "",
        "> Quoted words of someone else.",
        "",
        '    code = "kept [as](written)"',
    ]
    lines = [line.removeprefix(indent) for line in text.splitlines()]
    start = lines.index(expected[0])
    assert lines[start : start + len(expected)] == expected


def test_a_post_keeps_its_text_in_copies_digests_and_the_mbox(
    app, client, smtp, make_user, make_thread, tmp_path
):
    follow(app, make_user(email="copy@example.org"))
    follow(app, make_user(email="digest@example.org"), MailMode.DAILY)
    thread = make_thread(title="Fidelity", body=POST)
    with mail_context(app):
        digests.queue_due("daily", force=True)
    deliver(app)
    [copy] = [m for m in smtp.received if m["To"] == "copy@example.org"]
    [digest] = [m for m in smtp.received if m["To"] == "digest@example.org"]
    assert_kept(plain_text(copy))
    assert_kept(plain_text(digest), indent="  ")
    path = tmp_path / "thread.mbox"
    path.write_bytes(client.get(f"/t/{thread.id}.mbox").data)
    box = mailbox.mbox(str(path))
    try:
        [archived] = list(box)
        assert_kept(archived.get_payload(decode=True).decode())
    finally:
        box.close()


def test_copies_read_raw_in_8bit_without_a_mixed_wrapper(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"))
    make_thread(title="Écoles connectées", body="Les écoles de l'Afrique de l'Ouest.")
    deliver(app)
    [message] = smtp.received
    assert message.get_content_type() == "multipart/alternative", "no multipart/mixed around"
    [text, html] = message.get_payload()
    assert text["Content-Transfer-Encoding"] == "8bit"
    assert "Les écoles de l'Afrique de l'Ouest.".encode() in message.as_bytes()
    assert html.get_content_type() == "text/html"


def test_a_line_too_long_for_smtp_goes_quoted_printable(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"))
    paragraph = "Une très longue phrase sans fin " * 60
    make_thread(title="Long", body=paragraph)
    deliver(app)
    [message] = smtp.received
    text = message.get_body(("plain",))
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert message.get_body(("html",))["Content-Transfer-Encoding"] == "base64"
    assert all(len(line) <= 998 for line in message.as_bytes().splitlines())
    assert paragraph.strip() in text.get_content()


def test_a_server_without_8bitmime_gets_quoted_printable(app, smtp_7bit, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"))
    make_thread(title="Accents", body="Réunion à Genève, déjà prévue.")
    assert deliver(app).sent == 1
    [raw] = smtp_7bit.raw
    assert raw.isascii()
    [message] = smtp_7bit.received
    assert message.get_body(("plain",))["Content-Transfer-Encoding"] == "quoted-printable"
    assert "Réunion à Genève, déjà prévue." in plain_text(message)


def test_the_html_footer_reads_with_its_spaces(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"))
    make_thread()
    deliver(app)
    footer = html_to_text(smtp.received[0].get_body(("html",)).get_content())
    lines = footer.splitlines()
    assert (
        "You receive every post of C5 Building confidence and security in the use of ICTs by email."
        in lines
    )
    assert "Stop · Email settings" in lines


def test_every_message_has_a_message_id_on_the_forum_mail_domain(
    app, client, outbox, make_user, make_thread
):
    follow(app, make_user(email="copy@example.org"))
    follow(app, make_user(email="digest@example.org"), MailMode.DAILY)
    author = make_user(email="author@example.org")
    thread = make_thread(author=author)
    with app.test_request_context():
        posting.reply(thread, make_user(), body="An answer")
        db.session.commit()
    with mail_context(app):
        digests.queue_due("daily", force=True)
    with app.test_request_context():
        queue(
            MailKind.AUTO_REPLY,
            to_address="stranger@example.net",
            subject="Your message was not posted",
            payload={"text": "Why", "in_reply_to": "<x@example.net>"},
        )
        db.session.commit()
    post_form(client, "/register", {
        "display_name": "New Person", "email": "new@example.org",
        "password": "a long enough passphrase", "confirm": "a long enough passphrase",
        "stakeholder_group": "civil_society", "follow_mode": "weekly",
    })  # fmt: skip
    make_user(email="coordinator@example.org", roles={"C5": Role.COORDINATOR})
    board("C5").moderation_mode = "all"
    db.session.commit()
    with app.test_request_context():
        posting.reply(thread, make_user(), body="Held for the coordinators")
        db.session.commit()
    messages = outbox()
    recipients = {message["To"] for message in messages}
    assert {"copy@example.org", "digest@example.org", "stranger@example.net",
            "new@example.org", "coordinator@example.org"} <= recipients  # fmt: skip
    for message in messages:
        assert re.fullmatch(r"<[^@<>]+@forum\.example\.org>", message["Message-ID"]), (
            message["Subject"],
            message["Message-ID"],
        )
