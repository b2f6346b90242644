"""Writing threads and posts. Every path that posts (web, email, CLI) comes through here."""

from datetime import datetime

from flask_babel import gettext as _

from forum import events
from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import utcnow
from forum.extensions import db
from forum.markup import render_markdown
from forum.permissions import Action, can
from forum.posts.models import Post, PostRevision, PostSource, PostStatus, Thread


class PostingError(Exception):
    """A post that cannot be written; the message is for the user."""


def _refuse_unless(user: User, action: Action, target: object) -> None:
    if can(user, action, target):
        return
    if user.is_suspended:
        raise PostingError(_("Your account is suspended, so you cannot post."))
    if not user.is_verified:
        raise PostingError(_("Confirm your email address before posting."))
    if action is Action.REPLY and getattr(target, "is_locked", False):
        raise PostingError(_("This thread is locked: no more replies."))
    raise PostingError(_("You cannot post here."))


def create_thread(
    board: Board,
    author: User,
    *,
    title: str,
    body: str,
    source: PostSource = PostSource.WEB,
    at: datetime | None = None,
) -> Thread:
    """Start a thread with its first post; `at` backdates it (demo data, imports)."""
    _refuse_unless(author, Action.START_THREAD, board)
    now = at or utcnow()
    thread = Thread(
        board=board, author=author, title=title.strip(), created_at=now, last_activity_at=now
    )
    db.session.add(thread)
    _add_post(thread, author, body=body, source=source, now=now)
    return thread


def reply(
    thread: Thread,
    author: User,
    *,
    body: str,
    source: PostSource = PostSource.WEB,
    at: datetime | None = None,
) -> Post:
    _refuse_unless(author, Action.REPLY, thread)
    return _add_post(thread, author, body=body, source=source, now=at or utcnow())


def _add_post(
    thread: Thread, author: User, *, body: str, source: PostSource, now: datetime
) -> Post:
    post = Post(
        thread=thread,
        author=author,
        body_source=body,
        body_html=render_markdown(body),
        created_at=now,
        status=PostStatus.PUBLISHED,
        source=source,
    )
    db.session.add(post)
    db.session.flush()
    if thread.first_post_id is None:
        thread.first_post = post
    publish(post)
    return post


def touch(thread: Thread, at: datetime | None = None) -> None:
    """Mark a thread and the boards that list it as changed (the pages' cache version)."""
    now = at or utcnow()
    thread.changed_at = now
    board = thread.board
    while board is not None:
        board.changed_at = now
        board = board.parent


def publish(post: Post) -> None:
    """Count a post that readers can now see, and announce it (search, mail)."""
    thread, board = post.thread, post.thread.board
    if thread.post_count == 0:
        board.thread_count += 1
    thread.post_count += 1
    board.post_count += 1
    post.author.post_count += 1
    if thread.last_activity_at is None or post.created_at >= thread.last_activity_at:
        thread.last_activity_at = post.created_at
        thread.last_post = post
    if board.last_activity_at is None or post.created_at >= board.last_activity_at:
        board.last_activity_at = post.created_at
        board.last_post = post
    touch(thread)
    db.session.flush()
    events.post_published.send(post)


def edit_post(post: Post, editor: User, *, body: str) -> PostRevision | None:
    """Replace a post's body, keeping the earlier one; None when nothing changed."""
    _refuse_unless(editor, Action.EDIT_POST, post)
    if body == post.body_source:
        return None
    revision = PostRevision(
        post=post,
        body_source=post.body_source,
        body_html=post.body_html,
        written_at=post.edited_at or post.created_at,
        written_by_id=post.edited_by_id or post.author_id,
    )
    db.session.add(revision)
    post.body_source = body
    post.body_html = render_markdown(body)
    post.edited_at = utcnow()
    post.edited_by_id = editor.id
    post.revision_count += 1
    touch(post.thread)
    db.session.flush()
    events.post_edited.send(post, revision=revision)
    return revision
