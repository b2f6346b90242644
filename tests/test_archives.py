"""Month archives, Atom feeds and mbox files: complete, and never showing the unreadable."""

import mailbox
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

from forum.boards.models import ModerationMode, Role
from forum.extensions import db
from forum.posts import services as posting
from forum.posts.models import Post, PostStatus
from tests.helpers import board, post_form, text_of

ATOM = "{http://www.w3.org/2005/Atom}"
C5 = "/b/c5-building-confidence-and-security"


def _thread_in(app, make_user, code: str, when: datetime, title: str, replies: int = 0):
    author = make_user(roles={code: Role.MEMBER})
    with app.test_request_context():
        thread = posting.create_thread(board(code), author, title=title, body="First", at=when)
        for number in range(replies):
            posting.reply(
                thread, author, body=f"Reply {number}", at=when + timedelta(hours=number + 1)
            )
        db.session.commit()
    return thread


def test_archive_lists_months_and_threads_with_counts(app, client, make_user):
    _thread_in(
        app, make_user, "C5", datetime(2006, 2, 10, tzinfo=UTC), "Tunis follow-up", replies=2
    )
    _thread_in(app, make_user, "C5", datetime(2006, 3, 5, tzinfo=UTC), "Financing mechanisms")
    page = text_of(client.get(f"{C5}/archive"))
    assert "2006" in page
    assert "February" in page
    assert "March" in page
    assert "1 thread, 3 posts" in page
    month = text_of(client.get(f"{C5}/archive/2006/2"))
    assert "Tunis follow-up" in month
    assert "3 posts this month" in month
    assert "Financing mechanisms" not in month
    assert client.get(f"{C5}/archive/2006/13").status_code == 404
    assert client.get(f"{C5}/archive/1999/1").status_code == 404


def test_thread_links_to_its_month(app, client, make_user):
    thread = _thread_in(app, make_user, "C5", datetime(2007, 5, 1, tzinfo=UTC), "Geneva cluster")
    assert f"{C5}/archive/2007/5" in text_of(client.get(f"/t/{thread.id}"))


def test_private_board_archives_and_downloads_are_closed(app, client, make_user, sign_in):
    thread = _thread_in(app, make_user, "COORD", datetime(2006, 2, 1, tzinfo=UTC), "Closed")
    sign_in(make_user())
    for url in [
        "/b/meeting-of-coordinators/archive",
        "/b/meeting-of-coordinators/archive/2006/2",
        "/b/meeting-of-coordinators/archive/2006/2.mbox",
        f"/t/{thread.id}.mbox",
    ]:
        assert client.get(url).status_code == 404, url
    post_form(client, "/sign-out", {}, prefix="sign-out")
    for url in [
        "/b/meeting-of-coordinators/posts.atom",
        "/b/meeting-of-coordinators/threads.atom",
        f"/t/{thread.id}.atom",
    ]:
        assert client.get(url).status_code == 404, url
    assert "Closed" not in text_of(client.get("/posts.atom"))


def test_held_posts_are_in_no_archive_or_feed(app, client, make_user, sign_in):
    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    sign_in(make_user())
    post_form(client, f"{C5}/new", {"title": "Held back", "body": "not yet"})
    post_form(client, "/sign-out", {}, prefix="sign-out")
    now = datetime.now(UTC)
    assert "Held back" not in text_of(client.get(f"{C5}/archive"))
    assert client.get(f"{C5}/archive/{now.year}/{now.month}").status_code == 404
    assert "Held back" not in text_of(client.get(f"{C5}/posts.atom"))
    assert "Held back" not in text_of(client.get("/posts.atom"))


def test_feeds_are_valid_atom(app, client, make_user):
    thread = _thread_in(
        app, make_user, "C5", datetime(2008, 1, 1, tzinfo=UTC), "Atom <test> & co", 2
    )
    for url in ["/posts.atom", f"{C5}/posts.atom", f"{C5}/threads.atom", f"/t/{thread.id}.atom"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "application/atom+xml"
        feed = ET.fromstring(response.data)
        assert feed.tag == f"{ATOM}feed"
        for required in ("id", "title", "updated"):
            assert feed.find(f"{ATOM}{required}") is not None, (url, required)
        entries = feed.findall(f"{ATOM}entry")
        assert entries, url
        for entry in entries:
            for required in ("id", "title", "updated", "author", "link", "content"):
                assert entry.find(f"{ATOM}{required}") is not None, (url, required)
        assert entries[0].find(f"{ATOM}title").text == "Atom <test> & co"
    threads_feed = ET.fromstring(client.get(f"{C5}/threads.atom").data)
    assert len(threads_feed.findall(f"{ATOM}entry")) == 1, "new threads only, not replies"


def test_mbox_threads_in_a_mail_client(app, client, make_user, tmp_path):
    thread = _thread_in(app, make_user, "C5", datetime(2009, 4, 2, tzinfo=UTC), "Mbox thread", 2)
    first_post = db.session.get(Post, thread.first_post_id)
    with app.test_request_context():
        posting.reply(
            thread,
            first_post.author,
            body="From the start\nFrom here on",
            reply_to=db.session.get(Post, thread.last_post_id),
            at=datetime(2009, 4, 3, tzinfo=UTC),
        )
        db.session.commit()
    response = client.get(f"{C5}/archive/2009/4.mbox")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    path = tmp_path / "month.mbox"
    path.write_bytes(response.data)
    box = mailbox.mbox(str(path))
    try:
        messages = list(box)
    finally:
        box.close()
    assert len(messages) == 4
    root = messages[0]
    assert root["Message-ID"] == f"<post-{thread.first_post_id}@forum.example.org>"
    assert root["Subject"] == "[C5] Mbox thread"
    chains = [[root], [root], [root, messages[2]]]
    for reply, chain in zip(messages[1:], chains, strict=True):
        assert reply["In-Reply-To"] == chain[-1]["Message-ID"], "the post it answers"
        assert reply["References"].split() == [m["Message-ID"] for m in chain], "root to parent"
        assert reply["Subject"] == "Re: [C5] Mbox thread"
        assert "@example.org" not in reply["From"], "real addresses are never exported"
    assert b"\n>From the start" in response.data, "mboxrd quoting"
    assert client.get(f"/t/{thread.id}.mbox").status_code == 200


def test_email_posts_keep_their_message_id(app, make_user, make_thread):
    from forum.mail.ids import message_id

    thread = make_thread("C5")
    post = db.session.get(Post, thread.first_post_id)
    with app.test_request_context():
        assert message_id(post) == f"<post-{post.id}@forum.example.org>"
        post.message_id = "<CAF123@mail.example.net>"
        assert message_id(post) == "<CAF123@mail.example.net>"


def test_permalinks_survive_moves(client, make_user, sign_in, make_thread):
    thread = make_thread("C5", replies=1)
    sign_in(make_user(admin=True))
    post_form(client, f"/t/{thread.id}/moderate", {"action": "move", "board": str(board("C6").id)})
    response = client.get(f"/p/{thread.last_post_id}")
    assert response.headers["Location"].endswith(f"/t/{thread.id}#p{thread.last_post_id}")
    assert db.session.get(Post, thread.last_post_id).status == PostStatus.PUBLISHED
