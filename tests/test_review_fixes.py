"""Cases that once went wrong: deleted and merged threads, suspended moderators, edits
on pre-moderated boards, odd numbers in addresses, and what logs say about private boards."""

import pytest
from sqlalchemy import select

from forum.boards.models import ModerationMode, Role
from forum.extensions import db
from forum.moderation import services
from forum.posts import services as posting
from forum.posts.models import Post, PostStatus
from tests.helpers import board, post_form, text_of

C5 = "/b/c5-building-confidence-and-security"


def _held_thread(app, make_user, title: str = "Held"):
    board("C5").moderation_mode = ModerationMode.ALL
    author = make_user()
    with app.test_request_context():
        thread = posting.create_thread(board("C5"), author, title=title, body="Body")
        db.session.commit()
    return thread, author


def test_a_held_post_of_a_deleted_thread_cannot_be_approved(app, make_user, ctx):
    thread, _author = _held_thread(app, make_user)
    admin = make_user(admin=True)
    post = db.session.get(Post, thread.first_post_id)
    services.delete_thread(thread, admin, reason="Spam")
    with pytest.raises(services.ModerationError):
        services.approve_post(post, admin)
    assert board("C5").thread_count == 0


def test_deleted_threads_leave_profiles(client, make_user, sign_in, make_thread):
    author = make_user()
    thread = make_thread("C5", author=author, title="Soon gone")
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    post_form(client, f"/t/{thread.id}/moderate", {"action": "delete", "reason": "Duplicate"})
    post_form(client, "/sign-out", {}, prefix="sign-out")
    assert "Soon gone" not in text_of(client.get(f"/people/{author.id}"))


def test_a_suspended_coordinator_sees_no_queue(app, client, make_user, sign_in):
    _held_thread(app, make_user)
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    sign_in(coordinator)
    assert client.get("/queue").status_code == 200
    coordinator.is_suspended = True
    db.session.commit()
    assert client.get("/queue").status_code == 403


def test_nobody_but_moderators_replies_to_a_held_thread(app, client, make_user, sign_in):
    thread, author = _held_thread(app, make_user)
    sign_in(author)
    response = post_form(client, f"/t/{thread.id}/reply", {"body": "Bump"})
    assert response.status_code == 400
    db.session.expire_all()
    assert thread.post_count == 0


def test_a_merged_thread_takes_no_more_replies(client, make_user, sign_in, make_thread):
    author = make_user()
    source = make_thread("C5", author=author, title="Source")
    target = make_thread("C5", title="Target")
    admin = make_user(admin=True)
    sign_in(admin)
    post_form(client, f"/t/{source.id}/moderate", {"action": "merge", "target": str(target.id)})
    post_form(client, "/sign-out", {}, prefix="sign-out")
    sign_in(author)
    assert post_form(client, f"/t/{source.id}/reply", {"body": "Lost?"}).status_code == 400
    db.session.expire_all()
    assert board("C5").thread_count == 1


def test_merged_private_threads_do_not_redirect_strangers(client, make_user, sign_in, make_thread):
    member = make_user(roles={"COORD": Role.MEMBER})
    source = make_thread("COORD", author=member, title="A")
    target = make_thread("COORD", author=member, title="B")
    with_admin = make_user(admin=True)
    sign_in(with_admin)
    post_form(client, f"/t/{source.id}/moderate", {"action": "merge", "target": str(target.id)})
    post_form(client, "/sign-out", {}, prefix="sign-out")
    sign_in(make_user())
    assert client.get(f"/t/{source.id}").status_code == 404


def test_public_logs_do_not_name_private_boards(client, make_user, sign_in, make_thread):
    thread = make_thread("C5", title="Moving")
    sign_in(make_user(admin=True))
    post_form(
        client, f"/t/{thread.id}/moderate", {"action": "move", "board": str(board("COORD").id)}
    )
    post_form(client, "/sign-out", {}, prefix="sign-out")
    log = text_of(client.get(f"{C5}/log"))
    assert "moved a thread" in log
    assert "COORD" not in log
    assert "a private board" in log


@pytest.mark.parametrize(
    "url",
    [
        "/t/99999999999999999999",
        "/p/99999999999999999999",
        "/p/99999999999999999999/history",
        "/people/99999999999999999999",
    ],
)
def test_odd_numbers_in_addresses_are_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [C5, "/moderation-log"])
def test_odd_page_numbers_go_to_the_first_page(client, url):
    assert client.get(f"{url}?page=%C2%B2").headers["Location"] == url


def test_odd_numbers_in_search_and_forms_are_ignored(client, make_user, sign_in, make_thread):
    search = client.get("/search?q=x&page=%C2%B2&author=%C2%B2", follow_redirects=True)
    assert search.status_code == 200
    thread = make_thread("C5")
    sign_in(make_user(admin=True))
    response = post_form(client, "/queue", {"action": "approve", "post": "²"})
    assert response.status_code == 302
    merge = post_form(client, f"/t/{thread.id}/moderate", {"action": "merge", "target": "9" * 20})
    assert merge.status_code == 400


def test_deleting_a_flagged_post_clears_its_flags(app, client, make_user, sign_in, make_thread):
    thread = make_thread("C5", replies=1)
    reply_id = thread.last_post_id
    with app.test_request_context():
        for _ in range(2):
            services.flag_post(db.session.get(Post, reply_id), make_user(), reason="spam")
        db.session.commit()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    assert "Reply number 1" in text_of(client.get("/queue"))
    response = post_form(client, f"/p/{reply_id}/moderate", {"action": "delete", "reason": "Spam"})
    assert response.headers["Location"].endswith(f"/t/{thread.id}"), "not to a 404"
    assert "Reply number 1" not in text_of(client.get("/queue"))


def test_an_authors_edit_on_a_moderated_board_waits_again(
    app, client, make_user, sign_in, make_thread
):
    author = make_user()
    thread = make_thread("C5", author=author, body="Harmless")
    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    sign_in(author)
    post_form(client, f"/p/{thread.first_post_id}/edit", {"body": "Buy cheap pills"})
    db.session.expire_all()
    assert db.session.get(Post, thread.first_post_id).status == PostStatus.PENDING
    post_form(client, "/sign-out", {}, prefix="sign-out")
    assert "cheap pills" not in text_of(client.get(C5))
    assert db.session.scalars(select(Post).where(Post.status == PostStatus.PUBLISHED)).all() == []
