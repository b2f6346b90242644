"""What the admin area shows of outgoing mail (the outbox by state, its problems, and,
with no SMTP server configured, the messages delivered to the instance Maildir), and
who follows a board, for its coordinators."""

import mailbox
import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.mail.delivery import maildir_path
from forum.mail.models import MailMode, MailSettings, OutboxMessage, OutboxStatus, Subscription
from forum.permissions import can_receive_list_mail


def outbox_counts() -> dict[OutboxStatus, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update(dict(rows.all()))
    return counts


def problems(limit: int = 30) -> list[OutboxMessage]:
    """Messages that failed for good, or wait for another attempt after an error."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.QUEUED]),
                OutboxMessage.last_error != "",
            )
            .options(joinedload(OutboxMessage.user))
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


@dataclass
class Delivered:
    key: str
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def date(self) -> datetime | None:
        """When it was written (its Date header), to be shown in the reader's language."""
        header = self.message["Date"]
        moment = getattr(header, "datetime", None)
        return moment if moment is not None and moment.tzinfo is not None else None

    @property
    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None


def _maildir() -> mailbox.Maildir | None:
    folder = maildir_path()
    return mailbox.Maildir(folder, create=False) if folder.exists() else None


def delivered(limit: int = 50) -> list[Delivered]:
    """The latest messages in the Maildir, newest first."""
    box = _maildir()
    if box is None:
        return []
    newest = sorted(box.keys(), key=_delivery_order)[-limit:]
    return [Delivered(key, _parse(box.get_bytes(key))) for key in reversed(newest)]


_MAILDIR_KEY = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)")


def _delivery_order(key: str) -> tuple[int, ...]:
    """Maildir names begin with the delivery time: seconds, microseconds, a counter."""
    match = _MAILDIR_KEY.match(key)
    return tuple(int(part) for part in match.groups()) if match else (0, 0, 0)


def _parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def read_delivered(key: str) -> Delivered | None:
    box = _maildir()
    if box is None or key not in box:
        return None
    return Delivered(key, _parse(box.get_bytes(key)))


@dataclass(frozen=True)
class Follower:
    """One person who follows a board by email, as its roster shows them: no address."""

    user: User
    mode: MailMode
    paused: bool
    bouncing_since: datetime | None
    receives: bool


def _following(board: Board) -> tuple:
    return (Subscription.board_id == board.id, Subscription.mode != MailMode.OFF)


def follower_total(board: Board) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Subscription).where(*_following(board))
    )


def followers(board: Board, *, page: int, per_page: int) -> list[Follower]:
    """Who follows the board by email, by name: how, and whether their mail goes out
    (paused by them, paused by bounces, or stopped by the rules: an address not
    confirmed, a suspension, lost access to the board)."""
    rows = db.session.execute(
        select(User, Subscription.mode, MailSettings.paused, MailSettings.bouncing_since)
        .join(Subscription, Subscription.user_id == User.id)
        .outerjoin(MailSettings, MailSettings.user_id == User.id)
        .where(*_following(board))
        .options(selectinload(User.board_roles))
        .order_by(User.display_name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [
        Follower(user, mode, bool(paused), bouncing, can_receive_list_mail(user, board))
        for user, mode, paused, bouncing in rows
    ]
