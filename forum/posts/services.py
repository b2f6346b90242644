"""Writing threads and posts. Every path that posts (web, email, CLI) comes through here."""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forum import events
from forum.accounts.models import User
from forum.boards.models import Board, Role
from forum.db import utcnow
from forum.extensions import db
from forum.i18n import format_when
from forum.moderation.holds import needs_approval
from forum.notices.mentions import render_body
from forum.notices.replies import tell_about
from forum.permissions import Action, can, is_banned, is_suspended
from forum.posts.counters import count_published, recount, recount_authors, touch
from forum.posts.models import Post, PostRevision, PostSource, PostStatus, Thread
from forum.reads.services import mark_thread_read


@dataclass(frozen=True)
class Origin:
    """Where a post comes from: the web, or an email that keeps its own Message-ID and
    waits for a coordinator whatever the board's mode (`hold`) when its sender could
    not be authenticated."""

    source: PostSource = PostSource.WEB
    message_id: str | None = None
    hold: bool = False
    submission_token: str | None = None


WEB = Origin()
UNKNOWN_LANGUAGE = _l("Choose one of the languages in the list.")


class PostingError(Exception):
    """A post that cannot be written; the message is for the user."""


def _checked_language(language: str | None, author: User) -> str:
    """The post's language: the one given, which must be one of the forum's, or for none
    the author's account setting (English when that is unset)."""
    languages = current_app.config["LANGUAGES"]
    if language is None:
        return author.locale if author.locale in languages else "en"
    if language not in languages:
        raise PostingError(str(UNKNOWN_LANGUAGE))
    return language


def why_cannot_post(user: User, board: Board, thread: Thread | None = None) -> str:
    """The reason, in words for the user, that they may not post here."""
    if is_suspended(user):
        if user.suspended_until is not None:
            return _(
                "Your account is suspended until %(date)s: %(reason)s",
                date=format_when(user.suspended_until),
                reason=user.suspension_reason,
            )
        return _("Your account is suspended: %(reason)s", reason=user.suspension_reason)
    if not user.is_verified:
        return _("Confirm your email address before posting.")
    if is_banned(user, board):
        ban = next(r for r in user.board_roles if r.board_id == board.id and r.role == Role.BANNED)
        return _("The coordinators of this board have stopped you posting here: %(reason)s",
                 reason=ban.reason)  # fmt: skip
    if thread is not None and thread.is_locked:
        return _("This thread is locked: no more replies.")
    return _("You cannot post here.")


def _refuse_unless(
    user: User, action: Action, target: Board | Thread | Post, *, for_review: bool = False
) -> None:
    """Refuse with the reason, unless allowed; a post that will wait for approval anyway
    (`for_review`) may also come from someone the board lets submit for review."""
    if can(user, action, target):
        return
    if for_review and can(user, Action.SUBMIT_FOR_REVIEW, target):
        return
    if isinstance(target, Post):
        target = target.thread
    if isinstance(target, Thread):
        raise PostingError(why_cannot_post(user, target.board, target))
    raise PostingError(why_cannot_post(user, target))


def create_thread(
    board: Board,
    author: User,
    *,
    title: str,
    body: str,
    language: str | None = None,
    origin: Origin | None = None,
    at: datetime | None = None,
) -> Thread:
    """Start a thread with its first post; `at` backdates it (demo data, imports)."""
    _refuse_unless(author, Action.START_THREAD, board, for_review=bool(origin and origin.hold))
    language = _checked_language(language, author)
    now = at or utcnow()
    thread = Thread(
        board=board, author=author, title=title.strip(), created_at=now, last_activity_at=now
    )
    db.session.add(thread)
    _add_post(thread, author, body=body, language=language, origin=origin or WEB, now=now)
    return thread


def reply(
    thread: Thread,
    author: User,
    *,
    body: str,
    language: str | None = None,
    reply_to: Post | None = None,
    origin: Origin | None = None,
    at: datetime | None = None,
) -> Post:
    """A reply in `thread`. `reply_to` is the post it answers: the one the web's Reply or
    Quote action named, or the one a mail's In-Reply-To names; see `answered_post`."""
    _refuse_unless(author, Action.REPLY, thread, for_review=bool(origin and origin.hold))
    answered = answered_post(thread, reply_to)
    return _add_post(
        thread,
        author,
        body=body,
        language=_checked_language(language, author),
        origin=origin or WEB,
        now=at or utcnow(),
        reply_to=answered,
    )


def answered_post(thread: Thread, candidate: Post | None) -> Post | None:
    """The post a reply answers: `candidate` if it is a published post of this thread,
    else the thread's first post (for no candidate, a held, hidden or deleted one, or one
    from another thread)."""
    if (
        candidate is not None
        and candidate.thread_id == thread.id
        and candidate.status == PostStatus.PUBLISHED
    ):
        return candidate
    return thread.first_post


def quoted(post: Post) -> str:
    """The start of a reply that quotes `post`: an attribution line, then its Markdown
    source with `> ` before every line."""
    source = post.body_source.replace("\r\n", "\n").strip()
    lines = [f"> {line}".rstrip() for line in source.split("\n")]
    attribution = _("%(name)s wrote:", name=post.author.display_name)
    return "\n".join([attribution, "", *lines, "", ""])


def _add_post(
    thread: Thread,
    author: User,
    *,
    body: str,
    language: str,
    origin: Origin,
    now: datetime,
    reply_to: Post | None = None,
) -> Post:
    held = origin.hold or needs_approval(author, thread.board)
    post = Post(
        thread=thread,
        author=author,
        reply_to=reply_to,
        body_source=body,
        body_html=render_body(body, thread.board),
        language=language,
        created_at=now,
        status=PostStatus.PENDING if held else PostStatus.PUBLISHED,
        source=origin.source,
        message_id=origin.message_id,
        submission_token=origin.submission_token,
    )
    db.session.add(post)
    db.session.flush()
    if thread.first_post_id is None:
        thread.first_post = post
    if held:
        touch(thread)
        db.session.flush()
        events.post_held.send(post)
    else:
        publish(post, new=True)
    # Whoever writes in a thread has read it up to there.
    mark_thread_read(author, thread, up_to=now)
    return post


def publish(post: Post, *, new: bool = False) -> None:
    """Count a post that readers can now see, and announce it (search, mail); `new`: it
    was written in this transaction, so nothing was ever said of it."""
    count_published(post)
    events.post_published.send(post, new=new)


def edit_post(
    post: Post, editor: User, *, body: str, language: str | None = None
) -> PostRevision | None:
    """Replace a post's body, keeping the earlier one, and set its language (None keeps
    it); returns the earlier version, None when the body did not change."""
    _refuse_unless(editor, Action.EDIT_POST, post)
    if language is not None and language != post.language:
        post.language = _checked_language(language, editor)
        touch(post.thread)
        db.session.flush()
        if body == post.body_source:
            events.post_edited.send(post, revision=None)
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
    post.body_html = render_body(body, post.thread.board)
    post.edited_at = utcnow()
    post.edited_by_id = editor.id
    post.revision_count += 1
    touch(post.thread)
    db.session.flush()
    events.post_edited.send(post, revision=revision)
    _hold_again_if_needed(post, editor)
    # Someone the edit names for the first time hears of it (or when it is approved).
    tell_about(post)
    return revision


def _hold_again_if_needed(post: Post, editor: User) -> None:
    """An author's edit on a pre-moderated board waits for approval like a new post,
    so approval cannot be used to slip other text in afterwards."""
    board = post.thread.board
    if editor.id != post.author_id or post.status != PostStatus.PUBLISHED:
        return
    if not needs_approval(editor, board):
        return
    post.status = PostStatus.PENDING
    db.session.flush()
    recount(post.thread)
    recount_authors([post.author_id])
    events.post_withdrawn.send(post, status=PostStatus.PENDING)
    events.post_held.send(post)
