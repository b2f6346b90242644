"""Wording digests, in the form each person chose (see `DigestForm`).

- The summary: a table of contents, then each post's author and its start, with links
  (HTML and text, or text only).
- Plain text (RFC 1153): every post in full, one after the other, with its headers.
- A MIME digest (RFC 2046): a table of contents, then a multipart/digest in which each
  post is a message of its own with its Message-ID, In-Reply-To and References, so that
  a reply to it from any mail program is a reply to that post.

Every form stays under DIGEST_MAX_BYTES (Gmail clips larger mail): bodies are trimmed
harder (summaries), then fewer posts are shown and the digest says how many more wait.
Subjects number the digests ("Daily digest, Vol 3, Issue 42"; see `forum.mail.digests`).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from email.message import Message as MimeMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_mail import Message, sanitize_address, sanitize_subject

from forum.accounts.models import User
from forum.boards.models import Board
from forum.mail import addresses
from forum.mail.headers import digest_headers
from forum.mail.ids import message_id, thread_headers
from forum.mail.message import (
    POLICY,
    display_address,
    html_if_wanted,
    local_time,
    new_message,
    part_size,
    site_name,
    text_part,
)
from forum.mail.models import DigestForm, MailSettings, OutboxMessage
from forum.posts.models import Post, Thread
from forum.web import group_labels, url_maker

if TYPE_CHECKING:
    from forum.mail.compose import Batch

# Gmail clips messages above 102 KB; digests stay under this many bytes.
DIGEST_MAX_BYTES = 100_000
# How much of each post a summary shows, tried in turn until it fits.
DIGEST_TRIMS = (800, 300)
# Headers and MIME boundaries of a digest take well under this many bytes; each
# message of a MIME digest adds its part's headers and boundary.
_HEADERS_ALLOWANCE = 4_000
_PART_ALLOWANCE = 100

Render = Callable[[list[Post], int | None, int], tuple[Message, int]]


def digest(
    batch: "Batch", row: OutboxMessage, user: User, settings: MailSettings, posts: list[Post]
) -> Message | None:
    """The digest this row holds, in the person's form; None if it cannot fit."""
    period = row.payload.get("period", "daily")
    unsubscribe_link = url_for(
        "mail.unsubscribe",
        token=addresses.unsubscribe_token(user.id, "digest", period),
        _external=True,
    )
    sections = digest_sections(posts)
    boards = [item["board"] for group in sections for item in group["boards"]]
    ordered = [post for group in sections for item in group["boards"]
               for entry in item["threads"] for post in entry["posts"]]  # fmt: skip
    heading = _heading(period, row.payload.get("volume"), row.payload.get("issue"))
    base = {
        "user": user,
        "period": period,
        "heading": heading,
        "site_name": site_name(),
        "unsubscribe_link": unsubscribe_link,
        "preferences_link": url_for("mail.preferences", _external=True),
        "new_thread_ids": set(row.payload.get("new_threads", [])),
        "footers": [(board, board.mail_footer) for board in boards if board.mail_footer.strip()],
        "several_boards": len(boards) > 1,
        "written_at": {post.id: local_time(post.created_at, user) for post in posts},
        "reply_addresses": {
            post.thread_id: addresses.reply_address(user.id, post.thread_id) for post in posts
        },
        "permalink": _permalinks(),
        "groups": group_labels(),
    }
    envelope = {
        "to": user.email,
        "subject": f"[{site_name()}] {heading}",
        "sender_name": site_name(),
        "headers": digest_headers(boards, unsubscribe_link=unsubscribe_link),
        "reply_to": addresses.token_address("digest", user.id, row.id),
    }
    form = settings.digest_form
    if form == DigestForm.SUMMARY:
        render = _summary(batch, settings, ordered, base, envelope)
        return _fitting(ordered, render, DIGEST_TRIMS)
    full = _mime if form == DigestForm.MIME else _plain
    return _fitting(ordered, full(batch, base, envelope), (None,))


def _permalinks() -> Callable[[Post], str]:
    link = url_maker("posts.permalink", "post_id", external=True)
    return lambda post: link(post.id)


def _heading(period: str, volume: int | None, issue: int | None) -> str:
    if volume and issue:
        if period == "daily":
            return _("Daily digest, Vol %(volume)d, Issue %(issue)d", volume=volume, issue=issue)
        return _("Weekly digest, Vol %(volume)d, Issue %(issue)d", volume=volume, issue=issue)
    return _("Daily digest") if period == "daily" else _("Weekly digest")


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


def _fitting(posts: list[Post], render: Render, trims: tuple[int | None, ...]) -> Message | None:
    """The digest with bodies trimmed harder, then with fewer posts, until it fits.

    Once bodies are as short as they get, the number of posts shown is cut in
    proportion to the excess (size grows about linearly with it), then by a tenth at a
    time, so that even a digest of hundreds of posts takes a few renderings."""
    shown = posts
    size = 0
    for trim in trims:
        message, size = render(shown, trim, 0)
        if size <= DIGEST_MAX_BYTES:
            return message
    while len(shown) > 1:
        keep = min(int(len(shown) * DIGEST_MAX_BYTES / size * 0.95), len(shown) * 9 // 10)
        shown = shown[: max(keep, 1)]
        message, size = render(shown, trims[-1], len(posts) - len(shown))
        if size <= DIGEST_MAX_BYTES:
            return message
    return None


def _excerpt(text: str, trim: int | None) -> tuple[str, bool]:
    if trim is None or len(text) <= trim:
        return text, False
    return text[: trim - 1].rstrip() + "…", True


def _summary(
    batch: "Batch", settings: MailSettings, posts: list[Post], base: dict, envelope: dict
) -> Render:
    def render(shown: list[Post], trim: int | None, more: int) -> tuple[Message, int]:
        context = {
            **base,
            "sections": digest_sections(shown),
            "count": len(shown),
            "more": more,
            "excerpts": {post.id: _excerpt(batch.text_of(post), trim) for post in shown},
        }
        text = render_template("mail/digest.txt", **context)
        html = html_if_wanted(settings, "mail/digest.html", context)
        message = new_message(text=text, html=html, **envelope)
        size = _HEADERS_ALLOWANCE + part_size(text) + (part_size(html, "html") if html else 0)
        return message, size

    return render


def _full_context(batch: "Batch", base: dict, shown: list[Post], more: int) -> dict:
    return {
        **base,
        "posts": shown,
        "count": len(shown),
        "more": more,
        "parts": {post.id: batch.parts_of(post) for post in shown},
    }


def _plain(batch: "Batch", base: dict, envelope: dict) -> Render:
    def render(shown: list[Post], _trim: int | None, more: int) -> tuple[Message, int]:
        text = render_template("mail/digest_plain.txt", **_full_context(batch, base, shown, more))
        return new_message(text=text, html=None, **envelope), _HEADERS_ALLOWANCE + part_size(text)

    return render


def _mime(batch: "Batch", base: dict, envelope: dict) -> Render:
    def render(shown: list[Post], _trim: int | None, more: int) -> tuple[Message, int]:
        text = render_template("mail/digest_mime.txt", **_full_context(batch, base, shown, more))
        messages = [batch.message_of(post) for post in shown]
        size = _HEADERS_ALLOWANCE + part_size(text)
        size += sum(message_size + _PART_ALLOWANCE for _message, message_size in messages)
        digest = [message for message, _size in messages]
        return new_message(text=text, html=None, digest=digest, **envelope), size

    return render


def post_message(
    post: Post, *, subject: str, text: str, chain: list[str], permalink: str
) -> tuple[MimeMessage, int]:
    """A post as the message a list would have sent, and its size: for MIME digests.
    Its text is 8bit where it can be; `ForumMessage` rewrites it for a server that does
    not take 8-bit mail."""
    board = post.thread.board
    sender = _("%(name)s via %(site)s", name=post.author.display_name, site=site_name())
    message = text_part(f"{text}\n\n-- \n{permalink}\n")
    headers = {
        "From": sanitize_address(display_address(sender, addresses.forum_address())),
        "To": addresses.posting_address(board),
        "Subject": sanitize_subject(subject),
        "Date": format_datetime(post.created_at),
        "Message-ID": message_id(post),
        **thread_headers(chain),
        "Reply-To": addresses.posting_address(board),
        "List-Id": addresses.list_id(board),
        "Archived-At": f"<{permalink}>",
    }
    for name, value in headers.items():
        message[name] = value
    return message, len(message.as_bytes(policy=POLICY))
