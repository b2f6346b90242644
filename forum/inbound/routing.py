"""Where a received message goes: the address it came to, and the thread it answers.

A message to a board's address answers a thread only of that board: the Message-IDs it
names are looked up among the forum's own (`<post-N@…>`) first, then among those that
posts came in with (never on the forum's domain), and one that leads elsewhere is
passed over, so naming a post of another board cannot move a reply there.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.inbound import crossposts
from forum.inbound.errors import Done
from forum.inbound.models import Outcome
from forum.inbound.parse import Received
from forum.mail import addresses, ids
from forum.mail.models import OutboxMessage
from forum.permissions import listed_boards_of
from forum.posts.models import Post, Thread

_BOARD_TAG = re.compile(r"\[([A-Za-z0-9-]{1,16})\]")


# A board's other addresses, as Mailman's: `c5-request@` (email commands), `c5-join@`,
# `c5-leave@` and `c5-owner@` (its coordinators).
LIST_COMMANDS = ("request", "join", "leave", "owner")
# Addresses every mail domain must have (RFC 2142): they reach the admins.
ROLE_ADDRESSES = ("postmaster", "abuse")


@dataclass(frozen=True)
class Recipient:
    """What an address stands for: "board" (its posting address); one of LIST_COMMANDS
    (with its board); "postmaster" or "abuse"; "forum" (the forum's own From address);
    or a token kind: "reply", "digest", "moderate", "confirm", "bounces"."""

    kind: str
    board: Board | None = None
    numbers: tuple[int, ...] = ()


def route(address: str) -> Recipient | None:
    """What an address of ours stands for, or None."""
    address = address.strip().strip("<>").lower()
    if address == addresses.forum_address().lower():
        return Recipient(kind="forum")
    local, at, domain = address.rpartition("@")
    if not at or domain != addresses.domain().lower():
        return None
    token = addresses.read_token_address(local)
    if token is not None:
        return Recipient(kind=token[0], numbers=token[1])
    if local in ROLE_ADDRESSES:
        return Recipient(kind=local)
    board = _board_named(local)
    if board is not None:
        return Recipient(kind="board", board=board)
    base, dash, command = local.rpartition("-")
    board = _board_named(base) if dash and command in LIST_COMMANDS else None
    return Recipient(kind=command, board=board) if board is not None else None


def _board_named(local: str) -> Board | None:
    board = board_by_code(local)
    return board if board is not None and addresses.list_name(board) == local else None


def list_command_address(board: Board, command: str) -> str:
    """`c5-request@…`, `c5-join@…`, `c5-leave@…` or `c5-owner@…`."""
    return f"{addresses.list_name(board)}-{command}@{addresses.domain()}"


def board_by_code(code: str) -> Board | None:
    """Board codes are their addresses' local parts (`C7-EGOV`, `c7-egov@…`)."""
    return db.session.scalar(select(Board).where(func.lower(Board.code) == code.lower()))


def require_owner(author: User, user_id: int) -> None:
    if author.id != user_id:
        raise Done(
            Outcome.REFUSED,
            _("This reply address belongs to someone else: answer from your own mail."),
            tell_sender=True,
        )


def destination(
    author: User, target: Recipient, received: Received
) -> tuple[Thread | None, Board | None]:
    """(thread, None) for a reply, (None, board) for a new thread."""
    if target.kind == "reply":
        user_id, thread_id = target.numbers
        require_owner(author, user_id)
        thread = db.session.get(Thread, thread_id)
        if thread is None:
            raise Done(Outcome.REFUSED, _("That thread no longer exists."), tell_sender=True)
        return live(thread), None
    if target.kind == "digest":
        user_id, outbox_id = target.numbers
        require_owner(author, user_id)
        return _from_digest(outbox_id, received)
    thread = thread_answered(received, target.board)
    if thread is not None:
        return thread, None
    return None, target.board


def live(thread: Thread) -> Thread:
    """Replies to a merged thread go on in the one it was merged into."""
    seen = set()
    while thread.merged_into_id is not None and thread.id not in seen:
        seen.add(thread.id)
        thread = db.session.get(Thread, thread.merged_into_id) or thread
    return thread


# The Message-IDs of References read at most: the latest ones (a long thread's References
# keeps its first message and the nearest ones; a forged list of thousands is cut short).
_REFERENCES_READ = 20


def thread_answered(received: Received, board: Board) -> Thread | None:
    """The thread of this board (or a consultation it lists) holding the latest message
    referred to."""
    for post in _referred_posts(received):
        thread = live(post.thread)
        if board.id in listed_boards_of(thread):
            return thread
    return None


def post_answered(received: Received, thread: Thread) -> Post | None:
    """The post of this thread that a reply answers: the one its In-Reply-To names, else
    the latest its References name (None: the posting service takes the first post)."""
    return next((post for post in _referred_posts(received) if post.thread_id == thread.id), None)


def _referred_posts(received: Received) -> Iterator[Post]:
    """The posts a message refers to, the latest first (In-Reply-To, then References
    from the end), up to `_REFERENCES_READ` Message-IDs."""
    referred = list(dict.fromkeys([*received.references, *received.in_reply_to]))
    for message_id in reversed(referred[-_REFERENCES_READ:]):
        yield from posts_by_message_id(message_id)


def posts_by_message_id(message_id: str) -> list[Post]:
    """The posts a Message-ID names: the forum's own scheme first, then the posts made of
    a message that came by mail (one per board it was sent to)."""
    number = ids.post_number(message_id)
    if number is not None:
        post = db.session.get(Post, number)
        return [post] if post is not None else []
    if ids.is_forum_message_id(message_id):
        return []
    return crossposts.posts_of(message_id)


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
            return live(thread), None
    boards = {thread.board.id: thread.board for thread in threads}
    tag = _BOARD_TAG.search(received.subject)
    tagged = board_by_code(tag[1]) if tag else None
    if tagged is not None:
        return None, tagged
    if len(boards) == 1:
        return None, next(iter(boards.values()))
    example = f"c1@{addresses.domain()}"
    raise Done(
        Outcome.REFUSED,
        _("Your reply to the digest names no thread or board. Reply to an item's own address, "
          "or write to a board's address (such as %(address)s).", address=example),
        tell_sender=True,
    )  # fmt: skip
