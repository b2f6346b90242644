"""A person's own data: downloading all of it (JSON, and their posts as mbox), and
deleting their account, after which what they wrote (if kept) reads "a former
participant" everywhere."""

import json
import mailbox
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from forum.accounts.models import User, UserSession
from forum.extensions import db
from forum.mail import subscriptions
from forum.mail.models import (
    MailMode,
    MailSettings,
    OutboxMessage,
    Subscription,
    ThreadWatch,
    WatchMode,
)
from forum.moderation import services as moderation
from forum.moderation.models import Flag, FlagReason
from forum.notices.models import Notice
from forum.notices.services import notify
from forum.permissions import Action, can
from forum.posts import services as posting
from forum.posts.models import Post, PostRevision, PostStatus, Thread
from forum.site.models import DeletedPosts
from forum.site.services import set_deleted_posts_policy
from tests.helpers import PASSWORD, board, post_form, text_of

NAME = "Wanjiru Kamau-Odhiambo"


@pytest.fixture
def world(app, make_user, make_thread):
    """A person with a thread of their own, a reply in someone else's thread (edited
    once), a board followed by email, a watched thread, a flag and a notice."""
    person = make_user(name=NAME, email="wanjiru@example.org")
    other = make_user(name="Tomás Herrera")
    own = make_thread("C5", author=person, title="Community networks", body="Mesh radios first")
    shared = make_thread("C5", author=other, title="Spectrum policy", body="Open bands")
    with app.test_request_context():
        reply = posting.reply(shared, person, body="Licence-exempt quixotic bands")
        posting.edit_post(reply, person, body="Licence-exempt zephyrous bands")
        posting.reply(shared, other, body="Agreed, with care", reply_to=reply)
        subscriptions.set_board_mode(person, board("C5"), MailMode.DAILY)
        subscriptions.set_watch_mode(person, shared, WatchMode.WATCH)
        moderation.flag_post(
            db.session.get(Post, shared.first_post_id), person,
            reason=FlagReason.OTHER, text="Needs a source",
        )  # fmt: skip
        notify(person, "unsuspended")
        db.session.commit()
    return {"person": person, "other": other, "own": own, "shared": shared, "reply": reply}


def test_the_json_download_holds_everything_about_the_person(client, sign_in, world):
    sign_in(world["person"])
    assert "/settings/account" in text_of(client.get("/settings"))
    page = text_of(client.get("/settings/account"))
    assert "/settings/account/data.json" in page
    assert "/settings/account/posts.mbox" in page
    response = client.get("/settings/account/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data())
    assert data["profile"]["email"] == "wanjiru@example.org"
    assert data["profile"]["display_name"] == NAME
    assert "password_hash" not in data["profile"]
    assert data["settings"]["mail"]["digest_hour"] == 7
    assert data["subscriptions"]["boards"] == [{"board": "C5", "mode": "daily"}]
    assert data["subscriptions"]["threads"][0]["title"] == "Spectrum policy"
    bodies = {post["body"] for post in data["posts"]}
    assert bodies == {"Mesh radios first", "Licence-exempt zephyrous bands"}
    edited = next(post for post in data["posts"] if post["revisions"])
    assert edited["revisions"][0]["body"] == "Licence-exempt quixotic bands"
    assert data["flags"][0]["text"] == "Needs a source"
    # The answer to their reply first, then the notice sent above.
    assert [notice["kind"] for notice in data["notices"]] == ["reply", "unsuspended"]
    assert len(data["sessions"]) == 1
    assert "token_hash" not in data["sessions"][0]
    assert "Tomás" not in json.dumps(data["posts"], ensure_ascii=False)


def test_the_mbox_download_holds_the_persons_posts(client, sign_in, world, tmp_path):
    sign_in(world["person"])
    response = client.get("/settings/account/posts.mbox")
    assert response.status_code == 200
    assert response.mimetype == "application/mbox"
    path = tmp_path / "posts.mbox"
    path.write_bytes(response.get_data())
    box = mailbox.mbox(path)
    messages = list(box)
    box.close()
    assert len(messages) == 2
    subjects = sorted(str(make_header(decode_header(m["Subject"]))) for m in messages)
    assert subjects == ["Re: [C5] Spectrum policy", "[C5] Community networks"]
    assert all(NAME in str(make_header(decode_header(m["From"]))) for m in messages)
    assert all("wanjiru@example.org" not in m.as_string() for m in messages)
    texts = " ".join(m.get_payload(decode=True).decode() for m in messages)
    assert "Mesh radios first" in texts
    assert "zephyrous" in texts


def test_downloads_and_the_account_page_are_for_the_signed_in_person_and_write_nothing(
    client, sign_in, world, count_queries
):
    for path in [
        "/settings/account",
        "/settings/account/data.json",
        "/settings/account/posts.mbox",
    ]:
        assert client.get(path).status_code == 302
    sign_in(world["person"])
    with count_queries() as counted:
        for path in ["/settings/account", "/settings/account/data.json",
                     "/settings/account/posts.mbox"]:  # fmt: skip
            assert client.get(path).status_code == 200
    writes = [
        s for s in counted.statements if s.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []


def _delete(client, **fields):
    return post_form(client, "/settings/account/delete", {"current_password": PASSWORD, **fields})


def test_a_wrong_password_deletes_nothing(client, sign_in, world):
    sign_in(world["person"])
    response = _delete(client, posts="keep", current_password="not the password")
    assert response.status_code == 400
    assert "Your current password is not right." in text_of(response)
    assert db.session.get(User, world["person"].id).deleted_at is None
    response = post_form(client, "/settings/account/delete", {"current_password": PASSWORD})
    assert response.status_code == 400
    assert "Choose what becomes of your posts." in text_of(response)


def test_a_deleted_account_keeps_its_posts_under_a_former_participant(app, client, sign_in, world):
    person, shared = world["person"], world["shared"]
    person_id = person.id
    sign_in(person)
    cookie = client.get_cookie("session", domain="forum.test")
    response = _delete(client, posts="keep")
    assert response.status_code == 302
    assert "Your account is deleted." in text_of(client.get(response.headers["Location"]))
    assert client.get("/settings").status_code == 302
    db.session.expire_all()
    gone = db.session.get(User, person_id)
    assert gone.deleted_at is not None
    assert gone.email != "wanjiru@example.org"
    assert gone.stored_name == ""
    assert gone.password_hash is None
    assert gone.organisation == ""
    assert gone.country is None
    for model in (UserSession, Subscription, ThreadWatch, MailSettings, Flag, Notice,
                  OutboxMessage):  # fmt: skip
        count = db.session.scalar(
            select(func.count()).select_from(model).where(model.user_id == person_id)
        )
        assert count == 0, model.__name__
    # A copy of the old session cookie opens nothing; the password signs in no one.
    other = app.test_client()
    other.set_cookie("session", cookie.value, domain="forum.test")
    assert other.get("/settings").status_code == 302
    response = post_form(client, "/sign-in", {"email": "wanjiru@example.org", "password": PASSWORD})
    assert response.status_code != 302
    # Everywhere the posts show, the name is gone.
    thread_id, slug = shared.id, board("C5").slug
    pages = {
        "thread": text_of(client.get(f"/t/{thread_id}")),
        "board": text_of(client.get(f"/b/{slug}")),
        "profile": text_of(client.get(f"/people/{person_id}")),
        "feed": text_of(client.get(f"/t/{thread_id}.atom")),
        "mbox": text_of(client.get(f"/t/{thread_id}.mbox")),
        "search": text_of(client.get("/search", query_string={"q": "zephyrous"})),
    }
    for where, page in pages.items():
        assert NAME not in page, where
        assert "a former participant" in page, where
    assert "zephyrous" in pages["thread"]
    assert "in reply to <bdi>a former participant</bdi> #2" in pages["thread"]
    assert "Test organisation" not in pages["profile"]
    found = text_of(client.get("/search", query_string={"q": "Kamau"}))
    assert "zephyrous" not in found


def test_a_deleted_account_may_have_its_posts_removed(app, client, sign_in, world):
    person, own, shared, reply = world["person"], world["own"], world["shared"], world["reply"]
    sign_in(person)
    assert _delete(client, posts="remove").status_code == 302
    db.session.expire_all()
    for post in db.session.scalars(select(Post).where(Post.author_id == person.id)):
        assert post.status == PostStatus.DELETED
        assert post.body_source == ""
        assert post.body_html == ""
    assert (
        db.session.scalar(
            select(func.count()).select_from(PostRevision).where(PostRevision.post_id == reply.id)
        )
        == 0
    )
    assert db.session.get(Thread, own.id).is_deleted
    sign_in(world["other"])
    assert client.get(f"/t/{own.id}").status_code == 404
    page = text_of(client.get(f"/t/{shared.id}"))
    assert "Agreed, with care" in page
    assert "zephyrous" not in page
    assert db.session.get(Thread, shared.id).post_count == 2
    assert "zephyrous</mark>" not in text_of(client.get("/search", query_string={"q": "zephyrous"}))


@pytest.mark.parametrize(
    ("policy", "chosen", "removed"),
    [(DeletedPosts.KEEP, "remove", False), (DeletedPosts.REMOVE, "keep", True)],
)
def test_admins_may_decide_what_becomes_of_deleted_accounts_posts(
    app, client, sign_in, make_user, world, policy, chosen, removed
):
    admin = make_user(admin=True)
    sign_in(admin)
    response = post_form(client, "/admin/settings/deleted-posts", {"policy": policy.value})
    assert response.status_code == 302
    post_form(client, "/sign-out", {}, prefix="sign-out")
    sign_in(world["person"])
    page = text_of(client.get("/settings/account"))
    assert 'name="posts"' not in page
    assert _delete(client, posts=chosen).status_code == 302
    db.session.expire_all()
    reply = db.session.get(Post, world["reply"].id)
    assert (reply.status == PostStatus.DELETED) is removed


def test_the_admin_setting_refuses_what_it_does_not_know(client, sign_in, make_user):
    sign_in(make_user(admin=True))
    response = post_form(client, "/admin/settings/deleted-posts", {"policy": "burn"})
    assert response.status_code == 400
    assert "Not a valid choice." in text_of(response)


def test_only_the_owner_deletes_an_account(make_user, app):
    owner, other, admin = make_user(), make_user(), make_user(admin=True)
    assert can(owner, Action.DELETE_ACCOUNT, owner)
    assert not can(other, Action.DELETE_ACCOUNT, owner)
    assert not can(admin, Action.DELETE_ACCOUNT, owner)
    with app.test_request_context(), pytest.raises(Forbidden):
        set_deleted_posts_policy(DeletedPosts.KEEP, other)
