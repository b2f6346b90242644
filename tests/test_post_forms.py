"""Writing tools without JavaScript: Preview and formatting help on every post form,
Quote that asks the writer to trim, headed and numbered posts, and history with what
each edit changed."""

import re

from sqlalchemy import func, select

from forum.boards.models import Role
from forum.extensions import db
from forum.posts import services as posting
from forum.posts.models import Post, Thread
from tests.helpers import post_form, text_of

C5 = "/b/c5-building-confidence-and-security"
SOURCE = "Some **bold** words\n\n> a quoted line\n\n<script>alert(1)</script>"


def _posts_in(thread) -> int:
    return db.session.scalar(select(func.count()).where(Post.thread_id == thread.id))


def test_preview_of_a_new_thread_shows_it_rendered_keeps_the_form_and_posts_nothing(
    client, make_user, sign_in
):
    sign_in(make_user())
    form = text_of(client.get(f"{C5}/new"))
    token = re.search(r'name="submission" type="hidden" value="([^"]+)"', form)[1]
    data = {"title": "Draft agenda", "body": SOURCE, "language": "fr", "submission": token}
    response = post_form(client, f"{C5}/new", {**data, "preview": "1"})
    page = text_of(response)
    assert response.status_code == 200
    preview = page[page.index('id="preview-heading"') : page.index("</section>")]
    assert "<strong>bold</strong>" in preview
    assert "<blockquote>" in preview
    assert "<script>" not in page
    assert 'lang="fr"' in preview
    assert "Draft agenda" in preview
    assert 'value="Draft agenda"' in page
    assert "Some **bold** words\n\n&gt; a quoted line" in page
    assert f'value="{token}"' in page, "the same form, so sending it twice posts once"
    assert '<option selected value="fr">' in page
    assert db.session.scalar(select(func.count()).where(Thread.title == "Draft agenda")) == 0

    assert post_form(client, f"{C5}/new", data).status_code == 302
    assert db.session.scalar(select(func.count()).where(Thread.title == "Draft agenda")) == 1


def test_preview_of_a_reply_and_of_an_edit_writes_nothing(client, make_user, make_thread, sign_in):
    author = make_user()
    thread = make_thread(author=author, body="The original text")
    sign_in(author)
    response = post_form(client, f"/t/{thread.id}/reply", {"body": "A *new* reply", "preview": "1"})
    assert response.status_code == 200
    assert "A <em>new</em> reply" in text_of(response)
    assert _posts_in(thread) == 1

    url = f"/p/{thread.first_post_id}/edit"
    response = post_form(client, url, {"body": "The *changed* text", "preview": "1"})
    assert response.status_code == 200
    assert "The <em>changed</em> text" in text_of(response)
    assert "The *changed* text</textarea>" in text_of(response)
    db.session.expire_all()
    post = db.session.get(Post, thread.first_post_id)
    assert post.body_source == "The original text"
    assert post.revision_count == 0


def test_preview_of_an_empty_message_says_what_is_missing(client, make_user, sign_in):
    sign_in(make_user())
    response = post_form(client, f"{C5}/new", {"title": "Kept", "body": "", "preview": "1"})
    assert response.status_code == 400
    assert "Write a message." in text_of(response)
    assert 'id="preview-heading"' not in text_of(response)
    assert 'value="Kept"' in text_of(response)


def test_every_post_form_has_preview_and_formatting_help(client, make_user, make_thread, sign_in):
    author = make_user()
    thread = make_thread(author=author)
    sign_in(author)
    for url in (
        f"{C5}/new",
        f"/t/{thread.id}/reply",
        f"/p/{thread.first_post_id}/edit",
    ):
        page = text_of(client.get(url))
        assert '<button class="secondary" name="preview" value="1">Preview' in page
        help_ = page[page.index('<details class="formatting" id="formatting">') :]
        assert "<summary>Formatting help</summary>" in help_
        assert "<code>**bold**</code></td><td><p><strong>bold</strong></p>" in help_, url
        assert "<blockquote>" in help_
    # The reply form under a thread, on every page of it, links to that help.
    page = text_of(client.get(f"/t/{thread.id}"))
    assert '<button class="secondary" name="preview" value="1">Preview' in page
    assert f'<a href="/t/{thread.id}/reply#formatting">Formatting help</a>' in page


def test_formatting_help_speaks_the_readers_language(client, make_user, make_thread, sign_in):
    reader = make_user()
    reader.locale = "fr"
    db.session.commit()
    sign_in(reader)
    page = text_of(client.get(f"{C5}/new"))
    assert "<summary>Aide à la mise en forme</summary>" in page
    assert "<code>**gras**</code>" in page


def test_quote_asks_the_writer_to_keep_only_what_they_answer(
    app, client, make_user, make_thread, sign_in
):
    thread = make_thread(body="One point\n\nAnother point")
    sign_in(make_user())
    hint = "Keep only the part of the quotation that you answer."
    quoting = text_of(client.get(f"/t/{thread.id}/reply?to={thread.first_post_id}&quote=1"))
    assert hint in quoting
    assert "&gt; One point\n&gt;\n&gt; Another point" in quoting
    assert hint not in text_of(client.get(f"/t/{thread.id}/reply?to={thread.first_post_id}"))


def test_each_post_is_headed_by_its_number_a_permalink_and_its_author(
    app, client, make_user, make_thread
):
    app.config["POSTS_PER_PAGE"] = 2
    try:
        thread = make_thread(author=make_user(name="Amina Diallo"), replies=2)
        ids = db.session.scalars(
            select(Post.id).where(Post.thread_id == thread.id).order_by(Post.id)
        ).all()
        first = text_of(client.get(f"/t/{thread.id}"))
        second = text_of(client.get(f"/t/{thread.id}?page=2"))
    finally:
        app.config["POSTS_PER_PAGE"] = 30
    for page, number, post_id in ((first, 1, ids[0]), (first, 2, ids[1]), (second, 3, ids[2])):
        heading = re.search(rf'<article id="p{post_id}"><h2>(.*?)</h2>', page)[1]
        assert f'<a href="/p/{post_id}">#{number}</a>' in heading
        assert "<bdi>Amina Diallo</bdi>" in heading
    assert first.count("<article ") == 2
    assert first.count("<h2>") == 2


def _edit(client, post_id: int, body: str) -> None:
    assert post_form(client, f"/p/{post_id}/edit", {"body": body}).status_code == 302


def test_history_marks_what_each_edit_removed_and_added(client, make_user, make_thread, sign_in):
    author = make_user()
    thread = make_thread(author=author, body="Comments welcome by Friday.\nThe draft is ready.")
    post_id = thread.first_post_id
    sign_in(author)
    _edit(client, post_id, "Comments welcome by Monday, please.\nThe draft is ready.")
    _edit(client, post_id, "Comments welcome by Monday, please.\nThe draft is ready.\nThanks")
    page = text_of(client.get(f"/p/{post_id}/history"))
    assert page.count("<h3>Changes from the version before</h3>") == 2
    removed = (
        '<del><span aria-hidden="true">[-</span><span class="visually-hidden">removed: </span>'
        'Friday<span aria-hidden="true">-]</span></del>'
    )
    added = (
        '<ins><span aria-hidden="true">[+</span><span class="visually-hidden">added: </span>'
        'Monday, please<span aria-hidden="true">+]</span></ins>'
    )
    assert f"Comments welcome by {removed}{added}." in page
    assert '>[+</span><span class="visually-hidden">added: </span>\nThanks<' in page
    assert "struck through, in [- -]" in page


def test_no_diff_shows_a_redacted_version_to_those_who_may_not_read_it(
    client, make_user, make_thread, sign_in
):
    private = "Call me on +41 22 555 0199"
    author = make_user()
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    thread = make_thread(author=author, body=private)
    post_id = thread.first_post_id
    sign_in(coordinator)
    data = {"body": "Call the secretariat", "redact": "y", "reason": "Personal data"}
    assert post_form(client, f"/p/{post_id}/edit", data).status_code == 302
    assert "555 0199<span" in text_of(client.get(f"/p/{post_id}/history"))
    reader = client.application.test_client()
    page = text_of(reader.get(f"/p/{post_id}/history"))
    assert "555" not in page
    assert "Changes from the version before" not in page


def test_a_diff_of_chinese_marks_the_characters_that_changed(app, client, make_user, make_thread):
    author = make_user()
    thread = make_thread(author=author, body="信息社会很重要")
    with app.test_request_context():
        posting.edit_post(
            db.session.get(Post, thread.first_post_id), author, body="信息社会非常重要"
        )
        db.session.commit()
    page = text_of(client.get(f"/p/{thread.first_post_id}/history"))
    assert "信息社会<del>" in page
    assert "非常<span" in page
    assert "</ins>重要" in page
