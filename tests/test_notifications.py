"""Notices of what concerns a person: a reply to their post, a mention of their name
(`@[Name]`), on the web with a count in the header and by email as their settings say,
never about a post they may not read, and never as a second copy of a post."""

import re

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from forum.boards.models import ModerationMode, Role
from forum.extensions import db
from forum.mail import subscriptions
from forum.mail.models import MailMode, MailSettings, WatchMode
from forum.markup import mentioned_names, render_markdown
from forum.moderation import services as moderation
from forum.notices.models import Notice
from forum.notices.services import notify
from forum.posts.models import Post, Thread
from tests.conftest import deliver
from tests.helpers import PASSWORD, board, post_form, text_of

COORD = "/b/meeting-of-coordinators"
_HEADER_COUNT = re.compile(r'href="/notices">[^<]*<span class="count">(\d+)</span>')


def signed_in(app, user):
    """A browser of its own, signed in as this person."""
    browser = app.test_client()
    response = post_form(browser, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def header_count(browser) -> int:
    """The unread count the header's Notices link shows on the home page (0: none)."""
    found = _HEADER_COUNT.search(text_of(browser.get("/")))
    return int(found.group(1)) if found else 0


def mail_to(app, smtp, address: str) -> list:
    deliver(app)
    return [message for message in smtp.received if message["To"] == address]


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def notices_of(user) -> list[Notice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notice).where(Notice.user_id == user.id)))


def latest_post() -> Post:
    return db.session.scalars(select(Post).order_by(Post.id.desc())).first()


def reply_by_web(app, author, thread: Thread, body: str, *, to: Post | None = None) -> Post:
    browser = signed_in(app, author)
    fields = {"body": body, "reply_to": str(to.id) if to else ""}
    response = post_form(browser, f"/t/{thread.id}/reply", fields)
    assert response.status_code == 302, text_of(response)
    return latest_post()


# Replies ------------------------------------------------------------------------------


def test_a_reply_tells_the_author_it_answers_on_the_web_and_by_email(
    app, smtp, make_user, make_thread
):
    amina = make_user(name="Amina Diallo", email="amina@example.org")
    kwame = make_user(name="Kwame Mensah")
    thread = make_thread(author=amina, title="Spam costs")
    reply = reply_by_web(app, kwame, thread, "Per megabyte, in our study.", to=thread.first_post)

    browser = signed_in(app, amina)
    assert header_count(browser) == 1
    page = text_of(browser.get("/notices"))
    assert "Kwame Mensah</bdi> replied to your post in “<bdi>Spam costs</bdi>”." in page
    [message] = mail_to(app, smtp, "amina@example.org")
    assert "Kwame Mensah replied to your post" in message["Subject"]
    body = plain(message)
    assert "Per megabyte, in our study." in body
    assert f"http://forum.test/p/{reply.id}" in body
    assert message["List-Unsubscribe"]

    [notice] = notices_of(amina)
    opened = post_form(browser, "/notices/read", {"open": str(notice.id)})
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/p/{reply.id}"
    assert header_count(browser) == 0
    assert "See it</a>" in text_of(browser.get("/notices")), "read: a plain link now"


def test_the_reply_box_under_a_thread_tells_whoever_started_it(app, make_user, make_thread):
    starter, other = make_user(), make_user()
    thread = make_thread(author=starter)
    reply_by_web(app, other, thread, "From the box under the thread")
    assert [notice.kind for notice in notices_of(starter)] == ["reply"]


def test_an_answer_to_a_later_post_tells_its_author_not_the_starter(app, make_user, make_thread):
    starter, first, second = make_user(), make_user(), make_user()
    thread = make_thread(author=starter)
    answered = reply_by_web(app, first, thread, "A point")
    reply_by_web(app, second, thread, "On that point", to=answered)
    assert [notice.kind for notice in notices_of(first)] == ["reply"]
    assert len(notices_of(starter)) == 1, "only the first reply answered the starter"


def test_answering_ones_own_post_tells_nobody(app, smtp, make_user, make_thread):
    author = make_user(email="self@example.org")
    thread = make_thread(author=author)
    reply_by_web(app, author, thread, "And one more thing", to=thread.first_post)
    assert notices_of(author) == []
    assert mail_to(app, smtp, "self@example.org") == []


# Mentions -----------------------------------------------------------------------------


def test_a_mention_links_the_profile_and_tells_the_person(app, smtp, make_user, make_thread):
    nadia = make_user(name="نادية حداد", email="nadia@example.org")
    writer = make_user(name="Lucía Fernández")
    thread = make_thread(title="Agenda")
    post = reply_by_web(app, writer, thread, "What does @[نادية  حداد] think? `@[Not me]`")

    page = text_of(app.test_client().get(f"/t/{thread.id}"))
    assert (
        f'<a href="http://forum.test/people/{nadia.id}" rel="nofollow ugc noopener">@نادية حداد</a>'
        in page
    )
    assert "<code>@[Not me]</code>" in page
    [notice] = notices_of(nadia)
    assert notice.kind == "mention"
    assert notice.post_id == post.id
    [message] = mail_to(app, smtp, "nadia@example.org")
    assert "Lucía Fernández mentioned you in “Agenda”" in message["Subject"]
    assert "What does @[نادية  حداد] think?" in plain(message)


def test_a_name_nobody_or_several_people_have_stays_plain_text(app, make_user, make_thread):
    make_user(name="Sam Lee")
    make_user(name="Sam Lee")
    thread = make_thread()
    reply_by_web(app, make_user(), thread, "Ask @[Sam Lee] or @[Nobody Here].")
    page = text_of(app.test_client().get(f"/t/{thread.id}"))
    assert "Ask @[Sam Lee] or @[Nobody Here]." in page
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 1  # the reply


def test_the_preview_shows_whom_a_mention_reaches(app, make_user, make_thread):
    nadia = make_user(name="Nadia Haddad")
    thread = make_thread()
    browser = signed_in(app, make_user())
    response = post_form(
        browser, f"/t/{thread.id}/reply", {"body": "Hello @[Nadia Haddad]", "preview": "1"}
    )
    assert response.status_code == 200
    assert f'href="http://forum.test/people/{nadia.id}"' in text_of(response)
    assert notices_of(nadia) == []


def test_a_mention_on_a_members_only_board_tells_nobody_outside_it(
    app, smtp, make_user, make_thread
):
    outsider = make_user(name="Outside Person", email="outside@example.org")
    insider = make_user(name="Inside Person", email="inside@example.org",
                        roles={"COORD": Role.MEMBER})  # fmt: skip
    writer = make_user(roles={"COORD": Role.COORDINATOR})
    browser = signed_in(app, writer)
    body = "Confidential: budget cut. @[Outside Person] and @[Inside Person] should know."
    response = post_form(browser, f"{COORD}/new", {"title": "Budget", "body": body})
    assert response.status_code == 302

    assert notices_of(outsider) == []
    assert [notice.kind for notice in notices_of(insider)] == ["mention"]
    page = text_of(browser.get(f"/t/{latest_post().thread_id}"))
    assert "@[Outside Person]" in page, "not linked: the person may not read this board"
    assert mail_to(app, smtp, "outside@example.org") == []
    [message] = mail_to(app, smtp, "inside@example.org")
    assert "Confidential: budget cut." in plain(message)
    assert header_count(signed_in(app, outsider)) == 0


# When a post tells ---------------------------------------------------------------------


def test_a_held_post_tells_when_approved_and_not_before(app, smtp, make_user, make_thread):
    author = make_user(email="author@example.org")
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    thread = make_thread(author=author)
    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    held = reply_by_web(app, make_user(), thread, "Waiting for approval")
    assert notices_of(author) == []
    assert mail_to(app, smtp, "author@example.org") == []

    moderator = signed_in(app, coordinator)
    post_form(moderator, "/queue", {"action": "approve", "post": str(held.id)})
    assert [notice.post_id for notice in notices_of(author)] == [held.id]
    assert len(mail_to(app, smtp, "author@example.org")) == 1


def test_an_edit_tells_only_people_it_names_for_the_first_time(app, smtp, make_user, make_thread):
    first = make_user(name="First Person", email="first@example.org")
    second = make_user(name="Second Person", email="second@example.org")
    writer = make_user()
    thread = make_thread()
    post = reply_by_web(app, writer, thread, "Thanks @[First Person]")
    browser = signed_in(app, writer)
    for body in ("Thanks @[First Person]!", "Thanks @[First Person] and @[Second Person]"):
        response = post_form(browser, f"/p/{post.id}/edit", {"body": body, "language": "en"})
        assert response.status_code == 302, text_of(response)
    assert len(notices_of(first)) == 1
    assert len(notices_of(second)) == 1
    assert len(mail_to(app, smtp, "first@example.org")) == 1
    assert len(mail_to(app, smtp, "second@example.org")) == 1


def test_a_withdrawn_post_is_not_mailed_and_its_notice_says_it_is_gone(
    app, smtp, make_user, make_thread
):
    author = make_user(email="author@example.org")
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    thread = make_thread(author=author, title="Quiet thread")
    reply = reply_by_web(app, make_user(), thread, "Something abusive", to=thread.first_post)
    with app.test_request_context():
        moderation.hide_post(db.session.get(Post, reply.id), coordinator, reason="Abusive")
        db.session.commit()

    messages = mail_to(app, smtp, "author@example.org")
    assert all("Something abusive" not in plain(message) for message in messages)
    assert all("replied to your post" not in message["Subject"] for message in messages)
    page = text_of(signed_in(app, author).get("/notices"))
    assert "The post this notice was about is no longer there." in page
    assert f'value="{notices_of(author)[0].id}"' not in page, "no way to open it"
    with app.test_request_context():
        moderation.unhide_post(db.session.get(Post, reply.id), coordinator)
        db.session.commit()
    assert len([n for n in notices_of(author) if n.kind == "reply"]) == 1, "not told twice"


# Email --------------------------------------------------------------------------------


def test_no_second_mail_for_a_post_that_comes_by_email_already(app, smtp, make_user, make_thread):
    author = make_user(email="follower@example.org")
    thread = make_thread(author=author)
    with app.test_request_context():
        subscriptions.set_board_mode(author, board("C5"), MailMode.EVERY_POST)
        db.session.commit()
    reply_by_web(app, make_user(), thread, "A reply the follower gets anyway")
    [copy] = mail_to(app, smtp, "follower@example.org")
    assert copy["List-Id"], "the copy of the post, not a notice"
    assert [notice.kind for notice in notices_of(author)] == ["reply"], "still on the web"


def test_no_reply_mail_from_a_muted_thread(app, smtp, make_user, make_thread):
    author = make_user(email="muter@example.org")
    thread = make_thread(author=author)
    with app.test_request_context():
        subscriptions.set_watch_mode(author, thread, WatchMode.MUTE)
        db.session.commit()
    reply_by_web(app, make_user(), thread, "Into the muted thread")
    assert mail_to(app, smtp, "muter@example.org") == []
    assert [notice.kind for notice in notices_of(author)] == ["reply"]


def test_replies_and_mentions_by_email_are_on_at_first_and_each_can_be_turned_off(
    app, smtp, make_user, make_thread
):
    person = make_user(name="Busy Person", email="busy@example.org")
    browser = signed_in(app, person)
    page = text_of(browser.get("/settings/mail"))
    for name in ("replies", "mentions"):
        assert re.search(rf'<input checked id="{name}" name="{name}"', page), name
    settings = {"digest_hour": "7", "digest_weekday": "0", "format": "text",
                "digest_form": "summary", "mentions": "y", "notices": "y"}  # fmt: skip
    assert post_form(browser, "/settings/mail", settings).status_code == 302
    thread = make_thread(author=person)
    reply_by_web(app, make_user(), thread, "Hello @[Busy Person]", to=thread.first_post)
    reply_by_web(app, make_user(name="Other Writer"), make_thread(), "Hi @[Busy Person]")
    [message] = mail_to(app, smtp, "busy@example.org")
    assert "Other Writer mentioned you" in message["Subject"]
    assert len(notices_of(person)) == 2


def test_one_click_unsubscribe_from_a_reply_stops_reply_mail_only(
    app, smtp, make_user, make_thread
):
    person = make_user(email="person@example.org")
    thread = make_thread(author=person)
    reply_by_web(app, make_user(), thread, "First reply")
    [message] = mail_to(app, smtp, "person@example.org")
    link = message["List-Unsubscribe"].strip("<>")
    assert app.test_client().post(link).status_code == 200
    settings = db.session.get(MailSettings, person.id)
    assert (settings.replies, settings.mentions, settings.notices) == (False, True, True)


def test_reply_mail_is_in_the_readers_language(app, smtp, make_user, make_thread):
    author = make_user(email="author@example.org")
    author.locale = "ar"
    db.session.commit()
    reply_by_web(app, make_user(name="Kwame"), make_thread(author=author, title="T"), "Hi")
    [message] = mail_to(app, smtp, "author@example.org")
    with app.test_request_context(), force_locale("ar"):
        sentence = _("%(author)s replied to your post in “%(thread)s”.", author="Kwame", thread="T")
    assert sentence != "Kwame replied to your post in “T”."
    assert sentence in plain(message)


# The notices page ---------------------------------------------------------------------


def test_the_notices_page_is_newest_first_a_page_at_a_time(app, make_user):
    person = make_user()
    with app.test_request_context():
        for number in range(35):
            notify(person, "post_approved", thread=f"Thread {number:02d}")
        db.session.commit()
    browser = signed_in(app, person)
    assert header_count(browser) == 35
    first = text_of(browser.get("/notices"))
    assert first.index("Thread 34") < first.index("Thread 33")
    assert "Thread 04" not in first
    assert "Thread 04" in text_of(browser.get("/notices?page=2"))
    beyond = browser.get("/notices?page=9")
    assert beyond.headers["Location"].endswith("/notices?page=2"), "the nearest real page"
    post_form(browser, "/notices/read", {})
    assert header_count(browser) == 0


def test_a_notice_of_someone_else_opens_nothing(app, make_user):
    owner, other = make_user(), make_user()
    with app.test_request_context():
        notice = notify(owner, "post_approved", post_id=1, thread="Theirs")
        db.session.commit()
    browser = signed_in(app, other)
    response = post_form(browser, "/notices/read", {"open": str(notice.id)})
    assert response.headers["Location"] == "/notices"
    assert notices_of(owner)[0].read_at is None
    assert post_form(browser, "/notices/read", {"open": "abc"}).status_code == 302


# The Markdown side ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("@[Amina Diallo] and @[王 芳]", ["Amina Diallo", "王 芳"]),
        ("`@[In code]` and\n\n    @[indented code]", []),
        ("[@[Link text]](https://example.org) and mail a@[example.org]", []),
        ("@[Same]  @[Same] @[ Spaced   out ]", ["Same", "Spaced out"]),
    ],
)
def test_mentions_are_read_outside_code_links_and_addresses(source, names):
    assert mentioned_names(source) == names


def test_a_mentioned_name_is_escaped_in_its_link():
    html = render_markdown("@[<b>x</b>]", mentions={"<b>x</b>": "https://forum.test/people/1"})
    link = '<a href="https://forum.test/people/1" rel="nofollow ugc noopener">'
    assert html.strip() == f"<p>{link}@&lt;b&gt;x&lt;/b&gt;</a></p>"
