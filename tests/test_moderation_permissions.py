"""Every moderation act against every kind of person, through the services that the web,
the command line and (later) email all call."""

from datetime import timedelta

import pytest

from forum.accounts.models import StakeholderGroup
from forum.boards.models import ModerationMode, Role
from forum.db import utcnow
from forum.extensions import db
from forum.moderation import services
from forum.moderation.models import FlagOutcome, FlagReason
from forum.posts.models import Post, PostStatus
from tests.helpers import board, post_form

PEOPLE = {
    "unverified": {"verified": False},
    "member": {"roles": {"C5": Role.MEMBER}},
    "accredited": {"accredited": True},
    "bureau member": {"roles": {"CSB": Role.MEMBER}},
    "coordinator": {"roles": {"C5": Role.COORDINATOR}},
    "coordinator elsewhere": {"roles": {"C6": Role.COORDINATOR}},
    "suspended coordinator": {"roles": {"C5": Role.COORDINATOR}, "suspended": True},
    "admin": {"admin": True},
}
BOARD_MODERATORS = {"coordinator", "admin"}
ADMINS = {"admin"}


def _held(thread, author) -> Post:
    post = Post(
        thread=thread,
        author=author,
        body_source="x",
        body_html="<p>x</p>",
        status=PostStatus.PENDING,
    )
    db.session.add(post)
    db.session.flush()
    return post


def _flagged(thread, make_user) -> Post:
    post = thread.first_post
    services.flag_post(post, make_user(), reason=FlagReason.SPAM)
    return post


ACTS = {
    "approve": (BOARD_MODERATORS, lambda a, t, o: services.approve_post(_held(t, o), a)),
    "reject": (BOARD_MODERATORS, lambda a, t, o: services.reject_post(_held(t, o), a, reason="r")),
    "hide": (BOARD_MODERATORS, lambda a, t, o: services.hide_post(t.first_post, a, reason="r")),
    "delete post": (
        BOARD_MODERATORS,
        lambda a, t, o: services.delete_post(t.last_post, a, reason="r"),
    ),
    "delete thread": (BOARD_MODERATORS, lambda a, t, o: services.delete_thread(t, a, reason="r")),
    "lock": (BOARD_MODERATORS, lambda a, t, o: services.set_locked(t, a, locked=True)),
    "pin": (BOARD_MODERATORS, lambda a, t, o: services.set_pinned(t, a, pinned=True)),
    "rename": (BOARD_MODERATORS, lambda a, t, o: services.rename_thread(t, a, title="New")),
    "move to C7": (ADMINS, lambda a, t, o: services.move_thread(t, a, target=board("C7"))),
    "split": (
        BOARD_MODERATORS,
        lambda a, t, o: services.split_thread(t, a, posts=[t.last_post], title="Split"),
    ),
    "merge": (BOARD_MODERATORS, lambda a, t, o: services.merge_threads(o.extra_thread, t, a)),
    "ban": (
        BOARD_MODERATORS,
        lambda a, t, o: services.ban_from_board(o, board("C5"), a, reason="r"),
    ),
    "add member": (
        BOARD_MODERATORS,
        lambda a, t, o: services.grant_role(board("C5"), o, Role.MEMBER, a),
    ),
    "make coordinator": (
        ADMINS,
        lambda a, t, o: services.grant_role(board("C5"), o, Role.COORDINATOR, a),
    ),
    "set mode": (
        BOARD_MODERATORS,
        lambda a, t, o: services.set_moderation_mode(board("C5"), a, ModerationMode.ALL),
    ),
    "suspend": (ADMINS, lambda a, t, o: services.suspend_user(o, a, reason="r", until=None)),
    "accredit": (ADMINS, lambda a, t, o: services.set_accredited(o, a, accredited=True)),
}


@pytest.mark.parametrize("act", list(ACTS))
@pytest.mark.parametrize("kind", list(PEOPLE))
def test_moderation_permission_table(act, kind, make_user, make_thread, ctx):
    allowed, run = ACTS[act]
    actor = make_user(**PEOPLE[kind])
    other = make_user(group=StakeholderGroup.PRIVATE_SECTOR)
    thread = make_thread("C5", author=other, replies=1)
    other.extra_thread = make_thread("C5", author=other, title="Second")
    db.session.expire_all()
    if kind in allowed:
        run(actor, thread, other)
    else:
        with pytest.raises(services.ModerationError):
            run(actor, thread, other)


@pytest.mark.parametrize("kind", list(PEOPLE))
def test_resolving_flags(kind, make_user, make_thread, ctx):
    actor = make_user(**PEOPLE[kind])
    post = _flagged(make_thread("C5"), make_user)
    if kind in BOARD_MODERATORS:
        services.resolve_flags(post, actor, outcome=FlagOutcome.HIDDEN)
        assert post.status == PostStatus.HIDDEN
    else:
        with pytest.raises(services.ModerationError):
            services.resolve_flags(post, actor, outcome=FlagOutcome.HIDDEN)


def test_restoring_is_for_admins(make_user, make_thread, ctx):
    reply = make_thread("C5", replies=1).last_post
    services.delete_post(reply, make_user(admin=True), reason="r")
    for kind in ("coordinator", "member"):
        with pytest.raises(services.ModerationError):
            services.restore_post(reply, make_user(**PEOPLE[kind]))
    services.restore_post(reply, make_user(admin=True))
    assert reply.status == PostStatus.PUBLISHED


@pytest.mark.parametrize(
    "url",
    [
        "/queue",
        "/t/1/moderate",
        "/p/1/moderate",
        "/admin/",
        "/b/c5-building-confidence-and-security/team",
    ],
)
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.post(url, data={}) if url.endswith("moderate") else client.get(url)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_every_moderation_route_is_post_with_csrf(client, make_user, sign_in, make_thread):
    thread = make_thread("C5")
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    response = client.post(f"/t/{thread.id}/moderate", data={"action": "lock"})
    assert response.status_code == 302
    db.session.expire_all()
    assert not thread.is_locked, "no CSRF token, no act"
    assert post_form(client, f"/t/{thread.id}/moderate", {"action": "lock"}).status_code == 302
    db.session.expire_all()
    assert thread.is_locked


def test_suspension_ends_by_itself(make_user, make_thread, ctx):
    from forum.permissions import Action, can

    person = make_user()
    person.is_suspended = True
    person.suspended_until = utcnow() + timedelta(hours=1)
    assert not can(person, Action.START_THREAD, board("C5"))
    person.suspended_until = utcnow() - timedelta(seconds=1)
    assert can(person, Action.START_THREAD, board("C5"))
