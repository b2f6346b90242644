"""The forum's mail addresses and the signed tokens inside them.

Every board has a posting address, the addresses of a mailing list beside it (`-request`,
`-join`, `-leave`, `-owner`) and a List-Id; each copy of a message carries the
recipient's own reply address (`reply+TOKEN@`, naming person and thread), a VERP return
path (`bounces+TOKEN@`, naming the outbox row) and an unsubscribe token. Tokens are
signed with the forum's secret key, so nobody can make one for someone else.
"""

import hashlib
import hmac
import re
from email.header import Header
from email.utils import parseaddr
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from forum.boards.models import Board

_MAC_LENGTH = 16
_UNSUBSCRIBE_SALT = "unsubscribe"
_NOT_LOCAL_PART = re.compile(r"[^a-z0-9-]+")
UNSUBSCRIBE_SCOPES = frozenset({"board", "thread", "digest", "notices", "replies", "mentions"})


def domain() -> str:
    return current_app.config["MAIL_DOMAIN"]


def forum_address() -> str:
    """The forum's own address (From of every message, so DMARC lets it through)."""
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]


def list_name(board: Board) -> str:
    """`c5`, `c7-egov`, `csb`: the board's code as the local part of its addresses."""
    return _NOT_LOCAL_PART.sub("-", board.code.lower()).strip("-")


def posting_address(board: Board) -> str:
    return f"{list_name(board)}@{domain()}"


# A board's other addresses, as Mailman names them: email commands (`subscribe`, `help`,
# ...), joining, leaving, and its coordinators.
LIST_ROLES = ("request", "join", "leave", "owner")


def list_address(board: Board, role: str) -> str:
    """`c5-request@`, `c5-join@`, `c5-leave@` or `c5-owner@`."""
    if role not in LIST_ROLES:
        raise ValueError(f"not a list address: {role}")
    return f"{list_name(board)}-{role}@{domain()}"


def read_list_address(local_part: str) -> tuple[str, str] | None:
    """(list name, role) of a local part such as `c7-egov-leave`; None for any other."""
    name, dash, role = local_part.lower().rpartition("-")
    return (name, role) if dash and name and role in LIST_ROLES else None


def _phrase(text: str) -> str:
    """A display name for a header written as is: quoted, or RFC 2047 when not ASCII."""
    text = " ".join(text.split())
    if not text.isascii():
        return Header(text, "utf-8").encode(linesep="\r\n")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def list_id(board: Board) -> str:
    """`"C5 Building confidence and security" <c5.forum.example.org>` (RFC 2919)."""
    return f"{_phrase(board.english_label)} <{list_name(board)}.{domain()}>"


def forum_list_id() -> str:
    """The forum's own List-Id, for mail from several boards at once (digests)."""
    return f"{_phrase(current_app.config['SITE_NAME'])} <{domain()}>"


def _mac(*parts: object) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = ":".join(str(part) for part in parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_MAC_LENGTH]


def _signed(kind: str, *numbers: int) -> str:
    """`12.345.mac`: lower case only, since mail systems may fold the local part's case."""
    return ".".join([*map(str, numbers), _mac(kind, *numbers)])


def _read_signed(kind: str, token: str, count: int) -> tuple[int, ...] | None:
    *numbers, mac = token.lower().split(".")
    if len(numbers) != count or not all(number.isdigit() for number in numbers):
        return None
    values = tuple(int(number) for number in numbers)
    return values if hmac.compare_digest(mac, _mac(kind, *values)) else None


# Token addresses: `kind+numbers.mac@domain`, and how many numbers each kind holds.
TOKEN_KINDS = {
    "reply": 2,  # person, thread: their reply to that thread
    "digest": 2,  # person, outbox row: their reply to a digest as a whole
    "moderate": 2,  # coordinator, held post: "approve" or "reject: reason"
    "confirm": 2,  # person, received message: a reply posts the message it asked about
    "bounces": 1,  # outbox row: the return path (VERP) of one message
    "meeting": 1,  # meeting: its ORGANIZER, where calendar programs send attendance answers
}


def token_address(kind: str, *numbers: int) -> str:
    return f"{kind}+{_signed(kind, *numbers)}@{domain()}"


def read_token_address(local_part: str) -> tuple[str, tuple[int, ...]] | None:
    """(kind, numbers) of a token address's local part, or None if it is not ours."""
    kind, plus, token = local_part.lower().partition("+")
    if not plus or kind not in TOKEN_KINDS:
        return None
    values = _read_signed(kind, token, TOKEN_KINDS[kind])
    return (kind, values) if values else None


def reply_address(user_id: int, thread_id: int) -> str:
    """The address through which this person replies to this thread by email."""
    return token_address("reply", user_id, thread_id)


def bounce_address(outbox_id: int) -> str:
    """The envelope sender (VERP) of one outbox message: a bounce names what failed."""
    return token_address("bounces", outbox_id)


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, scope: str, target: int | str) -> str:
    """A token that can do one thing: stop what brought this mail to this person.
    Scope "board" (a board id), "thread" (a watched thread's id), "digest" (a period),
    "notices", "replies" or "mentions" (the notices of that kind)."""
    return _unsubscribe_serializer().dumps([user_id, scope, target])


def read_unsubscribe_token(token: str) -> tuple[int, str, Any] | None:
    try:
        user_id, scope, target = _unsubscribe_serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(user_id, int) or scope not in UNSUBSCRIBE_SCOPES:
        return None
    return user_id, scope, target
