"""Wording outbox rows into messages, at the moment they are sent.

A batch of rows is composed together: the people, posts, threads and notices they need
are loaded in a few queries, and what every copy of a post shares is rendered once.
Whatever makes a copy wrong to send now (an address no longer verified, a suspension,
a post hidden since, access to the board lost, mail paused) skips it with the reason.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message as MimeMessage

from flask import current_app, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_mail import Message
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.mail import addresses, digest_mail, ids
from forum.mail.account_mail import Skip, account_message
from forum.mail.headers import AUTO_GENERATED, list_headers, one_click
from forum.mail.ids import message_id, references
from forum.mail.language import worded_for
from forum.mail.message import (
    html_if_wanted,
    local_time,
    new_message,
    site_name,
)
from forum.mail.models import (
    DigestForm,
    MailKind,
    MailSettings,
    OutboxMessage,
    ThreadWatch,
    WatchMode,
)
from forum.markup import markdown_to_text
from forum.notices.models import Notice
from forum.notices.services import ABOUT_POSTS, describe, link_for
from forum.pagination import as_id
from forum.permissions import can_receive_thread_mail, is_listed
from forum.posts.models import Post, PostStatus, Thread
from forum.text import one_line

# Kinds of mail that a feature words itself: (batch, row, person, their settings) ->
# message, called in the person's language.
Composer = Callable[["Batch", OutboxMessage, User, MailSettings], Message]
_COMPOSERS: dict[MailKind, Composer] = {}


def register_composer(kind: MailKind, composer: Composer) -> None:
    """Word mail of this kind with `composer` (a feature's own mail, such as meetings')."""
    _COMPOSERS[kind] = composer


def _external(endpoint: str, **values: object) -> str:
    return url_for(endpoint, _external=True, **values)


@dataclass
class PostParts:
    """What every copy of one post shares."""

    post: Post
    board: Board
    subject: str
    text: str
    html: str
    chain: list[str]
    permalink: str
    message_id: str


@dataclass
class Batch:
    """The rows of one delivery batch and what composing them needs, loaded at once."""

    rows: list[OutboxMessage]
    users: dict[int, User] = field(default_factory=dict)
    settings: dict[int, MailSettings] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    notices: dict[int, Notice] = field(default_factory=dict)
    # (post id, user id) of the notices' posts that reach their person another way: a
    # copy of the post, or a thread they muted.
    covered: set[tuple[int, int]] = field(default_factory=set)
    _parts: dict[int, PostParts] = field(default_factory=dict)
    _chains: dict[int, list[str]] | None = None
    _texts: dict[int, str] = field(default_factory=dict)
    _messages: dict[tuple[int, str], tuple[MimeMessage, int]] = field(default_factory=dict)

    def text_of(self, post: Post) -> str:
        """A post as plain text (see `markdown_to_text`), made once per batch however
        many messages show it."""
        text = self._texts.get(post.id)
        if text is None:
            text = self._texts[post.id] = markdown_to_text(post.body_source)
        return text

    def chain_of(self, post: Post) -> list[str]:
        """The Message-IDs above a post (see `forum.mail.ids.references`), found in one
        query for every post of the batch whose messages carry them."""
        if self._chains is None:
            self._chains = references(self._threaded_posts())
        if post.id not in self._chains:
            self._chains.update(references([post]))
        return self._chains[post.id]

    def _threaded_posts(self) -> list[Post]:
        """The posts of copies, and of digests that show posts as messages."""
        wanted = {row.post_id for row in self.rows if row.post_id}
        full = {
            user_id
            for user_id, settings in self.settings.items()
            if settings.digest_form != DigestForm.SUMMARY
        }
        for row in self.rows:
            if row.kind == MailKind.DIGEST and row.user_id in full:
                wanted.update(row.payload.get("posts", []))
        return [self.posts[post_id] for post_id in wanted if post_id in self.posts]

    def message_of(self, post: Post) -> tuple[MimeMessage, int]:
        """A post as a message of its own and its size, for MIME digests: the same for
        every reader in a language."""
        key = (post.id, str(get_locale()))
        if key not in self._messages:
            parts = self.parts_of(post)
            self._messages[key] = digest_mail.post_message(
                post, subject=parts.subject, text=parts.text, chain=parts.chain,
                permalink=parts.permalink,
            )  # fmt: skip
        return self._messages[key]

    def load(self) -> "Batch":
        user_ids = {row.user_id for row in self.rows if row.user_id}
        if user_ids:
            self.users = {
                user.id: user
                for user in db.session.scalars(
                    select(User)
                    .where(User.id.in_(user_ids))
                    .options(selectinload(User.board_roles))
                )
            }
            self.settings = {
                settings.user_id: settings
                for settings in db.session.scalars(
                    select(MailSettings).where(MailSettings.user_id.in_(user_ids))
                )
            }
        notice_ids = {row.payload["notice"] for row in self.rows if "notice" in row.payload}
        if notice_ids:
            self.notices = {
                notice.id: notice
                for notice in db.session.scalars(select(Notice).where(Notice.id.in_(notice_ids)))
            }
        post_ids = {row.post_id for row in self.rows if row.post_id}
        post_ids |= {pid for row in self.rows for pid in row.payload.get("posts", [])}
        post_ids |= {n.params["post_id"] for n in self.notices.values() if n.kind == "post_waiting"}
        post_ids |= {n.post_id for n in self.notices.values() if n.post_id}
        self._load_covered()
        if post_ids:
            self.posts = {
                post.id: post
                for post in db.session.scalars(
                    select(Post)
                    .where(Post.id.in_(post_ids))
                    .options(
                        joinedload(Post.author),
                        joinedload(Post.thread).joinedload(Thread.board).joinedload(Board.section),
                    )
                )
            }
        return self

    def _load_covered(self) -> None:
        pairs = {(n.post_id, n.user_id) for n in self.notices.values() if n.post_id}
        if not pairs:
            return
        post_ids, user_ids = {p for p, _u in pairs}, {u for _p, u in pairs}
        copies = select(OutboxMessage.post_id, OutboxMessage.user_id).where(
            OutboxMessage.kind == MailKind.POST,
            OutboxMessage.post_id.in_(post_ids),
            OutboxMessage.user_id.in_(user_ids),
        )
        mutes = (
            select(Post.id, ThreadWatch.user_id)
            .join(ThreadWatch, ThreadWatch.thread_id == Post.thread_id)
            .where(
                Post.id.in_(post_ids),
                ThreadWatch.user_id.in_(user_ids),
                ThreadWatch.mode == WatchMode.MUTE,
            )
        )
        found = {tuple(row) for query in (copies, mutes) for row in db.session.execute(query)}
        self.covered = pairs & found

    def settings_of(self, user: User) -> MailSettings:
        return self.settings.get(user.id) or MailSettings.defaults_for(user.id)

    def compose(self, row: OutboxMessage) -> Message:
        """The message for this row, or Skip."""
        user = self.users.get(row.user_id) if row.user_id else None
        if row.kind in (MailKind.ACCOUNT, MailKind.AUTO_REPLY):
            return account_message(row, user)
        if user is None:
            raise Skip("the account no longer exists")
        settings = self.settings_of(user)
        if settings.paused:
            raise Skip("the person paused their email")
        if settings.bouncing_since is not None:
            raise Skip("mail to this address bounces; paused until the person confirms it")
        with worded_for(user):
            if row.kind in _COMPOSERS:
                return _COMPOSERS[row.kind](self, row, user, settings)
            if row.kind == MailKind.POST:
                return self._post_copy(row, user, settings)
            if row.kind == MailKind.DIGEST:
                return self._digest(row, user, settings)
            return self._notice(row, user, settings)

    # Copies of posts ---------------------------------------------------------------------

    def parts_of(self, post: Post) -> PostParts:
        """What every message showing this post shares, made once per batch."""
        parts = self._parts.get(post.id)
        if parts is None:
            thread, board = post.thread, post.thread.board
            parts = PostParts(
                post=post,
                board=board,
                subject=ids.subject(
                    board.code, thread.title, reply=post.id != thread.first_post_id
                ),
                text=self.text_of(post),
                html=post.body_html,
                chain=self.chain_of(post),
                permalink=_external("posts.permalink", post_id=post.id),
                message_id=message_id(post),
            )
            self._parts[post.id] = parts
        return parts

    def _post_copy(self, row: OutboxMessage, user: User, settings: MailSettings) -> Message:
        post = self.posts.get(row.post_id or 0)
        if post is None or post.status != PostStatus.PUBLISHED or not is_listed(post.thread):
            raise Skip("the post is no longer public")
        parts = self.parts_of(post)
        board, thread = self._followed(row, parts.board), post.thread
        if not can_receive_thread_mail(user, thread):
            raise Skip("the person may no longer receive this board's mail")
        watch = row.reason == "watch"
        if watch:
            unsubscribe = addresses.unsubscribe_token(user.id, "thread", thread.id)
        else:
            unsubscribe = addresses.unsubscribe_token(user.id, "board", board.id)
        context = {
            "post": post,
            "board": board,
            "thread": thread,
            "body_text": parts.text,
            "body_html": parts.html,
            "permalink": parts.permalink,
            "reply_address": addresses.reply_address(user.id, thread.id),
            "unsubscribe_link": _external("mail.unsubscribe", token=unsubscribe),
            "preferences_link": _external("mail.preferences"),
            "reason": row.reason,
            "written_at": local_time(post.created_at, user),
        }
        headers = {
            **list_headers(
                board, unsubscribe_link=context["unsubscribe_link"], leave_by_mail=not watch
            ),
            "Archived-At": f"<{parts.permalink}>",
            "Precedence": "list",
            **ids.thread_headers(parts.chain),
        }
        return new_message(
            to=user.email,
            subject=parts.subject,
            text=render_template("mail/post.txt", **context),
            html=html_if_wanted(settings, "mail/post.html", context),
            sender_name=_("%(name)s via %(site)s", name=post.author.display_name, site=site_name()),
            headers=headers,
            message_id_header=parts.message_id,
            reply_to=addresses.posting_address(board),
        )

    @staticmethod
    def _followed(row: OutboxMessage, board: Board) -> Board:
        """The board through which a copy comes: for a consultation, the board that lists
        it which the person follows ("board:ID"), else the post's own."""
        if not row.reason.startswith("board:"):
            return board
        board_id = as_id(row.reason.removeprefix("board:"))
        listed = db.session.get(Board, board_id) if board_id else None
        return listed or board

    # Digests -----------------------------------------------------------------------------

    def _digest(self, row: OutboxMessage, user: User, settings: MailSettings) -> Message:
        posts = [
            self.posts[post_id]
            for post_id in row.payload.get("posts", [])
            if post_id in self.posts and _still_for(self.posts[post_id], user)
        ]
        if not posts:
            raise Skip("nothing in the digest is still public and readable")
        message = digest_mail.digest(self, row, user, settings, posts)
        if message is None:
            raise Skip("the digest cannot be made small enough")
        return message

    # Notices -----------------------------------------------------------------------------

    def _notice(self, row: OutboxMessage, user: User, settings: MailSettings) -> Message:
        notice = self.notices.get(row.payload.get("notice", 0))
        if notice is None:
            raise Skip("the notice no longer exists")
        scope = _NOTICE_SCOPES.get(notice.kind, "notices")
        if not getattr(settings, scope):
            raise Skip("the person asked for these notices on the web only")
        post = self._post_told_of(notice, user)
        text = describe(notice)
        link = link_for(notice)
        unsubscribe = addresses.unsubscribe_token(user.id, scope, 0)
        unsubscribe_link = _external("mail.unsubscribe", token=unsubscribe)
        context = {
            "text": text,
            "post": post,
            "post_text": self.text_of(post) if post else "",
            "link": f"{_base_url()}{link}" if link else None,
            "notices_link": _external("notices.notice_list"),
            "unsubscribe_link": unsubscribe_link,
            "preferences_link": _external("mail.preferences"),
            "site_name": site_name(),
        }
        waiting = self._waiting_post(notice, user)
        return new_message(
            to=user.email,
            subject=f"[{site_name()}] {_shortened(text, 90)}",
            text=render_template("mail/notice.txt", **context, waiting=waiting),
            html=None,
            sender_name=site_name(),
            headers={**AUTO_GENERATED, **one_click(unsubscribe_link)},
            reply_to=addresses.token_address("moderate", user.id, waiting.id) if waiting else None,
        )

    def _post_told_of(self, notice: Notice, user: User) -> Post | None:
        """The post a reply or mention notice is about, which the person may still read
        and does not get by email already (a copy of it; a thread they muted)."""
        if notice.kind not in ABOUT_POSTS:
            return None
        post = self.posts.get(notice.post_id or 0)
        if post is None or not _still_for(post, user):
            raise Skip("the post is no longer public, or no longer readable by the person")
        if (post.id, user.id) in self.covered:
            raise Skip("the person gets this post by email already, or muted its thread")
        return post

    def _waiting_post(self, notice: Notice, user: User) -> Post | None:
        """The held post a coordinator is told about, still waiting: they can answer the
        notice with "approve" or "reject: reason"."""
        if notice.kind != "post_waiting":
            return None
        post = self.posts.get(notice.params.get("post_id", 0))
        if post is None or post.status != PostStatus.PENDING:
            raise Skip("the post no longer waits for approval")
        return post


# The mail setting (and unsubscribe scope) of each kind of notice; "notices" for the rest.
_NOTICE_SCOPES = {"reply": "replies", "mention": "mentions"}


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _shortened(text: str, length: int) -> str:
    text = one_line(text)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _still_for(post: Post, user: User) -> bool:
    return (
        post.status == PostStatus.PUBLISHED
        and is_listed(post.thread)
        and can_receive_thread_mail(user, post.thread)
    )
