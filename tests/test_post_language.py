"""Each post has a language: chosen in the form (the writer's preselected), told from
received mail, stored, and marked as `lang` on the post's text."""

import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from forum.accounts.models import StakeholderGroup, User
from forum.boards.services import load_boards
from forum.db import utcnow
from forum.extensions import db
from forum.posts.models import Post, Thread
from forum.settings import CONFIG_DIR
from tests.helpers import board, post_form, text_of
from tests.mailin import DOMAIN, email, latest_post, send

C5 = "/b/c5-building-confidence-and-security"


def _thread(title: str) -> Thread:
    return db.session.scalars(select(Thread).where(Thread.title == title)).one()


def _selected_language(page: str) -> str:
    select_html = re.search(r'<select[^>]*name="language".*?</select>', page, re.DOTALL)
    assert select_html, "no language choice on the page"
    chosen = re.search(r'<option selected value="([^"]+)"', select_html.group(0))
    assert chosen, "no language preselected"
    return chosen.group(1)


def test_a_post_written_in_arabic_is_stored_and_marked_as_arabic(client, make_user, sign_in):
    sign_in(make_user())
    body = "الوصول إلى الإنترنت حق للجميع."
    response = post_form(client, f"{C5}/new", {"title": "الإنترنت", "body": body, "language": "ar"})
    assert response.status_code == 302
    thread = _thread("الإنترنت")
    reply = post_form(
        client, f"/t/{thread.id}/reply", {"body": "Access for all.", "language": "en"}
    )
    assert reply.status_code == 302
    first, answer = db.session.scalars(
        select(Post).where(Post.thread_id == thread.id).order_by(Post.id)
    ).all()
    assert (first.language, answer.language) == ("ar", "en")
    page = text_of(client.get(f"/t/{thread.id}"))
    article = re.search(rf'<article[^>]*id="p{first.id}".*?</article>', page, re.DOTALL)
    assert 'dir="auto" lang="ar"' in article.group(0)
    assert body in article.group(0)


def test_chinese_posts_are_marked_with_their_script_tag(client, make_user, sign_in):
    sign_in(make_user())
    post_form(client, f"{C5}/new", {"title": "宽带", "body": "农村宽带。", "language": "zh_Hans"})
    page = text_of(client.get(f"/t/{_thread('宽带').id}"))
    assert 'dir="auto" lang="zh-Hans"><p>农村宽带。' in page


def test_the_language_choice_starts_at_the_writers_account_language(
    client, make_user, sign_in, make_thread
):
    writer = make_user()
    writer.locale = "ru"
    db.session.commit()
    sign_in(writer)
    thread = make_thread()
    assert _selected_language(text_of(client.get(f"{C5}/new"))) == "ru"
    assert _selected_language(text_of(client.get(f"/t/{thread.id}/reply"))) == "ru"


def test_an_unknown_language_is_refused_and_the_text_kept(client, make_user, sign_in):
    sign_in(make_user())
    response = post_form(
        client, f"{C5}/new", {"title": "Kept title", "body": "Kept body", "language": "xx"}
    )
    page = text_of(response)
    assert response.status_code == 400
    assert "Choose one of the languages in the list." in page
    assert "Kept title" in page
    assert "Kept body" in page
    assert db.session.scalar(select(Thread)) is None


def test_editing_a_post_can_correct_its_language(client, make_user, sign_in, make_thread):
    author = make_user()
    thread = make_thread(author=author, body="Texto en español")
    sign_in(author)
    post_id = thread.first_post_id
    page = text_of(client.get(f"/p/{post_id}/edit"))
    assert _selected_language(page) == "en"
    response = post_form(
        client, f"/p/{post_id}/edit", {"body": "Texto en español", "language": "es"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post_id).language == "es"
    assert 'lang="es"' in text_of(client.get(f"/t/{thread.id}"))


def test_a_post_by_mail_in_arabic_script_is_arabic(lmtp, make_user):
    make_user(email="amal@example.org", name="Amal")
    message = email("amal@example.org", "النفاذ إلى الإنترنت", "نحتاج إلى شبكات ريفية أرخص.")
    assert send(lmtp, message, to=f"c5@{DOMAIN}")[0] == 250
    assert latest_post().language == "ar"


def test_a_post_by_mail_takes_its_content_language(lmtp, make_user):
    make_user(email="ivan@example.org", name="Ivan")
    message = email("ivan@example.org", "Spectrum", "Plans for rural spectrum.")
    message["Content-Language"] = "ru"
    assert send(lmtp, message, to=f"c5@{DOMAIN}")[0] == 250
    assert latest_post().language == "ru"


def test_a_post_by_mail_in_latin_script_takes_the_authors_language(lmtp, make_user):
    author = make_user(email="marie@example.org", name="Marie")
    author.locale = "fr"
    db.session.commit()
    message = email("marie@example.org", "Spectre", "Les plans pour les zones rurales.")
    assert send(lmtp, message, to=f"c5@{DOMAIN}")[0] == 250
    assert latest_post().language == "fr"


def test_a_post_by_mail_in_french_is_french_whatever_its_authors_setting(lmtp, make_user):
    make_user(email="awa@example.org", name="Awa")
    message = email(
        "awa@example.org", "Le coût de l'accès",
        "Nous demandons des tarifs plus bas pour les réseaux communautaires en zone rurale.",
    )  # fmt: skip
    assert send(lmtp, message, to=f"c5@{DOMAIN}")[0] == 250
    assert latest_post().language == "fr"


def test_posts_written_before_languages_are_english(app: Flask, tmp_path: Path, monkeypatch):
    """A database whose posts predate the language column gives each of them English
    when upgraded (here: a post in Arabic, the column dropped and added again)."""
    from flask_migrate import downgrade, upgrade

    from forum import create_app
    from forum.posts import services as posting

    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    scratch = f"sqlite:///{tmp_path / 'languages.sqlite3'}"
    other = create_app({"TESTING": True, "DATABASE_URL": scratch, "SERVER_NAME": "forum.test"})
    test_session = db.session
    try:
        with other.test_request_context():
            db.session = db._make_scoped_session({})
            upgrade()
            load_boards(CONFIG_DIR / "boards.toml")
            author = User(
                email="early@example.org",
                display_name="Early",
                password_hash="x",
                stakeholder_group=StakeholderGroup.CIVIL_SOCIETY,
                email_verified_at=utcnow(),
            )
            db.session.add(author)
            posting.create_thread(board("C5"), author, title="Early", body="نص", language="ar")
            db.session.commit()
            db.session.remove()
            downgrade(revision="3e7a1c94d2b6")
            upgrade()
            assert db.session.scalars(select(Post.language)).all() == ["en"]
            db.session.remove()
            db.engine.dispose()
    finally:
        db.session = test_session


def _arabic_thread(app: Flask, author: User) -> Thread:
    from forum.posts import services as posting

    with app.test_request_context():
        thread = posting.create_thread(
            board("C5"), author, title="حوكمة", body="قواعد مشتركة للجميع", language="ar"
        )
        db.session.commit()
    return thread


def test_search_results_mark_each_post_with_its_language(app, client, make_user):
    from forum.search import services as search

    _arabic_thread(app, make_user())
    with app.test_request_context():
        while search.drain():
            pass
    page = text_of(client.get("/search", query_string={"q": "قواعد"}))
    assert re.search(r'<div dir="auto" lang="ar">(<mark[^>]*>)?قواعد', page)


def test_a_post_copys_html_part_carries_its_language(app, smtp, make_user):
    from tests.conftest import deliver
    from tests.test_mail_out import follow

    follow(app, make_user(email="reader@example.org"))
    _arabic_thread(app, make_user())
    deliver(app)
    [message] = smtp.received
    html = message.get_body(("html",)).get_content()
    assert re.search(r'<div dir="auto" lang="ar"[^>]*><p>قواعد مشتركة', html)


def test_a_redaction_can_also_correct_the_language(client, make_user, sign_in, make_thread):
    from forum.boards.models import Role

    thread = make_thread(body="Appelez-moi au +41 22 555 0199")
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    data = {"body": "Appelez le secrétariat", "language": "fr", "redact": "y", "reason": "Data"}
    response = post_form(client, f"/p/{thread.first_post_id}/edit", data)
    assert response.status_code == 302
    db.session.expire_all()
    post = db.session.get(Post, thread.first_post_id)
    assert (post.body_source, post.language) == ("Appelez le secrétariat", "fr")
