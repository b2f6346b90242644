"""The PostgreSQL backend's own workings: rows written in the transaction of the change,
a rebuild that writes what the changes wrote, and what `flask search status` says."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from forum.boards.models import Role
from forum.db import utcnow
from forum.extensions import db
from forum.posts import services as posting
from forum.search.models import IndexQueueItem
from tests.conftest import DATABASE_URL
from tests.helpers import board, post_form, text_of

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgresql"), reason="the PostgreSQL backend needs PostgreSQL"
)

C5 = "/b/c5-building-confidence-and-security"


def _rows() -> dict[int, str]:
    found = db.session.execute(text("SELECT post_id, vector::text FROM search_documents"))
    return dict(found.all())


def test_a_post_is_in_the_index_when_its_transaction_commits_and_not_before(app, make_user):
    author = make_user()
    with app.test_request_context():
        thread = posting.create_thread(board("C5"), author, title="Quorum", body="ballots")
        db.session.flush()
        assert thread.first_post_id not in _rows(), "nothing before the commit"
        db.session.commit()
        assert thread.first_post_id in _rows()
        assert db.session.scalar(select(func.count()).select_from(IndexQueueItem)) == 0
        posting.reply(thread, author, body="abandoned reply")
        db.session.rollback()
        assert len(_rows()) == 1, "a rolled-back reply leaves no row"


def test_hidden_posts_leave_the_index_in_the_same_request(client, make_user, sign_in, make_thread):
    thread = make_thread("C5", title="Visible", body="tender documents")
    post_id = thread.first_post_id
    assert post_id in _rows()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    post_form(client, f"/p/{post_id}/moderate", {"action": "hide", "reason": "x"})
    assert post_id not in _rows()


LANGUAGES = {
    "en": "Rural libraries &amp; schools: <em>connected</em> “at last”",
    "fr": "L'éducation numérique & les bibliothèques <b>publiques</b>",
    "ar": "الوصول إلى الإنترنت حق للجميع",
    "zh_Hans": "中华人民共和国的代表 and Internet",
    "ru": "Доступ к интернету в сельских школах",
    "es": "Educación digital en países en desarrollo",
}


def test_a_rebuild_writes_the_vectors_each_change_wrote(app, client, make_user, sign_in):
    author = make_user(name="Ngozi O'Brien")
    author.created_at = utcnow() - timedelta(days=60)
    db.session.commit()
    sign_in(author)
    for language, body in LANGUAGES.items():
        response = post_form(
            client, f"{C5}/new", {"title": f"Item {language}", "body": body, "language": language}
        )
        assert response.status_code == 302, text_of(response)
    written = _rows()
    assert len(written) == len(LANGUAGES)
    db.session.execute(text("DELETE FROM search_documents"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert f"Indexed {len(LANGUAGES)} posts" in result.output
    assert _rows() == written
    status = app.test_cli_runner().invoke(args=["search", "status"]).output
    assert "not in the index" not in status
    db.session.execute(text("DELETE FROM search_documents"))
    status = app.test_cli_runner().invoke(args=["search", "status"]).output
    assert "Some posts are not in the index: run `flask search reindex`." in status


def test_status_says_which_index_and_whether_accents_are_folded(app):
    status = app.test_cli_runner().invoke(args=["search", "status"]).output
    assert "Backend:           postgres" in status
    method = db.session.scalar(
        text(
            "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
            "WHERE c.relname = 'ix_search_documents_vector'"
        )
    )
    assert ("RUM" if method == "rum" else "GIN") in status
    unaccent = db.session.scalar(
        text("SELECT count(*) FROM pg_extension WHERE extname = 'unaccent'")
    )
    assert ("unaccent:          yes" in status) == bool(unaccent)


def test_a_rebuild_can_switch_between_gin_and_rum(app, client, make_thread):
    make_thread("C5", title="Roaming", body="roaming charges, roaming")
    make_thread("C5", title="Tariffs", body="roaming once")
    runner = app.test_cli_runner()
    installed = db.session.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'rum'"))
    for method in ["gin", "rum"]:
        result = runner.invoke(args=["search", "reindex", "--index", method])
        if method == "rum" and not installed:
            assert "superuser must run CREATE EXTENSION rum" in result.output
            continue
        assert result.exit_code == 0, result.output
        status = runner.invoke(args=["search", "status"]).output
        assert ("RUM" if method == "rum" else "Index:             GIN") in status
        page = text_of(client.get("/search", query_string={"q": "roaming"}))
        assert "<h2>2 results</h2>" in page
        assert page.index("Roaming") < page.index("Tariffs")
