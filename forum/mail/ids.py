"""Message-IDs of posts: one scheme for outgoing mail, the archives' mbox and threading.

A web post's Message-ID derives from its id and the forum's mail domain, so it never
changes; a post that arrived by email keeps the Message-ID its sender gave it."""

from flask import current_app

from forum.posts.models import Post


def message_id(post: Post) -> str:
    return post.message_id or f"<post-{post.id}@{current_app.config['MAIL_DOMAIN']}>"


def author_address(post: Post) -> str:
    """A stand-in address for the author: real addresses are never shown."""
    return f"person-{post.author_id}@{current_app.config['MAIL_DOMAIN']}"
