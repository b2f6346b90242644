"""Whatever a form is sent (control characters, files, JSON, too much), the answer is a
clear message with the text kept, never a server error."""

import io

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from forum.accounts.models import User
from forum.boards.models import Role
from forum.extensions import db
from forum.posts.models import Post, Thread
from forum.search import services as search
from tests.helpers import csrf_token, post_form, text_of

C5 = "/b/c5-building-confidence-and-security"


def _threads() -> int:
    return db.session.scalar(select(func.count()).select_from(Thread)) or 0


@pytest.mark.parametrize("title", ["Two\r\nlines", "Vertical\x0btab", "Bell\x07", "Sep\u2028x"])
def test_titles_with_control_characters_are_refused_with_the_text_kept(
    client, make_user, sign_in, title
):
    sign_in(make_user())
    before = _threads()
    response = post_form(client, f"{C5}/new", {"title": title, "body": "My careful words"})
    assert response.status_code == 400
    page = text_of(response)
    assert "control characters" in page
    assert "My careful words" in page
    assert _threads() == before


def test_bodies_keep_line_breaks_and_tabs_but_refuse_other_control_characters(
    client, make_user, sign_in
):
    sign_in(make_user())
    response = post_form(client, f"{C5}/new", {"title": "Fine", "body": "One\r\n\ttwo\x00"})
    assert response.status_code == 400
    assert "U+0000" in text_of(response)
    response = post_form(client, f"{C5}/new", {"title": "Fine", "body": "One\r\n\ttwo"})
    assert response.status_code == 302
    assert db.session.scalars(select(Post).order_by(Post.id.desc())).first().body_source == (
        "One\r\n\ttwo"
    )


def test_names_with_control_characters_are_refused(client, make_user, sign_in):
    user = make_user(name="Amina")
    sign_in(user)
    response = post_form(
        client,
        "/settings/profile",
        {"display_name": "Amina\x0b", "stakeholder_group": "civil_society",
         "locale": "en", "timezone": "UTC"},
        prefix="profile",
    )  # fmt: skip
    assert response.status_code == 400
    assert "control characters" in text_of(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "Amina"


def test_moderators_cannot_rename_a_thread_with_control_characters(
    client, make_user, sign_in, make_thread
):
    thread = make_thread("C5", title="Original")
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    response = post_form(
        client, f"/t/{thread.id}/moderate", {"action": "rename", "title": "New\r\nSubject: x"}
    )
    assert response.status_code == 400
    assert "control characters" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).title == "Original"


def test_every_form_refuses_control_characters_and_files():
    """Every form of the forum derives from the one base that checks text fields."""
    import forum.models  # noqa: F401  (every feature's modules, and so its forms)
    from forum.accounts import views as _accounts  # noqa: F401
    from forum.forms import ForumForm
    from forum.mail import views as _mail  # noqa: F401
    from forum.moderation import views as _moderation  # noqa: F401
    from forum.posts import views as _posts  # noqa: F401

    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        return found.union(*(subclasses(sub) for sub in found))

    forms = {cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("forum.")}
    assert len(forms) > 15
    assert {cls for cls in forms if not issubclass(cls, ForumForm)} == set()


def test_a_file_sent_as_a_text_field_gets_a_message(client, make_user, sign_in, make_thread):
    thread = make_thread("C5")
    sign_in(make_user())
    response = client.post(
        f"/t/{thread.id}/reply",
        data={"csrf_token": csrf_token(client), "body": (io.BytesIO(b"x" * 100), "post.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Files are not taken here" in text_of(response)


def _upload(content: bytes = b"12") -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), "upload.txt"


def test_files_in_any_field_of_any_form_are_refused(client, make_user, sign_in, make_thread):
    thread = make_thread("C5", replies=1)
    person = make_user()
    sign_in(make_user(admin=True))
    sent = [
        (f"/t/{thread.id}/moderate", {"action": "merge", "target": _upload()}),
        (f"/t/{thread.id}/moderate", {"action": "move", "board": _upload()}),
        (f"/t/{thread.id}/moderate", {"action": "lock", "reason": _upload()}),
        (f"/admin/people/{person.id}/suspend", {"reason": "Spam", "until": _upload()}),
        (f"/admin/people/{person.id}/suspend", {"reason": _upload()}),
    ]
    for url, data in sent:
        response = client.post(
            url,
            data={"csrf_token": csrf_token(client), **data},
            content_type="multipart/form-data",
        )
        assert response.status_code < 500, (url, data)
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).merged_into_id is None
    assert not db.session.get(Thread, thread.id).is_locked
    assert not db.session.get(User, person.id).is_suspended


@pytest.mark.parametrize("body", [5, ["a", "b"], {"a": 1}, None])
def test_json_is_not_read_as_a_form(client, make_user, sign_in, make_thread, body):
    thread = make_thread("C5")
    sign_in(make_user())
    response = client.post(
        f"/t/{thread.id}/reply", json={"csrf_token": csrf_token(client), "body": body}
    )
    assert response.status_code == 400


def test_a_request_too_large_gets_a_clear_413_page(app, client, make_user, sign_in, make_thread):
    thread = make_thread("C5")
    sign_in(make_user())
    body = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = post_form(client, f"/t/{thread.id}/reply", {"body": body})
    assert response.status_code == 413
    assert "too large" in text_of(response)


def test_the_longest_post_allowed_fits_the_request_limit(app, client, make_user, sign_in):
    """Each of 50,000 emoji takes 12 bytes once form-encoded."""
    sign_in(make_user())
    body = "\U0001f30d" * app.config["BODY_MAX_LENGTH"]
    response = post_form(client, f"{C5}/new", {"title": "Long", "body": body})
    assert response.status_code == 302
    assert db.session.scalars(select(Post).order_by(Post.id.desc())).first().body_source == body


@pytest.mark.parametrize(
    "dates",
    [
        {"to": "9999-12-31"},
        {"from": "9999-12-31"},
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"from": "2030-01-01", "to": "2001-01-01"},
    ],
)
def test_search_dates_at_the_ends_of_the_calendar(client, make_thread, dates):
    make_thread("C5", title="Forum dates", body="forum")
    response = client.get("/search", query_string={"q": "forum", **dates})
    assert response.status_code == 200


def test_search_to_the_end_of_the_calendar_finds_todays_posts(app, client, make_thread):
    make_thread("C5", title="Forum dates", body="forum")
    with app.app_context():
        search.drain()
    for dates in ({"to": "9999-12-31"}, {"from": "1000-01-01"}):
        page = text_of(client.get("/search", query_string={"q": "forum", **dates}))
        assert "Forum dates" in page, dates
    page = text_of(client.get("/search", query_string={"q": "forum", "from": "9999-01-01"}))
    assert "Forum dates" not in page
