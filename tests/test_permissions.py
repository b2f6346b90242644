"""The permission rules as a table: each kind of person, each board policy, read and post."""

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from forum.accounts.models import StakeholderGroup
from forum.boards.models import Board, PostPolicy, ReadPolicy, Role
from forum.db import utcnow
from forum.extensions import db
from forum.permissions import (
    Action,
    can,
    can_read_board,
    readable_boards_clause,
    require,
    visible_posts_clause,
)
from forum.posts.models import Post, PostStatus
from tests.helpers import board

PEOPLE = {
    "anonymous": None,
    "unverified": {"verified": False},
    "suspended": {"suspended": True, "roles": {"C5": Role.MEMBER}},
    "verified": {},
    "accredited": {"accredited": True},
    "member": {"roles": {"C5": Role.MEMBER}},
    "coordinator": {"roles": {"C5": Role.COORDINATOR}},
    "coordinator elsewhere": {"roles": {"C6": Role.COORDINATOR}},
    "admin": {"admin": True},
    "suspended admin": {"admin": True, "suspended": True},
}

# read policy -> who may read; a suspended account reads what any signed-in person reads,
# not the boards of its teams (nor, for an admin, every board) until the suspension ends
READERS = {
    ReadPolicy.PUBLIC: set(PEOPLE),
    ReadPolicy.SIGNED_IN: set(PEOPLE) - {"anonymous"},
    ReadPolicy.MEMBERS: {"member", "coordinator", "admin"},
}
# post policy -> who may start threads (on a public board)
POSTERS = {
    PostPolicy.VERIFIED: {
        "verified",
        "accredited",
        "member",
        "coordinator",
        "coordinator elsewhere",
        "admin",
    },
    PostPolicy.ACCREDITED_OR_MEMBERS: {"accredited", "member", "coordinator", "admin"},
    PostPolicy.MEMBERS: {"member", "coordinator", "admin"},
    PostPolicy.COORDINATORS: {"coordinator", "admin"},
}


def _person(kind, make_user):
    spec = PEOPLE[kind]
    return AnonymousUserMixin() if spec is None else make_user(**spec)


@pytest.mark.parametrize("kind", list(PEOPLE))
@pytest.mark.parametrize("policy", list(ReadPolicy))
def test_read_policy(kind, policy, make_user):
    user = _person(kind, make_user)
    c5 = board("C5")
    c5.read_policy = policy
    assert can(user, Action.READ_BOARD, c5) is (kind in READERS[policy])
    listed = db.session.scalars(select(Board.code).where(readable_boards_clause(user))).all()
    assert ("C5" in listed) is (kind in READERS[policy]), "listing disagrees with the rule"


@pytest.mark.parametrize("kind", list(PEOPLE))
@pytest.mark.parametrize("policy", list(PostPolicy))
def test_post_policy(kind, policy, make_user, ctx):
    user = _person(kind, make_user)
    c5 = board("C5")
    c5.post_policy = policy
    assert can(user, Action.START_THREAD, c5) is (kind in POSTERS[policy])


@pytest.mark.parametrize("kind", list(PEOPLE))
def test_replying_to_a_locked_thread(kind, make_user, make_thread):
    user = _person(kind, make_user)
    thread = make_thread("C5")
    thread.is_locked = True
    assert can(user, Action.REPLY, thread) is (kind in {"coordinator", "admin"})


@pytest.mark.parametrize("kind", list(PEOPLE))
def test_moderating_a_board(kind, make_user):
    user = _person(kind, make_user)
    assert can(user, Action.MODERATE_BOARD, board("C5")) is (
        kind
        in {
            "coordinator",
            "admin",
        }
    )


def test_editing_own_and_others_posts(make_user, make_thread):
    author = make_user()
    other = make_user()
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    post = make_thread("C5", author=author).first_post
    assert can(author, Action.EDIT_POST, post)
    assert not can(other, Action.EDIT_POST, post)
    assert can(coordinator, Action.EDIT_POST, post)
    author.is_suspended = True
    assert not can(author, Action.EDIT_POST, post)


def test_bureau_membership_is_not_coordination(make_user):
    bureau_member = make_user(group=StakeholderGroup.CIVIL_SOCIETY, roles={"CSB": Role.MEMBER})
    assert can(bureau_member, Action.START_THREAD, board("CSB"))
    assert not can(bureau_member, Action.MODERATE_BOARD, board("CSB"))
    assert not can(make_user(), Action.START_THREAD, board("CSB"))


def test_coordinators_board_is_private_by_default(make_user):
    coordinators = board("COORD")
    assert not can_read_board(AnonymousUserMixin(), coordinators)
    assert not can_read_board(make_user(), coordinators)
    assert can_read_board(make_user(roles={"COORD": Role.MEMBER}), coordinators)


def test_require_hides_private_boards_behind_404(make_user):
    coordinators = board("COORD")
    with pytest.raises(NotFound):
        require(make_user(), Action.READ_BOARD, coordinators)
    with pytest.raises(Forbidden):
        require(AnonymousUserMixin(), Action.READ_BOARD, coordinators)
    with pytest.raises(Forbidden):
        require(make_user(), Action.START_THREAD, board("GB"))


def test_a_suspension_that_has_ended_gives_the_board_back(make_user):
    member = make_user(suspended=True, roles={"COORD": Role.MEMBER})
    coordinators = board("COORD")
    assert not can_read_board(member, coordinators)
    member.suspended_until = utcnow() - timedelta(minutes=1)
    assert can_read_board(member, coordinators)
    listed = db.session.scalars(select(Board.code).where(readable_boards_clause(member))).all()
    assert "COORD" in listed


@pytest.mark.parametrize("kind", list(PEOPLE))
def test_listed_posts_agree_with_who_may_read_each_post(kind, make_user, make_thread):
    """The thread page's SQL condition and the rule for one post give the same answer, for
    every state a post can be in. (Rejected posts stay readable by admins at their own
    address, which the moderation log links, without being listed in the thread.)"""
    user = _person(kind, make_user)
    thread = make_thread(replies=len(PostStatus))
    for post, status in zip(_posts(thread)[1:], PostStatus, strict=True):
        post.status = status
    db.session.commit()
    clause = visible_posts_clause(user, thread.board)
    listed = set(db.session.scalars(select(Post.id).where(Post.thread_id == thread.id, clause)))
    readable = {
        post.id
        for post in _posts(thread)
        if can(user, Action.READ_POST, post)
        and not (post.status == PostStatus.REJECTED and kind == "admin")
    }
    assert listed == readable


def _posts(thread):
    query = select(Post).where(Post.thread_id == thread.id).order_by(Post.id)
    return list(db.session.scalars(query))


@pytest.mark.parametrize("kind", list(PEOPLE))
def test_only_the_boards_coordinators_and_admins_see_who_follows_it(kind, make_user):
    user = _person(kind, make_user)
    allowed = kind in {"coordinator", "admin"}
    assert can(user, Action.VIEW_SUBSCRIBERS, board("C5")) is allowed
