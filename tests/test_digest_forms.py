"""Digests as mailing-list users know them: numbered, with list headers, and in three
forms (summary, plain text, MIME digest)."""

from datetime import UTC, datetime

import pytest

from forum.extensions import db
from forum.mail import digests, mail_context, subscriptions
from forum.mail.digest_mail import DIGEST_MAX_BYTES
from forum.mail.models import DigestForm, MailMode
from forum.posts import services as posting
from tests.conftest import deliver
from tests.helpers import board


def follow(app, user, *codes, form=DigestForm.SUMMARY) -> None:
    with app.test_request_context():
        for code in codes:
            subscriptions.set_board_mode(user, board(code), MailMode.DAILY)
        subscriptions.settings_of(user).digest_form = form
        db.session.commit()


def run(app, now=None) -> None:
    with mail_context(app):
        digests.queue_due("daily", force=True, now=now)


def digests_to(smtp, address) -> list:
    return [m for m in smtp.received if m["To"] == address and "digest" in str(m["Subject"])]


def test_digests_are_numbered_by_volume_and_issue(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"), "C5")
    for title, now in (
        ("One", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("Two", datetime(2026, 3, 2, 8, tzinfo=UTC)),
        ("Three", datetime(2027, 1, 1, 8, tzinfo=UTC)),
        ("Four", datetime(2028, 6, 1, 8, tzinfo=UTC)),
    ):
        make_thread("C5", title=title)
        run(app, now)
    deliver(app)
    assert [str(m["Subject"]) for m in digests_to(smtp, "reader@example.org")] == [
        "[WSIS Forum] Daily digest, Vol 1, Issue 1",
        "[WSIS Forum] Daily digest, Vol 1, Issue 2",
        "[WSIS Forum] Daily digest, Vol 2, Issue 1",
        "[WSIS Forum] Daily digest, Vol 3, Issue 1",
    ]


def test_a_digest_carries_its_boards_list_id_or_the_forums(app, smtp, make_user, make_thread):
    follow(app, make_user(email="one@example.org"), "C5")
    follow(app, make_user(email="both@example.org"), "C5", "C6")
    make_thread("C5")
    make_thread("C6")
    run(app)
    deliver(app)
    [one] = digests_to(smtp, "one@example.org")
    [both] = digests_to(smtp, "both@example.org")
    assert one["List-Id"] == (
        '"C5 Building confidence and security in the use of ICTs" <c5.forum.example.org>'
    )
    assert one["List-Post"] == "<mailto:c5@forum.example.org>"
    assert both["List-Id"] == '"WSIS Forum" <forum.example.org>'
    assert "List-Post" not in both
    for message in (one, both):
        assert message["Precedence"] == "bulk"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def unsubscribe_uris(message) -> list[str]:
    return [uri.strip().strip("<>") for uri in str(message["List-Unsubscribe"]).split(",")]


def test_a_digest_offers_one_click_and_a_mailto_to_leave_its_board(
    app, client, smtp, make_user, make_thread
):
    one = make_user(email="one@example.org")
    follow(app, one, "C5")
    follow(app, make_user(email="both@example.org"), "C5", "C6")
    make_thread("C5")
    make_thread("C6")
    run(app)
    deliver(app)
    [link, mailto] = unsubscribe_uris(digests_to(smtp, "one@example.org")[0])
    assert mailto == "mailto:c5-leave@forum.example.org"
    [only_link] = unsubscribe_uris(digests_to(smtp, "both@example.org")[0])
    assert only_link.startswith("http://forum.test/unsubscribe/")
    assert client.post(link).status_code == 200
    assert subscriptions.board_mode(one, board("C5")) == MailMode.OFF


def test_a_mime_digest_holds_each_post_as_a_message_to_answer(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"), "C5", "C6", form=DigestForm.MIME)
    author = make_user(name="Zoë Ngọc Đặng")
    thread = make_thread("C5", author=author, title="Écoles", body="Le premier message")
    with app.test_request_context():
        answer = posting.reply(thread, author, body="Une réponse", reply_to=thread.first_post)
        db.session.commit()
    make_thread("C6", author=author, title="Other board", body="Elsewhere")
    run(app)
    deliver(app)
    [message] = digests_to(smtp, "reader@example.org")
    assert message.get_content_type() == "multipart/mixed"
    contents, digest = message.get_payload()
    assert contents.get_content_type() == "text/plain"
    assert "[C5] Écoles (Zoë Ngọc Đặng)" in contents.get_content()
    assert digest.get_content_type() == "multipart/digest"
    parts = digest.get_payload()
    assert [part.get_content_type() for part in parts] == ["message/rfc822"] * 3
    posts = [part.get_payload()[0] for part in parts]
    root, reply, other = posts
    root_id = f"<post-{thread.first_post_id}@forum.example.org>"
    assert root["Message-ID"] == root_id
    assert root["Subject"] == "[C5] Écoles"
    assert "In-Reply-To" not in root
    assert reply["Message-ID"] == f"<post-{answer.id}@forum.example.org>"
    assert reply["Subject"] == "Re: [C5] Écoles"
    assert reply["In-Reply-To"] == root_id
    assert reply["References"] == root_id
    for post in posts:
        assert post["From"].addresses[0].display_name == "Zoë Ngọc Đặng via WSIS Forum"
        assert post["From"].addresses[0].addr_spec == "forum@forum.example.org"
        assert post["Date"].datetime is not None
    assert reply["Reply-To"] == "c5@forum.example.org"
    assert other["Reply-To"] == "c6@forum.example.org"
    assert "Une réponse" in reply.get_content()
    assert f"http://forum.test/p/{answer.id}" in reply.get_content()


def test_a_plain_text_digest_has_every_post_in_full(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"), "C5", form=DigestForm.PLAIN)
    long_post = "A long contribution to the discussion. " * 60
    thread = make_thread("C5", title="In full", body=long_post)
    run(app)
    deliver(app)
    [message] = digests_to(smtp, "reader@example.org")
    assert message.get_content_type() == "text/plain"
    text = message.get_content()
    assert long_post.strip() in text
    assert "Message: 1" in text
    assert "Subject: [C5] In full" in text
    assert f"Message-ID: <post-{thread.first_post_id}@forum.example.org>" in text


@pytest.mark.parametrize("form", [DigestForm.PLAIN, DigestForm.MIME])
def test_full_digests_stay_under_the_size_gmail_clips(app, smtp, make_user, make_thread, form):
    follow(app, make_user(email="reader@example.org"), "C5", form=form)
    author = make_user()
    for number in range(30):
        make_thread("C5", author=author, title=f"Thread {number}", body="Word " * 1000)
    run(app)
    deliver(app)
    [message] = digests_to(smtp, "reader@example.org")
    assert len(message.as_bytes()) <= DIGEST_MAX_BYTES
    contents = message.get_body(("plain",)).get_content()
    assert "more posts wait on the web" in contents


def mime_digest_posts(message) -> list:
    """The message/rfc822 parts of a MIME digest."""
    _contents, digest = message.get_payload()
    return digest.get_payload()


def test_a_mime_digest_to_a_server_without_8bitmime_is_7bit_throughout(
    app, smtp_7bit, make_user, make_thread
):
    follow(app, make_user(email="reader@example.org"), "C5", form=DigestForm.MIME)
    author = make_user(name="Zoë Ngọc Đặng")
    make_thread("C5", author=author, title="Écoles", body="Réunion à Genève, déjà prévue.")
    make_thread("C5", author=author, title="Plain", body="Only plain words here.")
    run(app)
    deliver(app)
    [raw] = smtp_7bit.raw
    assert all(line.isascii() for line in raw.splitlines())
    [message] = digests_to(smtp_7bit, "reader@example.org")
    accents, plain = (part.get_payload()[0] for part in mime_digest_posts(message))
    assert accents["Content-Transfer-Encoding"] == "quoted-printable"
    assert "Réunion à Genève, déjà prévue." in accents.get_content()
    assert "Only plain words here." in plain.get_content()


def test_a_mime_digest_marks_posts_in_8bit_as_8bit(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"), "C5", form=DigestForm.MIME)
    author = make_user(name="Zoë Ngọc Đặng")
    make_thread("C5", author=author, title="Écoles", body="Réunion à Genève, déjà prévue.")
    make_thread("C5", author=author, title="Plain", body="Only plain words here.")
    run(app)
    deliver(app)
    [message] = digests_to(smtp, "reader@example.org")
    accents, plain = mime_digest_posts(message)
    assert accents["Content-Transfer-Encoding"] == "8bit"
    assert accents.get_payload()[0]["Content-Transfer-Encoding"] == "8bit"
    assert "Réunion à Genève, déjà prévue." in accents.get_payload()[0].get_content()
    assert plain["Content-Transfer-Encoding"] in {None, "7bit"}
    assert "Only plain words here." in plain.get_payload()[0].get_content()
