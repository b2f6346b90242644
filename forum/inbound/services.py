"""Taking in one received message for one recipient, under the same rules as the web.

Every message ends with an outcome, recorded with the raw message: posted, held for the
coordinators, moderated (a coordinator's "approve" or "reject: reason"), refused (the
sender is told why, at most once an hour) or ignored (loops, auto-replies, bounces,
duplicates). Who may post where is asked of `forum.permissions` through the posting and
moderation services, exactly as for the web.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from forum.accounts.models import User
from forum.accounts.services import find_user_by_email
from forum.boards.models import Board
from forum.db import utcnow
from forum.extensions import db
from forum.inbound import bounces
from forum.inbound.models import InboundMessage, Outcome
from forum.inbound.parse import Received, parse
from forum.mail import addresses
from forum.mail.models import MailKind, OutboxMessage
from forum.mail.outbox import queue
from forum.moderation import services as moderation
from forum.permissions import Action, can
from forum.posts import services as posting
from forum.posts.flood import flood_refusal
from forum.posts.models import Post, PostSource, PostStatus, Thread

_OWN_POST_ID = re.compile(r"^<post-(\d+)@(.+)>$")
# Precedence values of mail sent to many at once: never posted, never answered.
_BULK = frozenset({"bulk", "junk", "list"})
_BOARD_TAG = re.compile(r"\[([A-Za-z0-9-]{1,16})\]")


class UnknownRecipient(Exception):
    """No board or token address of ours: the MTA should bounce it (550 / EX_NOUSER)."""


@dataclass(frozen=True)
class Recipient:
    kind: str  # "board", or a token kind: "reply", "digest", "moderate", "bounces"
    board: Board | None = None
    numbers: tuple[int, ...] = ()


def route(address: str) -> Recipient | None:
    """What an address of ours stands for, or None."""
    local, at, domain = address.strip().strip("<>").lower().rpartition("@")
    if not at or domain != addresses.domain().lower():
        return None
    token = addresses.read_token_address(local)
    if token is not None:
        return Recipient(kind=token[0], numbers=token[1])
    board = _board_by_code(local)
    if board is not None and addresses.list_name(board) == local:
        return Recipient(kind="board", board=board)
    return None


def _board_by_code(code: str) -> Board | None:
    """Board codes are their addresses' local parts (`C7-EGOV`, `c7-egov@…`)."""
    return db.session.scalar(select(Board).where(func.lower(Board.code) == code.lower()))


class _Done(Exception):
    """The message's outcome is settled."""

    def __init__(self, outcome: Outcome, reason: str, *, tell_sender: bool = False) -> None:
        super().__init__(reason)
        self.outcome, self.reason, self.tell_sender = outcome, reason, tell_sender


def receive(raw: bytes, *, envelope_from: str, recipient: str) -> InboundMessage:
    """Take in one message for one recipient, and record what became of it."""
    target = route(recipient)
    if target is None:
        raise UnknownRecipient(recipient)
    received = parse(raw)
    record = InboundMessage(
        envelope_from=envelope_from[:320],
        recipient=recipient[:320],
        message_id=received.message_id,
        from_address=received.from_address[:320],
        subject=received.subject,
        full_text=received.full_text,
        raw=raw,
        outcome=Outcome.IGNORED,
    )
    db.session.add(record)
    try:
        _take(record, received, target, envelope_from)
    except _Done as done:
        record.outcome, record.reason = done.outcome, done.reason
        if done.tell_sender:
            _explain(record, received, envelope_from)
    db.session.flush()
    return record


def _take(record: InboundMessage, received: Received, target: Recipient, envelope: str) -> None:
    if target.kind == "bounces":
        reason = bounces.record_bounce(target.numbers[0], received)
        raise _Done(Outcome.IGNORED, reason)
    _refuse_loops_and_junk(received, envelope)
    author = _author(received, envelope)
    record.user_id = author.id
    if target.kind == "moderate":
        raise _Done(Outcome.MODERATED, _moderate(author, target.numbers, received))
    thread, board = _destination(author, target, received)
    _post(record, author, received, thread=thread, board=board)


def _refuse_loops_and_junk(received: Received, envelope: str) -> None:
    if not envelope or envelope == "<>":
        raise _Done(Outcome.IGNORED, "no return path: a bounce or notice, not a post")
    if received.auto_submitted and received.auto_submitted.split(";")[0].strip() != "no":
        raise _Done(
            Outcome.IGNORED, f"automatic message (Auto-Submitted: {received.auto_submitted})"
        )
    if received.precedence in _BULK:
        raise _Done(Outcome.IGNORED, f"bulk mail (Precedence: {received.precedence})")
    if received.list_id.endswith(f".{addresses.domain().lower()}>"):
        raise _Done(Outcome.IGNORED, "the forum's own list mail came back (a loop)")
    if received.message_id and _seen(received.message_id):
        raise _Done(Outcome.IGNORED, f"duplicate of {received.message_id}, received before")


def _automatic(received: Received) -> bool:
    """Auto-Submitted other than "no" (RFC 3834): an auto-reply, a notice, a robot."""
    value = received.auto_submitted.split(";")[0].strip()
    return bool(value) and value != "no"


def _seen(message_id: str) -> bool:
    taken = [Outcome.POSTED, Outcome.HELD, Outcome.MODERATED]
    earlier = select(InboundMessage.id).where(
        InboundMessage.message_id == message_id, InboundMessage.outcome.in_(taken)
    )
    stored = select(Post.id).where(Post.message_id == message_id)
    return db.session.scalar(earlier.limit(1)) is not None or (
        db.session.scalar(stored.limit(1)) is not None
    )


def _same_domain(one: str, other: str) -> bool:
    return one.rpartition("@")[2].lower() == other.rpartition("@")[2].lower()


def _author(received: Received, envelope: str) -> User:
    """The verified account of the From address, whose return path agrees with it."""
    if not received.from_address:
        raise _Done(Outcome.REFUSED, "no From address", tell_sender=True)
    envelope = envelope.strip("<>").lower()
    if not (_same_domain(envelope, received.from_address) or (
        received.sender_address and _same_domain(envelope, received.sender_address)
        and _same_domain(received.sender_address, received.from_address)
    )):  # fmt: skip
        raise _Done(
            Outcome.REFUSED,
            f"From ({received.from_address}) does not match the return path ({envelope})",
        )
    user = find_user_by_email(received.from_address)
    if user is None or not user.is_verified:
        raise _Done(
            Outcome.REFUSED,
            _("%(address)s has no confirmed account on %(site)s.",
              address=received.from_address, site=current_app.config["SITE_NAME"]),
            tell_sender=True,
        )  # fmt: skip
    return user


def _dmarc_failed(received: Received) -> bool:
    """A DMARC failure reported by the forum's own MTA (its authserv-id, trusted)."""
    trusted = current_app.config["MAIL_AUTHSERV_ID"].lower()
    for result in received.authentication_results:
        authserv, _sep, rest = result.partition(";")
        if authserv.strip().lower().split()[0:1] == [trusted] and re.search(
            r"\bdmarc\s*=\s*(fail|quarantine|reject)\b", rest, re.IGNORECASE
        ):
            return True
    return False


# Where a message goes ------------------------------------------------------------------


def _destination(
    author: User, target: Recipient, received: Received
) -> tuple[Thread | None, Board | None]:
    """(thread, None) for a reply, (None, board) for a new thread."""
    if target.kind == "reply":
        user_id, thread_id = target.numbers
        _require_owner(author, user_id)
        thread = db.session.get(Thread, thread_id)
        if thread is None:
            raise _Done(Outcome.REFUSED, _("That thread no longer exists."), tell_sender=True)
        return _live(thread), None
    if target.kind == "digest":
        user_id, outbox_id = target.numbers
        _require_owner(author, user_id)
        return _from_digest(outbox_id, received)
    thread = _thread_answered(received)
    if thread is not None:
        return _live(thread), None
    return None, target.board


def _require_owner(author: User, user_id: int) -> None:
    if author.id != user_id:
        raise _Done(
            Outcome.REFUSED,
            _("This reply address belongs to someone else: answer from your own mail."),
            tell_sender=True,
        )


def _live(thread: Thread) -> Thread:
    """Replies to a merged thread go on in the one it was merged into."""
    seen = set()
    while thread.merged_into_id is not None and thread.id not in seen:
        seen.add(thread.id)
        thread = db.session.get(Thread, thread.merged_into_id) or thread
    return thread


def _thread_answered(received: Received) -> Thread | None:
    """The thread of the latest message referred to that the forum knows."""
    for message_id in reversed([*received.references, *received.in_reply_to]):
        post = _post_by_message_id(message_id)
        if post is not None:
            return post.thread
    return None


def _post_by_message_id(message_id: str) -> Post | None:
    post = db.session.scalar(select(Post).where(Post.message_id == message_id))
    if post is not None:
        return post
    own = _OWN_POST_ID.match(message_id)
    if own and own.group(2).lower() == addresses.domain().lower():
        return db.session.get(Post, int(own.group(1)))
    return None


def _from_digest(outbox_id: int, received: Received) -> tuple[Thread | None, Board | None]:
    """A reply to a whole digest: the digest's thread whose title the subject names, else
    a new thread on the board the subject tags (or the digest's only board)."""
    digest = db.session.get(OutboxMessage, outbox_id)
    post_ids = digest.payload.get("posts", []) if digest is not None else []
    threads = list(
        db.session.scalars(
            select(Thread).join(Post, Post.thread_id == Thread.id).where(Post.id.in_(post_ids))
        ).unique()
    )
    title = received.title.lower()
    for thread in threads:
        if thread.title.strip().lower() == title:
            return _live(thread), None
    boards = {thread.board.id: thread.board for thread in threads}
    tag = _BOARD_TAG.search(received.subject)
    tagged = _board_by_code(tag[1]) if tag else None
    if tagged is not None:
        return None, tagged
    if len(boards) == 1:
        return None, next(iter(boards.values()))
    raise _Done(
        Outcome.REFUSED,
        _("Your reply to the digest names no thread or board. Reply to an item's own address, "
          "or write to a board's address (such as %(address)s).",
          address=f"c1@{addresses.domain()}"),
        tell_sender=True,
    )  # fmt: skip


# Posting and moderating -----------------------------------------------------------------


def _body(received: Received) -> str:
    body = received.text.strip()
    if received.attachments:
        names = ", ".join(received.attachments[:10])
        body += "\n\n" + _("(Attachments are not published; left out: %(names)s)", names=names)
    return body


def _post(
    record: InboundMessage,
    author: User,
    received: Received,
    *,
    thread: Thread | None,
    board: Board | None,
) -> None:
    body = _body(received)
    if not received.text.strip():
        raise _Done(Outcome.REFUSED, _("The message had no text of its own."), tell_sender=True)
    where = thread.board if thread is not None else board
    refusal = flood_refusal(author, where, new_thread=thread is None, address=None)
    if refusal:
        raise _Done(
            Outcome.REFUSED,
            _("You are posting faster than this forum allows. Wait %(n)d minutes and send "
              "again.", n=refusal.minutes),
            tell_sender=True,
        )  # fmt: skip
    dmarc_failed = _dmarc_failed(received)
    outside = _from_outside(author, thread, where)
    origin = posting.Origin(
        source=PostSource.EMAIL,
        message_id=received.message_id or None,
        hold=dmarc_failed or outside,
    )
    limit = current_app.config["BODY_MAX_LENGTH"]
    try:
        if thread is not None:
            post = posting.reply(thread, author, body=body[:limit], origin=origin)
        else:
            title = (received.title or _("(no subject)"))[: current_app.config["TITLE_MAX_LENGTH"]]
            new = posting.create_thread(
                board, author, title=title, body=body[:limit], origin=origin
            )
            post = new.first_post
    except posting.PostingError as error:
        raise _Done(Outcome.REFUSED, str(error), tell_sender=True) from error
    record.post_id = post.id
    held = post.status == PostStatus.PENDING
    reason = (
        "DMARC failed: held" if dmarc_failed
        else "held: the sender may not post here, and the board holds such mail" if outside
        else "held for approval" if held
        else ""
    )  # fmt: skip
    raise _Done(Outcome.HELD if held else Outcome.POSTED, reason)


def _from_outside(author: User, thread: Thread | None, board: Board) -> bool:
    """The sender may not post here, but the board holds their mail for review."""
    target, action = (thread, Action.REPLY) if thread else (board, Action.START_THREAD)
    return not can(author, action, target) and can(author, Action.SUBMIT_FOR_REVIEW, target)


def _moderate(author: User, numbers: tuple[int, ...], received: Received) -> str:
    """A coordinator's answer to the notice of a held post: "approve" or "reject: why"."""
    user_id, post_id = numbers
    _require_owner(author, user_id)
    post = db.session.get(Post, post_id)
    if post is None:
        raise _Done(Outcome.REFUSED, _("That post no longer exists."), tell_sender=True)
    command, _sep, reason = received.first_line.partition(":")
    command = command.strip().lower()
    try:
        if command == "approve":
            moderation.approve_post(post, author)
            return f"approved post {post.id}"
        if command == "reject":
            moderation.reject_post(post, author, reason=reason.strip())
            return f"rejected post {post.id}"
    except moderation.ModerationError as error:
        raise _Done(Outcome.REFUSED, str(error), tell_sender=True) from error
    except posting.PostingError as error:
        raise _Done(Outcome.REFUSED, str(error), tell_sender=True) from error
    raise _Done(
        Outcome.REFUSED,
        _('Start your reply with "approve", or "reject: " and the reason.'),
        tell_sender=True,
    )


# Telling the sender ---------------------------------------------------------------------


def _explain(record: InboundMessage, received: Received, envelope_from: str) -> None:
    """One short answer (RFC 3834), never to lists, bounces or robots, at most one an
    hour to an address."""
    to = envelope_from.strip("<>").lower()
    if not to or to.rpartition("@")[2] == addresses.domain().lower():
        return
    if received.list_id or received.precedence in _BULK:
        return
    if _automatic(received):
        return
    since = utcnow() - timedelta(seconds=current_app.config["MAIL_AUTO_REPLY_SECONDS"])
    recent = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.kind == MailKind.AUTO_REPLY,
            OutboxMessage.to_address == to,
            OutboxMessage.created_at > since,
        )
    )
    if recent:
        return
    site = current_app.config["SITE_NAME"]
    subject = received.subject or _("your message")
    text = _(
        "Your message to %(recipient)s (“%(subject)s”) was not posted on %(site)s:\n\n"
        "%(reason)s\n\nThis is an automatic answer; you get at most one an hour.",
        recipient=record.recipient, subject=subject, site=site, reason=record.reason,
    )  # fmt: skip
    queue(
        MailKind.AUTO_REPLY,
        to_address=to,
        subject=f"[{site}] " + _("Not posted: %(subject)s", subject=subject),
        payload={"text": text, "in_reply_to": received.message_id},
    )
