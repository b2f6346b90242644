"""Message-IDs of posts: one scheme for outgoing mail, the archives' mbox and threading.

A web post's Message-ID derives from its id and the forum's mail domain, so it never
changes; a post that arrived by email keeps the Message-ID its sender gave it, unless
that one is on the forum's own domain, which only the forum gives out (a stored one of
those, from before this rule, is passed over for the post's own).

Threads are chains: each post answers the post published before it in its thread, and
its References run from the thread's first post to that one (the middle trimmed in
long threads, as RFC 5322 allows), so every mail client nests a thread the same way.
"""

import re
from collections import defaultdict
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select

from forum.extensions import db
from forum.posts.models import Post, PostStatus

# References keep the first post and this many of the latest ones.
REFERENCES_KEPT = 10
_OWN_POST_ID = re.compile(r"<post-(\d{1,10})@([^<>@\s]+)>", re.IGNORECASE)
# The largest id a post can have (a 32-bit integer column on PostgreSQL).
_MAX_ID = 2**31 - 1


def message_id(post: Post) -> str:
    return _message_id(post.id, post.message_id)


def _message_id(post_id: int, stored: str | None) -> str:
    if stored and not is_forum_message_id(stored):
        return stored
    return f"<post-{post_id}@{current_app.config['MAIL_DOMAIN']}>"


def is_forum_message_id(value: str) -> bool:
    """A Message-ID on the forum's own domain: one only the forum may give out."""
    domain = current_app.config["MAIL_DOMAIN"].lower()
    return value.strip().lower().endswith(f"@{domain}>")


def post_number(value: str) -> int | None:
    """The post id in one of the forum's own `<post-N@…>` Message-IDs, else None."""
    found = _OWN_POST_ID.fullmatch(value.strip())
    if not found or found[2].lower() != current_app.config["MAIL_DOMAIN"].lower():
        return None
    number = int(found[1])
    return number if 0 < number <= _MAX_ID else None


def subject(code: str, title: str, *, reply: bool) -> str:
    """`[C5] Title`, and `Re: [C5] Title` for replies: the same in mail and archives."""
    return f"{'Re: ' if reply else ''}[{code}] {title}"


def author_address(post: Post) -> str:
    """A stand-in address for the author: real addresses are never shown."""
    return f"person-{post.author_id}@{current_app.config['MAIL_DOMAIN']}"


def _trimmed(chain: list[str]) -> list[str]:
    """A copy of the chain, trimmed."""
    if len(chain) <= REFERENCES_KEPT:
        return chain[:]
    return [chain[0], *chain[-(REFERENCES_KEPT - 1) :]]


def references(posts: Iterable[Post]) -> dict[int, list[str]]:
    """For each post, the Message-IDs it answers, oldest first: the last is its
    In-Reply-To, the whole list its References (empty for a thread's first post)."""
    wanted = {post.id: post for post in posts}
    thread_ids = {post.thread_id for post in wanted.values()}
    if not thread_ids:
        return {}
    rows = db.session.execute(
        select(Post.thread_id, Post.id, Post.message_id, Post.created_at)
        .where(
            Post.thread_id.in_(thread_ids),
            (Post.status == PostStatus.PUBLISHED) | Post.id.in_(list(wanted)),
        )
        .order_by(Post.thread_id, Post.created_at, Post.id)
    ).all()
    earlier: dict[int, list[str]] = defaultdict(list)
    chains: dict[int, list[str]] = {}
    for thread_id, post_id, stored, _created in rows:
        if post_id in wanted:
            chains[post_id] = _trimmed(earlier[thread_id])
        earlier[thread_id].append(_message_id(post_id, stored))
    return chains
