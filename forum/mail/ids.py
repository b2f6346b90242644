"""Message-IDs of posts: one scheme for outgoing mail, the archives' mbox and threading.

A web post's Message-ID derives from its id and the forum's mail domain, so it never
changes; a post that arrived by email keeps the Message-ID its sender gave it, unless
that one is on the forum's own domain, which only the forum gives out (a stored one of
those, from before this rule, is passed over for the post's own).

Threads are trees: each post answers the post it was written in reply to (Reply or Quote
on the web, In-Reply-To in mail), or else its thread's first post. Its In-Reply-To names
that post, and its References the chain of posts above it from the thread's first post
down (the middle cut in deep threads, as RFC 5322 allows), so every mail client nests a
thread the same way, in mail and in the archives.
"""

import re
from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import select

from forum.extensions import db
from forum.mail.message import folded
from forum.posts.models import Post, Thread

# References keep the first post and the nearest ancestors, this many in all.
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
    """A copy of the chain, cut to its first post and its nearest ancestors."""
    if len(chain) <= REFERENCES_KEPT:
        return chain[:]
    return [chain[0], *chain[-(REFERENCES_KEPT - 1) :]]


def thread_headers(chain: list[str]) -> dict[str, str]:
    """In-Reply-To and References for a chain, each Message-ID of References on a line
    of its own (mail written as given; see `forum.mail.message`)."""
    if not chain:
        return {}
    return {"In-Reply-To": chain[-1], "References": folded(chain)}


def references(posts: Iterable[Post]) -> dict[int, list[str]]:
    """For each post, the Message-IDs of the posts above it, oldest first: the last is its
    In-Reply-To, the whole list its References (empty for a thread's first post)."""
    posts = list(posts)
    thread_ids = {post.thread_id for post in posts}
    if not thread_ids:
        return {}
    rows = db.session.execute(
        select(Post.id, Post.thread_id, Post.reply_to_id, Post.message_id, Thread.first_post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.thread_id.in_(thread_ids))
    ).all()
    thread_of = {row.id: row.thread_id for row in rows}
    ids = {row.id: _message_id(row.id, row.message_id) for row in rows}
    parents = {row.id: _parent(row, thread_of) for row in rows}
    return {
        post.id: _trimmed([ids[above] for above in _ancestors(post.id, parents) if above in ids])
        for post in posts
    }


def _parent(row: Any, thread_of: dict[int, int]) -> int | None:
    """The post a post answers: the one it names if that stands in the same thread (not
    after a split or a merge), the thread's first post otherwise."""
    if row.id == row.first_post_id:
        return None
    if row.reply_to_id is not None and thread_of.get(row.reply_to_id) == row.thread_id:
        return row.reply_to_id
    return row.first_post_id


def _ancestors(post_id: int, parents: dict[int, int | None]) -> list[int]:
    """The posts above this one, from the thread's first post down."""
    chain: list[int] = []
    seen = {post_id}
    parent = parents.get(post_id)
    while parent is not None and parent not in seen:
        chain.append(parent)
        seen.add(parent)
        parent = parents.get(parent)
    return chain[::-1]
