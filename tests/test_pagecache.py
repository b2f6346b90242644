"""Pages kept for anonymous readers show changes at once and never leak to others."""

from tests.helpers import PASSWORD, post_form, text_of


def test_anonymous_readers_see_a_new_reply_at_once(client, make_user, sign_in, make_thread, app):
    thread = make_thread(title="Cached thread")
    assert "Fresh reply" not in text_of(client.get(f"/t/{thread.id}"))
    assert "Cached thread" in text_of(client.get("/"))
    writer = app.test_client()
    credentials = {"email": make_user().email, "password": PASSWORD}
    assert post_form(writer, "/sign-in", credentials).status_code == 302
    assert post_form(writer, f"/t/{thread.id}/reply", {"body": "Fresh reply"}).status_code == 302
    assert "Fresh reply" in text_of(client.get(f"/t/{thread.id}"))
    assert ">2</td>" in text_of(client.get("/b/c5-building-confidence-and-security"))


def test_an_edit_shows_at_once(client, make_user, app, make_thread):
    author = make_user()
    thread = make_thread(author=author, body="Before the edit")
    assert "Before the edit" in text_of(client.get(f"/t/{thread.id}"))
    writer = app.test_client()
    post_form(writer, "/sign-in", {"email": author.email, "password": PASSWORD})
    post_form(writer, f"/p/{thread.first_post_id}/edit", {"body": "After the edit"})
    assert "After the edit" in text_of(client.get(f"/t/{thread.id}"))


def test_signed_in_readers_never_get_the_anonymous_page(client, make_user, sign_in, make_thread):
    thread = make_thread()
    assert "Sign in to reply" in text_of(client.get(f"/t/{thread.id}"))
    sign_in(make_user(name="Ingrid Halvorsen"))
    page = text_of(client.get(f"/t/{thread.id}"))
    assert "Post reply" in page
    assert "Ingrid Halvorsen" in page


def test_flashed_messages_are_not_cached(client, make_user, sign_in):
    client.get("/")
    sign_in(make_user())
    post_form(client, "/sign-out", {}, prefix="sign-out")
    assert "You are signed out." in text_of(client.get("/"))
    assert "You are signed out." not in text_of(client.get("/"))
