"""Replies answer a post: Reply and Quote on the web, "in reply to" on the thread page,
and the post each reply answers recorded for mail threading."""

import re

from sqlalchemy import select

from forum.boards.models import Role
from forum.extensions import db
from forum.moderation import services as moderation
from forum.posts import services as posting
from forum.posts.models import Post
from tests.helpers import board, post_form, text_of


def latest_post(thread) -> Post:
    db.session.expire_all()
    return db.session.scalars(
        select(Post).where(Post.thread_id == thread.id).order_by(Post.id.desc())
    ).first()


def reply_field(page: str) -> str:
    return re.search(r'name="reply_to" type="hidden" value="([^"]*)"', page)[1]


def test_quote_fills_the_form_and_the_reply_shows_whom_it_answers(
    app, client, make_user, make_thread, sign_in
):
    amina = make_user(name="Amina Diallo")
    thread = make_thread(author=amina, title="Spam", body="Opening post")
    with app.test_request_context():
        second = posting.reply(thread, amina, body="First line\n\n- a point\n- another")
        db.session.commit()
    sign_in(make_user(name="Kwame Mensah"))
    page = text_of(client.get(f"/t/{thread.id}"))
    assert f'<a href="/p/{second.id}/reply">Reply</a>' in page
    for address in (f"/p/{second.id}/reply", f"/t/{thread.id}/reply?to={second.id}"):
        answering = text_of(client.get(address))
        assert reply_field(answering) == str(second.id)
        assert f'<a href="/t/{thread.id}/reply?quote={second.id}">Quote</a>' in answering
        assert f'action="/t/{thread.id}/reply"' in answering

    form = text_of(client.get(f"/t/{thread.id}/reply?quote={second.id}"))
    assert reply_field(form) == str(second.id)
    assert "Amina Diallo wrote:\n\n&gt; First line\n&gt;\n&gt; - a point\n&gt; - another" in form
    body = "Amina Diallo wrote:\n\n> First line\n\nI agree."
    response = post_form(
        client, f"/t/{thread.id}/reply", {"body": body, "reply_to": str(second.id)}
    )
    assert response.status_code == 302
    answer = latest_post(thread)
    assert answer.reply_to_id == second.id

    page = text_of(client.get(f"/t/{thread.id}"))
    assert re.search(
        rf'<a href="#p{second.id}">in reply to <bdi>Amina Diallo</bdi> #2</a>',
        page,
    )
    assert "<blockquote>" in page


def test_replies_from_the_thread_page_answer_its_first_post(
    client, make_user, make_thread, sign_in
):
    thread = make_thread(replies=1)
    sign_in(make_user())
    page = text_of(client.get(f"/t/{thread.id}"))
    assert 'name="reply_to"' not in page
    post_form(client, f"/t/{thread.id}/reply", {"body": "Plain reply", "reply_to": ""})
    assert latest_post(thread).reply_to_id == thread.first_post_id
    assert "in reply to" not in text_of(client.get(f"/t/{thread.id}")), "no marker for these"


def test_a_reply_answers_only_a_published_post_of_its_own_thread(
    app, client, make_user, make_thread, sign_in
):
    thread = make_thread(replies=1)
    other = make_thread(title="Elsewhere", body="Not in this thread")
    hidden = latest_post(thread)
    with app.test_request_context():
        moderation.hide_post(hidden, make_user(roles={"C5": Role.COORDINATOR}), reason="check")
        db.session.commit()
    sign_in(make_user())
    for named in (str(other.first_post_id), str(hidden.id), "nonsense", "-1", "99999999999"):
        response = post_form(client, f"/t/{thread.id}/reply", {"body": f"To {named}",
                                                                "reply_to": named})  # fmt: skip
        assert response.status_code == 302
        assert latest_post(thread).reply_to_id == thread.first_post_id, named
    form = text_of(client.get(f"/t/{thread.id}/reply?to={other.first_post_id}&quote=1"))
    assert "Not in this thread" not in form, "nothing from another thread is quoted"
    assert reply_field(form) == ""


def test_in_reply_to_links_to_a_post_on_another_page(app, client, make_user, make_thread, sign_in):
    app.config["POSTS_PER_PAGE"] = 2
    try:
        author = make_user(name="Sophie Martin")
        thread = make_thread(author=author, replies=1)
        second = latest_post(thread)
        with app.test_request_context():
            posting.reply(thread, author, body="Later", reply_to=second)
            db.session.commit()
        page = text_of(client.get(f"/t/{thread.id}?page=2"))
        assert f'href="/p/{second.id}">in reply to <bdi>Sophie Martin</bdi> #2</a>' in page
        assert ">#3</a>" in page
    finally:
        app.config["POSTS_PER_PAGE"] = 30


def test_a_reply_by_email_answers_the_post_its_in_reply_to_names(app, lmtp, make_user):
    from tests.mailin import DOMAIN, email, latest_post, send

    author = make_user(email="tree@example.org")
    with app.test_request_context():
        thread = posting.create_thread(board("C5"), author, title="Tree", body="Root")
        middle = posting.reply(thread, author, body="Middle")
        posting.reply(thread, author, body="Last")
        db.session.commit()
        middle_id, root_id = middle.id, thread.first_post_id

    answer = email("tree@example.org", "Re: Tree", "To the middle one",
                   In_Reply_To=f"<post-{middle_id}@{DOMAIN}>")  # fmt: skip
    send(lmtp, answer, to=f"c5@{DOMAIN}")
    assert latest_post().reply_to_id == middle_id

    plain = email("tree@example.org", "Re: Tree", "To the thread",
                  References=f"<post-{root_id}@{DOMAIN}>")  # fmt: skip
    send(lmtp, plain, to=f"c5@{DOMAIN}")
    assert latest_post().reply_to_id == root_id
