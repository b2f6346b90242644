"""Thread pages are put together from each post's kept fragment (forum/posts/fragments.py)
and the reader's own parts: what changes a post or its author shows at once, every
reader gets their own tools and marks, and a fragment rendered by one server serves the
others through Redis."""

import re

import pytest
from sqlalchemy import update

from forum.accounts.models import User
from forum.boards.models import Role
from forum.db import utcnow
from forum.extensions import db
from forum.moderation import posts_acts
from forum.posts import fragments
from forum.posts import services as posting
from forum.posts.models import Post
from tests.helpers import post_form, signed_in, text_of

# The shared-state tests' fixtures: a Redis server of the test's own, and forum servers.
from tests.test_shared_state import make_server, redis_server  # noqa: F401

_ARTICLE = re.compile(r'<article id="p(\d+)".*?</article>', re.DOTALL)


def _articles(page: str) -> dict[int, str]:
    return {int(match.group(1)): match.group(0) for match in _ARTICLE.finditer(page)}


@pytest.fixture
def never_rendered(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the posts whose fragments are rendered from now on."""
    rendered: list[int] = []
    render = fragments._render

    def counting(rows, locale):
        rendered.extend(row.id for row in rows)
        return render(rows, locale)

    monkeypatch.setattr(fragments, "_render", counting)
    return rendered


def test_a_post_is_rendered_once_for_everysigned_in(app, make_user, make_thread, never_rendered):
    thread = make_thread(replies=4)
    pages = [
        text_of(signed_in(app, reader).get(f"/t/{thread.id}"))
        for reader in (make_user(), make_user(roles={"C5": Role.COORDINATOR}))
    ]
    assert "/moderate" not in pages[0]
    assert "/moderate" in pages[1]
    assert sorted(never_rendered) == sorted(_post_ids(thread))


def test_an_edited_post_a_renamed_author_and_a_deleted_account_show_at_once(
    app, client, make_user, make_thread, sign_in
):
    author = make_user(name="Amina Diallo")
    thread = make_thread(author=author, body="The first wording.")
    reader = make_user()
    sign_in(reader)
    assert "Amina Diallo" in text_of(client.get(f"/t/{thread.id}"))

    with app.test_request_context():
        post = db.session.get(Post, thread.first_post_id)
        posting.edit_post(post, author, body="The second wording.")
        db.session.commit()
    db.session.execute(update(User).where(User.id == author.id).values(display_name="Amina D."))
    db.session.commit()
    page = text_of(client.get(f"/t/{thread.id}"))
    article = _articles(page)[thread.first_post_id]
    assert "The second wording." in article
    assert "The first wording." not in article
    assert "<bdi>Amina D.</bdi>" in article
    assert f'href="/p/{thread.first_post_id}/history">edited</a>' in article

    db.session.execute(update(User).where(User.id == author.id).values(deleted_at=utcnow()))
    db.session.commit()
    assert "<bdi>a former participant</bdi>" in text_of(client.get(f"/t/{thread.id}"))


def test_a_hidden_post_shows_as_hidden_to_moderators_and_not_at_all_to_members(
    app, make_user, make_thread
):
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    thread = make_thread(replies=1)
    hidden_id = _post_ids(thread)[1]
    member, moderator = signed_in(app, make_user()), signed_in(app, coordinator)
    assert hidden_id in _articles(text_of(member.get(f"/t/{thread.id}")))
    assert 'class="hidden"' not in text_of(moderator.get(f"/t/{thread.id}"))

    with app.test_request_context():
        posts_acts.hide_post(db.session.get(Post, hidden_id), coordinator, reason="Off topic")
        db.session.commit()
    assert hidden_id not in _articles(text_of(member.get(f"/t/{thread.id}")))
    article = _articles(text_of(moderator.get(f"/t/{thread.id}")))[hidden_id]
    assert 'class="hidden"' in article
    assert '<span class="tag">Hidden</span> <bdi>Off topic</bdi>' in article


def test_each_reader_gets_their_own_tools_around_the_same_fragment(app, make_user, make_thread):
    author = make_user()
    thread = make_thread(author=author)
    first = thread.first_post_id
    tools = {}
    for name, person in (
        ("author", author),
        ("member", make_user()),
        ("coordinator", make_user(roles={"C5": Role.COORDINATOR})),
        ("unverified", make_user(verified=False)),
    ):
        article = _articles(text_of(signed_in(app, person).get(f"/t/{thread.id}")))[first]
        tools[name] = re.findall(r'<a href="/p/\d+/(\w+)">', article)
    assert tools == {
        "author": ["reply", "edit"],
        "member": ["reply", "flag"],
        "coordinator": ["reply", "moderate"],
        "unverified": [],
    }


def test_a_reply_link_answers_its_post(client, make_user, make_thread, sign_in):
    thread = make_thread(replies=1)
    second = _post_ids(thread)[1]
    sign_in(make_user())
    form = text_of(client.get(f"/p/{second}/reply"))
    assert f'name="reply_to" type="hidden" value="{second}"' in form
    assert client.get("/p/999999/reply").status_code == 404


def test_the_reply_under_a_thread_takes_the_language_of_its_text(
    client, make_user, make_thread, sign_in
):
    thread = make_thread()
    sign_in(make_user())
    page = text_of(client.get(f"/t/{thread.id}"))
    assert 'name="language"' not in page.split('id="reply-heading"')[1]
    for body, language in (
        ("Нам нужен общий контрольный список для национальных групп.", "ru"),
        ("Nous proposons une liste commune pour les équipes nationales de réponse.", "fr"),
        ("Yes.", "en"),
    ):
        response = post_form(client, f"/t/{thread.id}/reply", {"body": body})
        assert response.status_code == 302
        written = db.session.scalars(db.select(Post).where(Post.body_source == body)).one()
        assert written.language == language, body


def _post_ids(thread) -> list[int]:
    return list(
        db.session.scalars(
            db.select(Post.id).where(Post.thread_id == thread.id).order_by(Post.created_at, Post.id)
        )
    )


def test_a_fragment_rendered_by_one_server_serves_the_other(
    request, make_user, make_thread, monkeypatch
):
    server, shared_redis = (
        request.getfixturevalue("make_server"),
        request.getfixturevalue("redis_server"),
    )
    first, second = server(), server()
    thread = make_thread(replies=2)
    reader = make_user()
    page = text_of(signed_in(first, reader).get(f"/t/{thread.id}"))
    assert len(shared_redis.keys("forum:post:*")) == 3

    def not_again(rows, locale):
        raise AssertionError("rendered again")

    monkeypatch.setattr(fragments, "_render", not_again)
    again = text_of(signed_in(second, reader).get(f"/t/{thread.id}"))
    assert _articles(again) == _articles(page)


def test_a_page_is_served_while_redis_is_down(request, make_user, make_thread):
    shared_redis = request.getfixturevalue("redis_server")
    server = request.getfixturevalue("make_server")()
    thread = make_thread(title="Still there", replies=1)
    reader = signed_in(server, make_user())
    shared_redis.stop()
    response = reader.get(f"/t/{thread.id}")
    assert response.status_code == 200
    assert len(_articles(text_of(response))) == 2


def test_a_reader_who_cannot_reply_gets_no_form_and_no_cookie(
    app, client, make_user, make_thread, monkeypatch
):
    thread = make_thread(replies=1)
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 0)
    response = client.get(f"/t/{thread.id}")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "csrf_token" not in text_of(response)
    unverified = text_of(signed_in(app, make_user(verified=False)).get(f"/t/{thread.id}"))
    assert 'action="/t/' + str(thread.id) + '/reply"' not in unverified
    assert "Confirm your email address before posting." in unverified
