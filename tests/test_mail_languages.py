"""Mail in its reader's language: account mail, copies of posts, digests and notices in
the recipient's language whatever the page that caused them, HTML marked with `lang` and
`dir`, and answers to people without an account in the language they wrote in."""

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from forum.accounts.models import User
from forum.extensions import db
from forum.mail import digests, mail_context, subscriptions
from forum.mail.language import language_of_tags, language_of_text
from forum.mail.models import MailMode
from forum.notices.services import notify
from forum.posts.models import Post
from tests.conftest import deliver
from tests.helpers import board, post_form
from tests.mailin import DOMAIN, email, last_record, send

REGISTRATION = {
    "display_name": "Nadia Haddad",
    "email": "nadia@example.org",
    "password": "green tea at dawn 42",
    "confirm": "green tea at dawn 42",
    "stakeholder_group": "civil_society",
    "organisation": "Réseau Arabe",
    "country": "LB",
}
LANGUAGES = [("ar", "ar", "rtl"), ("zh_Hans", "zh-Hans", "ltr")]


def translated(app, locale: str, message: str, **params: object) -> str:
    with app.test_request_context(), force_locale(locale):
        return _(message, **params)


def with_locale(user: User, locale: str) -> User:
    user.locale = locale
    db.session.commit()
    return user


def delivered(app, smtp, address: str) -> list:
    """The messages delivered to this address, parsed (headers decoded)."""
    deliver(app)
    return [m for m in smtp.received if m["To"] == address]


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def html(message) -> str:
    return message.get_body(("html",)).get_content()


def assert_worded_in(app, text: str, locale: str, message: str, **params: object) -> None:
    assert translated(app, locale, message, **params) in text
    assert message % params not in text


def assert_marked(html_text: str, tag: str, direction: str) -> None:
    assert f'<html lang="{tag}" dir="{direction}">' in html_text
    assert f'<body lang="{tag}" dir="{direction}"' in html_text


@pytest.mark.parametrize(("locale", "tag", "direction"), LANGUAGES)
def test_account_confirmations_are_in_the_language_registered_in(
    app, client, smtp, locale, tag, direction
):
    post_form(client, "/register", REGISTRATION, headers={"Accept-Language": tag})
    english = {"Accept-Language": "en"}
    post_form(app.test_client(), "/verify/resend", {"email": "nadia@example.org"}, headers=english)
    first, again = delivered(app, smtp, "nadia@example.org")
    site = app.config["SITE_NAME"]
    for message in (first, again):
        assert_worded_in(app, message["Subject"], locale, "Confirm your email address")
        assert message["Subject"].startswith(f"[{site}] ")
        assert_worded_in(
            app, message.get_content(), locale,
            "Please confirm your email address for %(site)s by opening this link:", site=site,
        )  # fmt: skip


@pytest.mark.parametrize(("locale", "tag", "direction"), LANGUAGES)
def test_a_password_reset_asked_from_an_english_page_is_in_the_accounts_language(
    app, client, smtp, make_user, locale, tag, direction
):
    user = with_locale(make_user(email="reader@example.org"), locale)
    post_form(client, "/forgot-password", {"email": user.email}, headers={"Accept-Language": "en"})
    [message] = delivered(app, smtp, user.email)
    assert_worded_in(app, message["Subject"], locale, "Reset your password")


@pytest.mark.parametrize(("locale", "tag", "direction"), LANGUAGES)
def test_a_copy_of_a_post_has_its_footer_and_date_in_the_readers_language(
    app, smtp, make_user, make_thread, locale, tag, direction
):
    reader = with_locale(make_user(email="reader@example.org"), locale)
    with app.test_request_context():
        subscriptions.set_board_mode(reader, board("C5"), MailMode.EVERY_POST)
        db.session.commit()
    author = make_user(name="Kwame Mensah")
    author.organisation = "ITU"
    thread = make_thread(author=author, title="Spam costs", body="A post in English")
    [message] = delivered(app, smtp, "reader@example.org")
    assert message["Subject"] == "[C5] Spam costs"
    assert message["List-Post"] == "<mailto:c5@forum.example.org>"
    address = f"reply+{reader.id}."
    text = plain(message)
    assert "A post in English" in text
    footer = text.split("\n-- ", 1)[1]
    reply_line = translated(
        app, locale, "Reply to this message to answer in the thread, or write to %(address)s.",
        address="@",
    ).split("@")[0]  # fmt: skip
    assert reply_line in footer
    assert address in footer
    assert {"ar": "، ITU)", "zh_Hans": "\uff0cITU\uff09"}[locale] in footer, "its own comma"
    assert "Reply to this message" not in footer
    assert_worded_in(app, footer, locale, "Email settings:")
    post = db.session.get(Post, thread.first_post_id)
    assert post.created_at.strftime("%Y-%m-%d") not in footer, "a date written for the locale"
    page = html(message)
    assert_marked(page, tag, direction)
    assert_worded_in(app, page, locale, "Email settings")


@pytest.mark.parametrize(("locale", "tag", "direction"), LANGUAGES)
def test_a_daily_digest_is_in_the_readers_language(
    app, smtp, make_user, make_thread, locale, tag, direction
):
    reader = with_locale(make_user(email="reader@example.org"), locale)
    with app.test_request_context():
        subscriptions.set_board_mode(reader, board("C5"), MailMode.DAILY)
        db.session.commit()
    make_thread(title="Spam costs", body="Short post")
    with mail_context(app):
        assert digests.queue_due("daily", force=True).queued == 1
    [message] = delivered(app, smtp, "reader@example.org")
    assert_worded_in(
        app, message["Subject"], locale, "Daily digest, Vol %(volume)d, Issue %(issue)d",
        volume=1, issue=1,
    )  # fmt: skip
    assert message["Subject"].startswith("[WSIS Forum] ")
    assert message["List-Id"].strip().endswith("<c5.forum.example.org>")
    text = plain(message)
    assert_worded_in(app, text, locale, "Contents")
    assert_worded_in(app, text, locale, "Reply by email:")
    page = html(message)
    assert_marked(page, tag, direction)


@pytest.mark.parametrize(("locale", "tag", "direction"), LANGUAGES)
def test_a_notice_is_in_the_readers_language(app, smtp, make_user, locale, tag, direction):
    reader = with_locale(make_user(email="reader@example.org"), locale)
    with app.test_request_context():
        notify(reader, "post_approved", thread="Spam costs")
        db.session.commit()
    [message] = delivered(app, smtp, "reader@example.org")
    sentence = "Your post in “%(thread)s” was approved and is now public."
    assert_worded_in(app, message["Subject"], locale, sentence, thread="Spam costs")
    body = message.get_content()
    assert_worded_in(app, body, locale, sentence, thread="Spam costs")
    assert_worded_in(app, body, locale, "All your notices:")


def test_an_answer_to_someone_without_an_account_is_in_the_language_they_wrote_in(app, smtp, lmtp):
    arabic = email("nadia@example.net", "اقتراح للمكتب", "أود أن أقترح جدول أعمال للاجتماع.")
    send(lmtp, arabic, to=f"c5@{DOMAIN}", sender="nadia@example.net")
    record = last_record()
    [answer] = delivered(app, smtp, "nadia@example.net")
    assert_worded_in(
        app, answer["Subject"], "ar", "Not posted: %(subject)s", subject="اقتراح للمكتب"
    )
    text = answer.get_content()
    assert_worded_in(
        app, text, "ar", "%(address)s has no confirmed account on %(site)s.",
        address="nadia@example.net", site="WSIS Forum",
    )  # fmt: skip
    assert_worded_in(app, text, "ar", "Your text, so that nothing is lost:")
    assert "> أود أن أقترح جدول أعمال للاجتماع." in text
    assert record.answered_to == "nadia@example.net"


@pytest.mark.parametrize(
    ("locale", "subject", "text"),
    [
        ("fr", "Proposition pour le bureau",
         "Bonjour, je voudrais proposer un ordre du jour pour la prochaine réunion."),
        ("es", "Propuesta para la mesa",
         "Hola, quisiera proponer un orden del día para la próxima reunión."),
    ],
)  # fmt: skip
def test_french_and_spanish_without_content_language_are_answered_in_their_language(
    app, smtp, lmtp, locale, subject, text
):
    message = email("guest@example.net", subject, text)
    send(lmtp, message, to=f"c5@{DOMAIN}", sender="guest@example.net")
    [answer] = delivered(app, smtp, "guest@example.net")
    worded = translated(app, locale, "Not posted: %(subject)s", subject=subject)
    # Header folding writes French's narrow no-break space before a colon as a space.
    assert worded.replace("\u202f", " ") in answer["Subject"].replace("\u202f", " ")
    assert_worded_in(app, answer.get_content(), locale, "Your text, so that nothing is lost:")


def test_a_short_ambiguous_message_is_answered_in_english(app, smtp, lmtp):
    send(lmtp, email("guest@example.net", "Re: C5", "ok merci"), to=f"c5@{DOMAIN}")
    [answer] = delivered(app, smtp, "guest@example.net")
    assert answer["Subject"] == "[WSIS Forum] Not posted: Re: C5"
    assert "Your text, so that nothing is lost:" in answer.get_content()


def test_content_language_decides_over_the_script(app, smtp, lmtp):
    message = email("ivan@example.net", "Hello", "Written in English")
    message["Content-Language"] = "ru-RU"
    send(lmtp, message, to=f"c5@{DOMAIN}", sender="ivan@example.net")
    [answer] = delivered(app, smtp, "ivan@example.net")
    assert_worded_in(app, answer["Subject"], "ru", "Not posted: %(subject)s", subject="Hello")


def test_an_account_is_answered_in_its_language_whatever_it_wrote_in(app, smtp, lmtp, make_user):
    with_locale(make_user(email="li@example.org"), "zh_Hans")
    send(lmtp, email("li@example.org", "Hello", "Plain English"), to=f"csb@{DOMAIN}")
    [answer] = delivered(app, smtp, "li@example.org")
    assert_worded_in(app, answer["Subject"], "zh_Hans", "Not posted: %(subject)s", subject="Hello")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("أود أن أقترح جدول أعمال", "ar"),
        ("Предлагаю повестку дня", "ru"),
        ("我建议一个议程", "zh_Hans"),
        ("Subject: 会议 agenda for the meeting we discussed", "en"),
        ("Je propose un ordre du jour", "fr"),
        ("Propongo un orden del día", "es"),
        ("ok merci", None),
        ("2026-03-01 !!!", None),
        ("Re: [C5] تقرير", "ar"),
    ],
)
def test_the_script_or_else_the_identifier_tells_the_language(app, text, language):
    with app.app_context():
        assert language_of_text(text) == language


@pytest.mark.parametrize(
    ("header", "language"),
    [("ar-EG", "ar"), ("zh-CN", "zh_Hans"), ("de, fr-CA", "fr"), ("x-klingon", None), ("", None)],
)
def test_content_language_names_a_language_by_its_primary_tag(app, header, language):
    with app.app_context():
        assert language_of_tags(header) == language


def test_a_time_in_mail_is_in_the_readers_zone_and_language(app, make_user):
    from forum.mail.message import local_time

    reader = make_user()
    reader.timezone = "Asia/Tokyo"
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with app.test_request_context():
        with force_locale("en"):
            assert local_time(moment, reader) == "Mar 2, 2026, 8:30\u202fAM GMT+09:00"
        with force_locale("zh_Hans"):
            assert "2026年3月2日" in local_time(moment, reader)
