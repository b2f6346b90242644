"""Wording outbox rows into messages, at the moment they are sent.

A batch of rows is composed together: the people, posts, threads and notices they need
are loaded in a few queries, and what every copy of a post shares is rendered once.
Whatever makes a copy wrong to send now (an address no longer verified, a suspension,
a post hidden since, access to the board lost, mail paused) skips it with the reason.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.charset import BASE64, Charset
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Message
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.i18n import zone
from forum.mail import addresses, ids
from forum.mail.ids import message_id, references
from forum.mail.models import MailFormat, MailKind, MailSettings, OutboxMessage
from forum.notices.models import Notice
from forum.notices.services import describe, link_for
from forum.permissions import can_receive_list_mail, is_listed
from forum.posts.models import Post, PostStatus, Thread
from forum.web import group_labels, url_maker

AUTO_GENERATED = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
# Gmail clips messages above 102 KB; digests stay under this many bytes.
DIGEST_MAX_BYTES = 100_000
# How much of each post a digest shows, tried in turn until it fits.
DIGEST_TRIMS = (800, 300)
_SPACE = re.compile(r"\s+")
_PARAGRAPH_BREAKS = re.compile(r"\n\s*\n\s*")


# SMTP line endings; headers are written as Flask-Mail encoded them and left on one
# line (up to RFC 5322's 998 characters), so that a long List-Unsubscribe URL is never
# folded into encoded words that clients would not read. The compat32 policy writes
# them as they are, where the newer one parses every header again (5 ms a message).
_POLICY = policy.compat32.clone(linesep="\r\n", max_line_length=0)


# Text parts always in UTF-8 and base64, whose lines are 76 characters long: an ASCII
# part would otherwise go out as 7bit with each paragraph on one line, which SMTP
# servers refuse past 998 characters. (Quoted-printable would read better raw, but the
# standard library encodes it in pure Python, several milliseconds a message.) Set on
# the instance, since Flask-Mail registers UTF-8 without a body encoding.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = BASE64


class ForumMessage(Message):
    """Flask-Mail's message, with the text encoding and policy above."""

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        return MIMEText(text or "", _subtype=subtype, _charset=_UTF8)  # type: ignore[arg-type]

    def _message(self) -> MIMEBase:
        message = super()._message()
        message.policy = _POLICY
        return message


class Skip(Exception):
    """This row is not to be sent now; the message says why."""


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def display_address(name: str, address: str) -> str:
    """`"Name" <address>`, quoted so that commas and non-ASCII names survive; Flask-Mail
    encodes the name (RFC 2047) when it builds the message."""
    quoted = _one_line(name).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'


def _external(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def _new_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    sender_name: str,
    headers: dict[str, str],
    message_id_header: str | None = None,
    reply_to: str | None = None,
) -> Message:
    message = ForumMessage(
        subject=_one_line(subject),
        recipients=[to],
        body=text,
        html=html,
        sender=display_address(sender_name, addresses.forum_address()),
        reply_to=reply_to,
        extra_headers=headers,
    )
    if message_id_header:
        message.msgId = message_id_header
    return message


def _unsubscribe_headers(link: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _local_time(moment: datetime, user: User) -> str:
    return moment.astimezone(zone(user.timezone)).strftime("%Y-%m-%d %H:%M %Z")


@dataclass
class _PostParts:
    """What every copy of one post shares."""

    post: Post
    board: Board
    subject: str
    text: str
    html: str
    chain: list[str]
    permalink: str


@dataclass
class Batch:
    """The rows of one delivery batch and what composing them needs, loaded at once."""

    rows: list[OutboxMessage]
    users: dict[int, User] = field(default_factory=dict)
    settings: dict[int, MailSettings] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    notices: dict[int, Notice] = field(default_factory=dict)
    _parts: dict[int, _PostParts] = field(default_factory=dict)
    _chains: dict[int, list[str]] = field(default_factory=dict)
    _texts: dict[int, str] = field(default_factory=dict)

    def text_of(self, post: Post) -> str:
        """A post as plain text: what its author wrote (Markdown reads as text), with
        spaces tidied once per batch however many digests show it."""
        text = self._texts.get(post.id)
        if text is None:
            text = self._texts[post.id] = _PARAGRAPH_BREAKS.sub("\n\n", post.body_source.strip())
        return text

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
            copies = [self.posts[row.post_id] for row in self.rows if row.post_id in self.posts]
            self._chains = references(copies)
        return self

    def settings_of(self, user: User) -> MailSettings:
        return self.settings.get(user.id) or MailSettings.defaults_for(user.id)

    def compose(self, row: OutboxMessage) -> Message:
        """The message for this row, or Skip."""
        user = self.users.get(row.user_id) if row.user_id else None
        if row.kind in (MailKind.ACCOUNT, MailKind.AUTO_REPLY):
            return _account_message(row, user)
        if user is None:
            raise Skip("the account no longer exists")
        settings = self.settings_of(user)
        if settings.paused:
            raise Skip("the person paused their email")
        if settings.bouncing_since is not None:
            raise Skip("mail to this address bounces; paused until the person confirms it")
        with force_locale(user.locale or "en"):
            if row.kind == MailKind.POST:
                return self._post_copy(row, user, settings)
            if row.kind == MailKind.DIGEST:
                return self._digest(row, user, settings)
            return self._notice(row, user, settings)

    # Copies of posts ---------------------------------------------------------------------

    def _parts_of(self, post: Post) -> _PostParts:
        parts = self._parts.get(post.id)
        if parts is None:
            thread, board = post.thread, post.thread.board
            chain = self._chains.get(post.id, [])
            parts = _PostParts(
                post=post,
                board=board,
                subject=ids.subject(
                    board.code, thread.title, reply=post.id != thread.first_post_id
                ),
                text=post.body_source.strip(),
                html=post.body_html,
                chain=chain,
                permalink=_external("posts.permalink", post_id=post.id),
            )
            self._parts[post.id] = parts
        return parts

    def _post_copy(self, row: OutboxMessage, user: User, settings: MailSettings) -> Message:
        post = self.posts.get(row.post_id or 0)
        if post is None or post.status != PostStatus.PUBLISHED or not is_listed(post.thread):
            raise Skip("the post is no longer public")
        parts = self._parts_of(post)
        board, thread = parts.board, post.thread
        if not can_receive_list_mail(user, board):
            raise Skip("the person may no longer receive this board's mail")
        if row.reason == "watch":
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
            "written_at": _local_time(post.created_at, user),
        }
        headers = {
            "List-Id": addresses.list_id(board),
            "List-Post": f"<mailto:{addresses.posting_address(board)}>",
            "List-Archive": f"<{_external('archives.board_archive', slug=board.slug)}>",
            "Archived-At": f"<{parts.permalink}>",
            "Precedence": "list",
            **_unsubscribe_headers(context["unsubscribe_link"]),
        }
        if parts.chain:
            headers["In-Reply-To"] = parts.chain[-1]
            headers["References"] = " ".join(parts.chain)
        return _new_message(
            to=user.email,
            subject=parts.subject,
            text=render_template("mail/post.txt", **context),
            html=_html_if_wanted(settings, "mail/post.html", context),
            sender_name=_("%(name)s via %(site)s", name=post.author.display_name, site=_site()),
            headers=headers,
            message_id_header=message_id(post),
            reply_to=addresses.posting_address(board),
        )

    # Digests -----------------------------------------------------------------------------

    def _digest(self, row: OutboxMessage, user: User, settings: MailSettings) -> Message:
        posts = [
            self.posts[post_id]
            for post_id in row.payload.get("posts", [])
            if post_id in self.posts and _still_for(self.posts[post_id], user)
        ]
        if not posts:
            raise Skip("nothing in the digest is still public and readable")
        period = row.payload.get("period", "daily")
        unsubscribe = addresses.unsubscribe_token(user.id, "digest", period)
        headers = {
            **AUTO_GENERATED,
            "Precedence": "bulk",
            **_unsubscribe_headers(_external("mail.unsubscribe", token=unsubscribe)),
        }
        subject = (
            _("[%(site)s] Your daily digest", site=_site())
            if period == "daily"
            else _("[%(site)s] Your weekly digest", site=_site())
        )
        base = {
            "user": user,
            "period": period,
            "unsubscribe_link": _external("mail.unsubscribe", token=unsubscribe),
            "preferences_link": _external("mail.preferences"),
            "new_thread_ids": set(row.payload.get("new_threads", [])),
            "text_of": self.text_of,
        }
        reply_to = addresses.token_address("digest", user.id, row.id)
        return _fitting_digest(
            user, settings, posts, base, subject=subject, headers=headers, reply_to=reply_to
        )

    # Notices -----------------------------------------------------------------------------

    def _notice(self, row: OutboxMessage, user: User, settings: MailSettings) -> Message:
        notice = self.notices.get(row.payload.get("notice", 0))
        if notice is None:
            raise Skip("the notice no longer exists")
        if not settings.notices:
            raise Skip("the person asked for notices on the web only")
        text = describe(notice)
        link = link_for(notice)
        unsubscribe = addresses.unsubscribe_token(user.id, "notices", 0)
        unsubscribe_link = _external("mail.unsubscribe", token=unsubscribe)
        context = {
            "text": text,
            "link": f"{_base_url()}{link}" if link else None,
            "notices_link": _external("notices.notice_list"),
            "unsubscribe_link": unsubscribe_link,
            "preferences_link": _external("mail.preferences"),
            "site_name": _site(),
        }
        waiting = self._waiting_post(notice, user)
        return _new_message(
            to=user.email,
            subject=f"[{_site()}] {_shortened(text, 90)}",
            text=render_template("mail/notice.txt", **context, waiting=waiting),
            html=None,
            sender_name=_site(),
            headers={**AUTO_GENERATED, **_unsubscribe_headers(unsubscribe_link)},
            reply_to=addresses.token_address("moderate", user.id, waiting.id) if waiting else None,
        )

    def _waiting_post(self, notice: Notice, user: User) -> Post | None:
        """The held post a coordinator is told about, still waiting: they can answer the
        notice with "approve" or "reject: reason"."""
        if notice.kind != "post_waiting":
            return None
        post = self.posts.get(notice.params.get("post_id", 0))
        if post is None or post.status != PostStatus.PENDING:
            raise Skip("the post no longer waits for approval")
        return post


def _site() -> str:
    return current_app.config["SITE_NAME"]


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _shortened(text: str, length: int) -> str:
    text = _one_line(text)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _still_for(post: Post, user: User) -> bool:
    return (
        post.status == PostStatus.PUBLISHED
        and is_listed(post.thread)
        and can_receive_list_mail(user, post.thread.board)
    )


def _html_if_wanted(settings: MailSettings, template: str, context: dict) -> str | None:
    if settings.format == MailFormat.TEXT:
        return None
    return render_template(template, **context)


def _account_message(row: OutboxMessage, user: User | None) -> Message:
    to = row.to_address or (user.email if user else None)
    if not to:
        raise Skip("no address to send to")
    headers = dict(AUTO_GENERATED)
    if row.kind == MailKind.AUTO_REPLY:
        headers["Auto-Submitted"] = "auto-replied"
    if row.payload.get("in_reply_to"):
        headers["In-Reply-To"] = headers["References"] = row.payload["in_reply_to"]
    return _new_message(
        to=to,
        subject=row.subject,
        text=row.payload.get("text", ""),
        html=None,
        sender_name=_site(),
        headers=headers,
        reply_to=row.payload.get("reply_to"),
    )


def digest_sections(posts: Iterable[Post]) -> list[dict]:
    """Posts grouped by section, board and thread, in the forum's order."""
    boards: dict[Board, dict[Thread, list[Post]]] = defaultdict(lambda: defaultdict(list))
    for post in sorted(posts, key=lambda p: (p.created_at, p.id)):
        boards[post.thread.board][post.thread].append(post)
    sections: dict[Any, list[dict]] = defaultdict(list)
    for board in sorted(boards, key=lambda b: (b.section.position, b.position, b.id)):
        threads = [{"thread": thread, "posts": items} for thread, items in boards[board].items()]
        sections[board.section].append({"board": board, "threads": threads})
    return [{"section": section, "boards": items} for section, items in sections.items()]


def _fitting_digest(
    user: User,
    settings: MailSettings,
    posts: list[Post],
    base: dict,
    *,
    subject: str,
    headers: dict[str, str],
    reply_to: str,
) -> Message:
    """The digest with bodies trimmed harder, then with fewer posts, until it fits.

    Once bodies are as short as they get, the number of posts shown is cut in
    proportion to the excess (size grows about linearly with it), then by a tenth at a
    time, so that even a digest of hundreds of posts takes a few renderings."""
    shown = posts
    for trim in DIGEST_TRIMS:
        message, size = _digest_message(
            user, settings, shown, base, trim=trim, more=0, subject=subject, headers=headers,
            reply_to=reply_to,
        )  # fmt: skip
        if size <= DIGEST_MAX_BYTES:
            return message
    while len(shown) > 1:
        keep = min(int(len(shown) * DIGEST_MAX_BYTES / size * 0.95), len(shown) * 9 // 10)
        shown = shown[: max(keep, 1)]
        message, size = _digest_message(
            user, settings, shown, base, trim=DIGEST_TRIMS[-1],
            more=len(posts) - len(shown), subject=subject, headers=headers, reply_to=reply_to,
        )  # fmt: skip
        if size <= DIGEST_MAX_BYTES:
            return message
    raise Skip("the digest cannot be made small enough")


# Headers and MIME boundaries of a digest take well under this many bytes.
_HEADERS_ALLOWANCE = 4_000


def _base64_size(text: str) -> int:
    """Bytes a text part takes in base64: 4 for every 3, a line break every 76 (exact,
    so no need to write the message out to measure it)."""
    encoded = 4 * ((len(text.encode()) + 2) // 3)
    return encoded + 2 * (encoded // 76 + 1)


def _excerpt(text: str, trim: int) -> tuple[str, bool]:
    if len(text) <= trim:
        return text, False
    return text[: trim - 1].rstrip() + "…", True


def _digest_message(
    user: User,
    settings: MailSettings,
    posts: list[Post],
    base: dict,
    *,
    trim: int,
    more: int,
    subject: str,
    headers: dict[str, str],
    reply_to: str,
) -> tuple[Message, int]:
    """The digest, and (at most) its size in bytes as it will be sent."""
    excerpts = {post.id: _excerpt(base["text_of"](post), trim) for post in posts}
    permalink = url_maker("posts.permalink", "post_id", external=True)
    reply_addresses = {
        post.thread_id: addresses.reply_address(user.id, post.thread_id) for post in posts
    }
    context = {
        **base,
        "sections": digest_sections(posts),
        "count": len(posts),
        "more": more,
        "excerpts": excerpts,
        "reply_addresses": reply_addresses,
        "written_at": {post.id: _local_time(post.created_at, user) for post in posts},
        "permalink": lambda post: permalink(post.id),
        "groups": group_labels(),
        "site_name": _site(),
    }
    text = render_template("mail/digest.txt", **context)
    html = _html_if_wanted(settings, "mail/digest.html", context)
    message = _new_message(
        to=user.email, subject=subject, text=text, html=html, sender_name=_site(),
        headers=headers, reply_to=reply_to,
    )  # fmt: skip
    size = _HEADERS_ALLOWANCE + _base64_size(text) + (_base64_size(html) if html else 0)
    return message, size
