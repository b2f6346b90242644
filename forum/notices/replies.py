"""Telling people about posts that concern them: a reply to one of their posts, a
mention of their name.

A post tells when readers can first see it (at once, or when a coordinator approves it)
and when an edit of a published post names someone new; each person is told once per
post, and only someone who may read the post is told at all.

A reply tells the author of the post it answers. A reply without a post named (the box
under a thread) answers the thread's first post, so whoever started a thread hears of
the replies to it, and of the answers to their later posts, but not of every post of a
long discussion (watching a thread by email is for that).
"""

from sqlalchemy import select

from forum import events
from forum.accounts.models import User
from forum.extensions import db
from forum.notices.mentions import mentioned_readers
from forum.notices.models import Notice
from forum.notices.services import notify
from forum.permissions import can_read_post
from forum.posts.models import Post, PostStatus


def tell_about(post: Post, *, new: bool = False) -> None:
    """Notices of a public post for the person it answers and the people it mentions
    who have not yet been told of it (nobody, for a post written in this transaction)."""
    if post.status != PostStatus.PUBLISHED:
        return
    thread = post.thread
    told = set() if new else set(_told(post))
    wanted: dict[int, tuple[User, str]] = {}
    answered = post.reply_to
    if answered is not None:
        wanted[answered.author_id] = (answered.author, "reply")
    for user in mentioned_readers(post.body_source, thread.board).values():
        wanted.setdefault(user.id, (user, "mention"))
    for user_id, (user, kind) in wanted.items():
        if user_id == post.author_id or user_id in told or not can_read_post(user, post):
            continue
        notify(
            user,
            kind,
            post_id=post.id,
            thread=thread.title,
            author=post.author.display_name,
        )


def _told(post: Post):
    return db.session.scalars(select(Notice.user_id).where(Notice.post_id == post.id))


def _on_published(post: Post, *, new: bool = False, **_details: object) -> None:
    tell_about(post, new=new)


events.post_published.connect(_on_published)
