"""Starting threads, replying, editing with history, and who is turned away."""

import pytest
from sqlalchemy import select

from forum.boards.models import Role
from forum.extensions import db
from forum.posts.models import Post, PostRevision, Thread
from tests.helpers import board, post_form, text_of

C5 = "/b/c5-building-confidence-and-security"


def test_start_thread_and_reply(client, make_user, sign_in):
    sign_in(make_user(name="Lucía Fernández"))
    response = post_form(client, f"{C5}/new", {"title": "Spam costs", "body": "Per **megabyte**."})
    assert response.status_code == 302
    thread = db.session.scalars(select(Thread).where(Thread.title == "Spam costs")).one()
    reply = post_form(
        client, f"/t/{thread.id}/reply", {"body": "Agreed, see [our study](https://example.org/s)."}
    )
    assert reply.status_code == 302
    page = text_of(client.get(f"/t/{thread.id}"))
    assert "<strong>megabyte</strong>" in page
    assert 'href="https://example.org/s" rel="nofollow ugc noopener"' in page
    assert "Lucía Fernández" in page
    db.session.expire_all()
    assert thread.post_count == 2
    assert board("C5").thread_count == 1
    assert board("C5").post_count == 2
    assert thread.last_post_id == max(p.id for p in db.session.scalars(select(Post)))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"title": "", "body": "Kept body text"}, "Give the thread a title"),
        ({"title": "Kept title", "body": "   "}, "Write a message"),
        ({"title": "x" * 201, "body": "Kept body text"}, "the limit is 200"),
        ({"title": "Kept title", "body": "y" * 50_001}, "the limit is 50000"),
    ],
)
def test_bad_thread_input_keeps_the_text(client, make_user, sign_in, form, message):
    sign_in(make_user())
    response = post_form(client, f"{C5}/new", form)
    page = text_of(response)
    assert response.status_code == 400
    assert message in page
    assert "Kept" in page or "x" * 201 in page
    assert db.session.scalar(select(Thread)) is None


def test_expired_csrf_on_reply_keeps_the_text(client, make_user, sign_in, make_thread):
    thread = make_thread()
    sign_in(make_user())
    response = client.post(
        f"/t/{thread.id}/reply", data={"body": "My careful reply", "csrf_token": "old"}
    )
    assert response.status_code == 400
    assert "My careful reply" in text_of(response)
    assert "The form had expired" in text_of(response)


def test_unverified_user_cannot_post(client, make_user, sign_in):
    sign_in(make_user(verified=False))
    assert "Start a thread" not in text_of(client.get(C5))
    response = post_form(client, f"{C5}/new", {"title": "Hello", "body": "My text"})
    assert response.status_code == 400
    assert "Confirm your email address before posting" in text_of(response)
    assert "My text" in text_of(response)


def test_suspended_user_cannot_reply(client, make_user, sign_in, make_thread):
    thread = make_thread()
    sign_in(make_user(suspended=True))
    response = post_form(client, f"/t/{thread.id}/reply", {"body": "Let me in"})
    assert response.status_code == 400
    assert "suspended" in text_of(response)


def test_anonymous_is_sent_to_sign_in(client, make_thread):
    thread = make_thread()
    response = client.get(f"/t/{thread.id}/reply")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_non_member_cannot_post_in_bureau(client, make_user, sign_in):
    sign_in(make_user())
    response = post_form(client, "/b/civil-society-bureau/new", {"title": "T", "body": "B"})
    assert response.status_code == 400
    assert "You cannot post here" in text_of(response)


def test_bureau_member_posts_in_bureau(client, make_user, sign_in):
    sign_in(make_user(roles={"CSB": Role.MEMBER}))
    response = post_form(
        client, "/b/civil-society-bureau/new", {"title": "Agenda", "body": "Items"}
    )
    assert response.status_code == 302


def test_private_board_answers(client, make_user, sign_in, make_thread):
    member = make_user(roles={"COORD": Role.MEMBER})
    thread = make_thread("COORD", author=member, title="Coordinators only")
    assert client.get("/b/meeting-of-coordinators").status_code == 302
    assert client.get(f"/t/{thread.id}").status_code == 302
    sign_in(make_user())
    assert client.get("/b/meeting-of-coordinators").status_code == 404
    assert client.get(f"/t/{thread.id}").status_code == 404
    assert client.get(f"/p/{thread.first_post_id}").status_code == 404


def test_locked_thread_refuses_replies(client, make_user, sign_in, make_thread):
    thread = make_thread()
    thread.is_locked = True
    db.session.commit()
    sign_in(make_user())
    assert "This thread is locked" in text_of(client.get(f"/t/{thread.id}"))
    response = post_form(client, f"/t/{thread.id}/reply", {"body": "Too late"})
    assert "This thread is locked" in text_of(response)


def test_edit_keeps_every_revision(client, make_user, sign_in, make_thread):
    author = make_user()
    thread = make_thread(author=author, body="First version")
    post_id = thread.first_post_id
    sign_in(author)
    assert post_form(client, f"/p/{post_id}/edit", {"body": "Second version"}).status_code == 302
    assert post_form(client, f"/p/{post_id}/edit", {"body": "Third version"}).status_code == 302
    revisions = db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post_id)
    ).all()
    assert [r.body_source for r in revisions] == ["First version", "Second version"]
    thread_page = text_of(client.get(f"/t/{thread.id}"))
    assert "Third version" in thread_page
    assert "edited" in thread_page
    history = text_of(client.get(f"/p/{post_id}/history"))
    assert (
        history.index("Third version")
        < history.index("Second version")
        < history.index("First version")
    )


def test_moderator_edit_is_marked(client, make_user, sign_in, make_thread):
    thread = make_thread()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    post_form(client, f"/p/{thread.first_post_id}/edit", {"body": "Personal data removed"})
    assert "edited by a moderator" in text_of(client.get(f"/t/{thread.id}"))


def test_others_cannot_edit(client, make_user, sign_in, make_thread):
    thread = make_thread()
    sign_in(make_user())
    assert client.get(f"/p/{thread.first_post_id}/edit").status_code == 403
    assert (
        post_form(client, f"/p/{thread.first_post_id}/edit", {"body": "Mine now"}).status_code
        == 403
    )


def test_permalink_finds_the_right_page(client, make_thread):
    thread = make_thread(replies=35)
    last = db.session.scalars(
        select(Post).where(Post.thread_id == thread.id).order_by(Post.id.desc())
    ).first()
    response = client.get(f"/p/{last.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{thread.id}?page=2#p{last.id}")
    assert "Reply number 35" in text_of(client.get(f"/t/{thread.id}?page=2"))
    first = client.get(f"/p/{thread.first_post_id}")
    assert first.headers["Location"].endswith(f"/t/{thread.id}#p{thread.first_post_id}")


def test_get_requests_never_write(client, make_thread, count_queries):
    thread = make_thread(replies=3)
    with count_queries() as counter:
        for url in [
            "/",
            C5,
            f"/t/{thread.id}",
            f"/p/{thread.first_post_id}/history",
            f"/people/{thread.author_id}",
        ]:
            assert client.get(url).status_code == 200
    assert counter.count > 0
    writes = [s for s in counter.statements if not s.lstrip().upper().startswith("SELECT")]
    assert writes == []


def test_thread_page_offers_reply_and_edit_to_the_right_people(
    client, make_user, sign_in, make_thread
):
    author = make_user()
    thread = make_thread(author=author)
    edit_link = f'href="/p/{thread.first_post_id}/edit"'
    anonymous = text_of(client.get(f"/t/{thread.id}"))
    assert "Sign in to reply" in anonymous
    assert edit_link not in anonymous
    sign_in(make_user())
    other = text_of(client.get(f"/t/{thread.id}"))
    assert 'action="/t/' in other
    assert "Post reply" in other
    assert edit_link not in other
    post_form(client, "/sign-out", {}, prefix="sign-out")
    sign_in(author)
    assert edit_link in text_of(client.get(f"/t/{thread.id}"))


def test_publishing_and_editing_are_announced_once(app, make_user, make_thread):
    from forum import events
    from forum.posts import services as posting

    published, edited = [], []
    with (
        events.post_published.connected_to(lambda post, new: published.append((post.id, new))),
        events.post_edited.connected_to(lambda post, revision: edited.append(post.id)),
    ):
        author = make_user()
        thread = make_thread(author=author, replies=1)
        with app.test_request_context():
            posting.edit_post(thread.first_post, author, body="Changed")
            posting.edit_post(thread.first_post, author, body="Changed")
    assert len(published) == 2
    assert published[0] == (thread.first_post_id, True), "written and published at once"
    assert edited == [thread.first_post_id], "an edit that changes nothing is not announced"
