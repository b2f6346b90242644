"""Feeds show only what the pages show, and archives and feeds stay readable whatever
characters older versions let into titles, names and bodies."""

import mailbox
import re
from email.utils import getaddresses
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import update

from forum.accounts.models import User
from forum.boards.models import ModerationMode, Role
from forum.extensions import db
from forum.moderation import services as moderation
from forum.posts import services as posting
from forum.posts.models import Post, PostStatus, Thread
from forum.text import control_characters
from tests.helpers import board, text_of

ATOM = "{http://www.w3.org/2005/Atom}"
C5 = "/b/c5-building-confidence-and-security"
FEEDS = ["/posts.atom", f"{C5}/posts.atom", f"{C5}/threads.atom"]


def _feed_texts(client, urls: list[str]) -> str:
    """Every feed, parsed (so each must be well-formed XML), as one text to search."""
    texts = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        feed = ET.fromstring(response.data)
        texts.append(" ".join(feed.itertext()))
    return "\n".join(texts)


def _thread_with_reply(app, author: User, replier: User, *, body: str) -> Thread:
    with app.test_request_context():
        thread = posting.create_thread(board("C5"), author, title="Opening", body=body)
        posting.reply(thread, replier, body="A published reply")
        db.session.commit()
    return thread


def test_threads_feed_leaves_out_a_hidden_first_post(app, client, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    thread = _thread_with_reply(app, make_user(), make_user(), body="Hidden opening words")
    with app.test_request_context():
        post = db.session.get(Post, thread.first_post_id)
        moderation.hide_post(post, coordinator, reason="Abusive")
        db.session.commit()
    assert "Hidden opening words" not in text_of(client.get(f"/t/{thread.id}"))
    assert "Hidden opening words" not in _feed_texts(client, FEEDS)


def test_threads_feed_leaves_out_an_edit_waiting_for_approval(app, client, make_user):
    author = make_user()
    thread = _thread_with_reply(app, author, make_user(), body="Approved words")
    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    with app.test_request_context():
        post = db.session.get(Post, thread.first_post_id)
        posting.edit_post(post, author, body="Unapproved words slipped in")
        db.session.commit()
    assert db.session.get(Post, thread.first_post_id).status == PostStatus.PENDING
    feeds = _feed_texts(client, FEEDS)
    assert "Unapproved words slipped in" not in feeds
    assert "A published reply" in feeds


def _held_thread_answered_by_coordinator(app, make_user, body: str) -> tuple[Thread, User]:
    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    with app.test_request_context():
        thread = posting.create_thread(board("C5"), make_user(), title="Held", body=body)
        posting.reply(thread, coordinator, body="The coordinator answers")
        db.session.commit()
    assert db.session.get(Post, thread.first_post_id).status == PostStatus.PENDING
    return thread, coordinator


def test_threads_feed_leaves_out_a_held_first_post_a_coordinator_answered(app, client, make_user):
    thread, _coordinator = _held_thread_answered_by_coordinator(app, make_user, "Still held")
    assert "Still held" not in text_of(client.get(f"/t/{thread.id}"))
    assert "Still held" not in _feed_texts(client, [*FEEDS, f"/t/{thread.id}.atom"])


def test_threads_feed_leaves_out_rejected_text(app, client, make_user):
    thread, coordinator = _held_thread_answered_by_coordinator(app, make_user, "Rejected text")
    with app.test_request_context():
        post = db.session.get(Post, thread.first_post_id)
        moderation.reject_post(post, coordinator, reason="Off-topic")
        db.session.commit()
    assert "Rejected text" not in _feed_texts(client, [*FEEDS, f"/t/{thread.id}.atom"])


def test_threads_feed_still_lists_published_threads(client, make_thread):
    make_thread("C5", title="Visible thread", body="Visible opening", replies=1)
    feed = ET.fromstring(client.get(f"{C5}/threads.atom").data)
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}title").text for entry in entries] == ["Visible thread"]
    assert "Visible opening" in entries[0].find(f"{ATOM}content").text


# Characters older versions let in --------------------------------------------------------

BAD_TITLES = ["Line\r\nbreak", "Vertical\x0btab", "Form\x0cfeed", "Escape\x1b[31m", "Sep\u2028"]


def _stored_with(make_thread, *, title: str, name: str, body_html: str) -> Thread:
    """A thread whose title, author's name and first post hold these values, written to
    the database directly, as an older version (or another program) could have."""
    thread = make_thread("C5", replies=1)
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(title=title))
    db.session.execute(update(User).where(User.id == thread.author_id).values(display_name=name))
    source = re.sub(r"<[^>]+>", "", body_html)
    db.session.execute(
        update(Post)
        .where(Post.id == thread.first_post_id)
        .values(body_html=body_html, body_source=source)
    )
    db.session.commit()
    return thread


def _mbox_messages(data: bytes, tmp_path) -> list:
    path = tmp_path / "archive.mbox"
    path.write_bytes(data)
    box = mailbox.mbox(str(path))
    try:
        return list(box)
    finally:
        box.close()


@pytest.mark.parametrize("title", BAD_TITLES)
def test_mbox_downloads_survive_control_characters(client, make_thread, tmp_path, title):
    thread = _stored_with(
        make_thread, title=title, name=f"Name {title}", body_html="<p>Body\x0b\x01 text</p>"
    )
    created = thread.created_at
    for url in [f"/t/{thread.id}.mbox", f"{C5}/archive/{created.year}/{created.month}.mbox"]:
        response = client.get(url)
        assert response.status_code == 200, url
        messages = _mbox_messages(response.data, tmp_path)
        assert len(messages) == 2, url
        first = messages[0]
        assert first["Subject"].startswith("[C5] ")
        assert not control_characters(first["Subject"] + first["From"])
        assert first["From"].endswith("@forum.example.org>")
        assert "Body" in first.get_payload(decode=True).decode()


def test_mbox_keeps_a_name_with_commas_and_quotes_as_one_address(client, make_thread, tmp_path):
    thread = _stored_with(
        make_thread, title="Quoted", name='Doe, "Jane" <j@x.org>', body_html="<p>Hi</p>"
    )
    messages = _mbox_messages(client.get(f"/t/{thread.id}.mbox").data, tmp_path)
    assert getaddresses([messages[0]["From"]]) == [
        ('Doe, "Jane" <j@x.org>', f"person-{thread.author_id}@forum.example.org")
    ]


@pytest.mark.parametrize("title", BAD_TITLES)
def test_feeds_stay_well_formed_xml(client, make_thread, title):
    thread = _stored_with(
        make_thread, title=title, name=f"Name {title}", body_html="<p>Body\x0b\x01 text</p>"
    )
    texts = _feed_texts(client, [*FEEDS, f"/t/{thread.id}.atom"])
    assert "Body" in texts
    assert "Name" in texts
