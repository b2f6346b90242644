"""Deleting an account: its personal data goes, and what it wrote stays under "a former
participant" or goes too, as the person chooses and the admins allow.

The account's row stays, emptied, because posts, revisions, threads and the moderation
log (append-only) point to it: everything shown of it then reads "a former participant"
(`User.display_name`). Sessions, subscriptions, mail settings and waiting mail, notices,
flags, roles, bounces and the received mail it sent are deleted or emptied; the search
index learns of the change through its queue.
"""

from sqlalchemy import delete, func, or_, select, update

from forum import events
from forum.accounts.models import User, UserSession
from forum.boards.models import BoardRole
from forum.db import utcnow
from forum.extensions import db
from forum.inbound.models import Bounce, InboundMessage
from forum.mail.models import MailSettings, OutboxMessage, Subscription, ThreadWatch
from forum.meetings.models import Attendance, CalendarToken
from forum.moderation.models import BoardTrust, Flag
from forum.notices.models import Notice
from forum.permissions import Action, require
from forum.posts import counters
from forum.posts.models import Post, PostRevision, PostStatus, Thread
from forum.site.models import DeletedPosts
from forum.site.services import deleted_posts_policy


def removes_posts(chosen: bool, policy: DeletedPosts) -> bool:
    """Whether the posts go: the person's choice, unless the admins fixed it."""
    if policy == DeletedPosts.CHOOSE:
        return chosen
    return policy == DeletedPosts.REMOVE


def delete_account(user: User, *, remove_posts: bool) -> None:
    """Delete the person's account (its owner's act: the caller checked the password)."""
    require(user, Action.DELETE_ACCOUNT, user)
    thread_ids = set(db.session.scalars(select(Post.thread_id).where(Post.author_id == user.id)))
    if removes_posts(remove_posts, deleted_posts_policy()):
        _remove_posts(user)
    _forget_personal_data(user)
    _empty_account(user)
    events.author_changed.send(user)
    for thread in db.session.scalars(select(Thread).where(Thread.id.in_(thread_ids))):
        counters.touch(thread)
    db.session.flush()


def _remove_posts(user: User) -> None:
    """Every post of the person, whatever its state, emptied and deleted (with its earlier
    versions); threads left with no one else's post are deleted too."""
    posts = list(db.session.scalars(select(Post).where(Post.author_id == user.id)))
    for post in posts:
        was_published = post.status == PostStatus.PUBLISHED
        post.status = PostStatus.DELETED
        post.body_source = ""
        post.body_html = ""
        post.message_id = None
        post.moderation_reason = ""
        if was_published:
            events.post_withdrawn.send(post, status=PostStatus.DELETED)
    db.session.execute(
        delete(PostRevision).where(PostRevision.post_id.in_([post.id for post in posts]))
    )
    db.session.flush()
    for thread in {post.thread for post in posts}:
        others = db.session.scalar(
            select(func.count(Post.id)).where(
                Post.thread_id == thread.id, Post.author_id != user.id
            )
        )
        if not others:
            thread.is_deleted = True
        counters.recount(thread)
    counters.recount_authors([user.id])


def _forget_personal_data(user: User) -> None:
    personal = (UserSession, Subscription, ThreadWatch, MailSettings, OutboxMessage, Bounce,
                Attendance, CalendarToken)  # fmt: skip
    for model in personal:
        db.session.execute(delete(model).where(model.user_id == user.id))
    db.session.execute(delete(BoardTrust).where(BoardTrust.user_id == user.id))
    db.session.execute(delete(Flag).where(Flag.user_id == user.id))
    db.session.execute(delete(Notice).where(Notice.user_id == user.id))
    db.session.execute(delete(BoardRole).where(BoardRole.user_id == user.id))
    _forget_waiting_notices(user)
    db.session.execute(
        update(InboundMessage)
        .where(
            or_(
                InboundMessage.user_id == user.id,
                func.lower(InboundMessage.from_address) == user.email.lower(),
            )
        )
        .values(
            user_id=None,
            envelope_from="",
            from_address="",
            answered_to="",
            full_text="",
            raw=b"",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["board_roles"])


def _forget_waiting_notices(user: User) -> None:
    """Coordinators' notices that a post of the person waits name the person: gone."""
    post_ids = set(db.session.scalars(select(Post.id).where(Post.author_id == user.id)))
    waiting = db.session.scalars(select(Notice).where(Notice.kind == "post_waiting")).all()
    for notice in waiting:
        if notice.params.get("post_id") not in post_ids:
            continue
        if notice.read_at is None:
            db.session.execute(
                update(User)
                .where(User.id == notice.user_id, User.unread_notices > 0)
                .values(unread_notices=User.unread_notices - 1)
            )
        db.session.delete(notice)


def _empty_account(user: User) -> None:
    user.deleted_at = utcnow()
    user.email = f"deleted-{user.id}@invalid"
    user.stored_name = ""
    user.password_hash = None
    user.organisation = ""
    user.country = None
    user.accredited = False
    user.email_verified_at = None
    user.is_admin = False
    user.is_suspended = False
    user.suspended_until = None
    user.suspension_reason = ""
    user.invited_by_id = None
    user.unread_notices = 0
    user.locale = "en"
    user.timezone = "UTC"
