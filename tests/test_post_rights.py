"""A thread page decides its reader's rights once (`post_rights`) and applies them to each
post by its author and state: as a table (each kind of person by the board's post policy
by the thread locked or not by each state of a post, theirs or another's), the answers
are those of `can` for each post, and the SQL visibility of each kind of reader is that
of `visible_posts_clause`."""

import pytest
from sqlalchemy import select

from forum.boards.models import PostPolicy
from forum.extensions import db
from forum.permissions import (
    Action,
    can,
    post_rights,
    visibility,
    visible_posts_clause,
    visible_posts_of,
)
from forum.posts.models import Post, PostStatus
from tests.helpers import board
from tests.test_permissions import PEOPLE, _person


@pytest.mark.parametrize("kind", list(PEOPLE))
@pytest.mark.parametrize("policy", [PostPolicy.VERIFIED, PostPolicy.MEMBERS])
@pytest.mark.parametrize("locked", [False, True])
def test_the_rights_decided_once_are_those_of_each_post(
    kind, policy, locked, make_user, make_thread
):
    viewer = _person(kind, make_user)
    others = make_thread("C5", replies=len(PostStatus) - 1)
    own = make_thread("C5", replies=len(PostStatus) - 1, author=_author(viewer))
    c5 = board("C5")
    c5.post_policy = policy
    table = []
    for thread in (others, own):
        thread.is_locked = locked
        posts = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).all()
        for post, status in zip(posts, PostStatus, strict=True):
            post.status = status
        db.session.flush()
        rights = post_rights(viewer, thread)
        assert rights.reply is can(viewer, Action.REPLY, thread)
        assert rights.moderator is can(viewer, Action.MODERATE_BOARD, c5)
        for post in posts:
            row = (post.author_id == getattr(viewer, "id", None), post.status)
            edit, flag = can(viewer, Action.EDIT_POST, post), can(viewer, Action.FLAG_POST, post)
            assert rights.may_edit(post.author_id, post.status) is edit, row
            assert rights.may_flag(post.author_id, post.status) is flag, row
            table.append((row, edit, flag))
    assert len(table) == 2 * len(PostStatus)


def _author(viewer: object) -> object | None:
    """The viewer, as the author of a thread, if they may write one (else someone else)."""
    return viewer if can(viewer, Action.START_THREAD, board("C5")) else None


@pytest.mark.parametrize("kind", list(PEOPLE))
def test_the_kinds_of_visibility_select_what_the_rule_selects(kind, make_user, make_thread):
    viewer = _person(kind, make_user)
    c5 = board("C5")
    thread = make_thread("C5", replies=len(PostStatus) - 1, author=_author(viewer))
    other = make_thread("C5", replies=len(PostStatus) - 1)
    for each in (thread, other):
        posts = db.session.scalars(select(Post).where(Post.thread_id == each.id)).all()
        for post, status in zip(posts, PostStatus, strict=True):
            post.status = status
    db.session.flush()
    viewer_id = getattr(viewer, "id", 0)
    by_rule = set(db.session.scalars(select(Post.id).where(visible_posts_clause(viewer, c5))))
    by_kind = set(
        db.session.scalars(
            select(Post.id).where(visible_posts_of(visibility(viewer, c5), viewer_id))
        )
    )
    assert by_kind == by_rule
    assert by_rule, "nothing visible"
