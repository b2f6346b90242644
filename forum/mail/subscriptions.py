"""Who follows what by email: board subscriptions, watched and muted threads, settings.

Functions change state and flush; the caller commits."""

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, select, update

from forum import events
from forum.accounts.models import User
from forum.boards.models import Board, BoardKind, ReadPolicy, Role
from forum.db import utcnow
from forum.extensions import db
from forum.mail.addresses import read_unsubscribe_token
from forum.mail.models import (
    DIGEST_MODES,
    MailMode,
    MailSettings,
    Publication,
    Subscription,
    ThreadWatch,
    WatchMode,
)
from forum.permissions import can_read_board, can_read_thread
from forum.posts.models import Thread


class SubscriptionError(Exception):
    """A subscription that cannot be made; the message is for the user."""


def settings_of(user: User) -> MailSettings:
    """The person's mail settings, created with the defaults the first time."""
    settings = db.session.get(MailSettings, user.id)
    if settings is None:
        settings = MailSettings.defaults_for(user.id)
        db.session.add(settings)
        db.session.flush()
    return settings


def current_settings(user: User) -> MailSettings:
    """The person's mail settings as they stand, or the defaults; nothing is written."""
    return db.session.get(MailSettings, user.id) or MailSettings.defaults_for(user.id)


def board_modes(user: User) -> dict[int, MailMode]:
    rows = db.session.execute(
        select(Subscription.board_id, Subscription.mode).where(Subscription.user_id == user.id)
    )
    return dict(rows.all())


def board_mode(user: User, board: Board) -> MailMode:
    subscription = _subscription(user, board)
    return subscription.mode if subscription else MailMode.OFF


def _subscription(user: User, board: Board) -> Subscription | None:
    return db.session.scalar(
        select(Subscription).where(
            Subscription.user_id == user.id, Subscription.board_id == board.id
        )
    )


def _latest_publication() -> int:
    return db.session.scalar(select(func.max(Publication.id))) or 0


def _digest_start(settings: MailSettings, old: MailMode, new: MailMode) -> int:
    """Where a board's posts start counting for a digest: after what the old way of
    following it has already sent (every post: everything so far)."""
    if old == MailMode.DAILY and new == MailMode.WEEKLY:
        return settings.daily_watermark
    if old == MailMode.WEEKLY and new == MailMode.DAILY:
        return settings.weekly_watermark
    return _latest_publication()


def set_board_mode(user: User, board: Board, mode: MailMode) -> None:
    if mode != MailMode.OFF and not can_read_board(user, board):
        raise SubscriptionError(_("You cannot follow a board you may not read."))
    subscription = _subscription(user, board)
    if subscription is None:
        subscription = Subscription(user_id=user.id, board_id=board.id, mode=MailMode.OFF)
        db.session.add(subscription)
    if subscription.mode == mode:
        return
    if mode in DIGEST_MODES:
        subscription.since_publication_id = _digest_start(
            settings_of(user), subscription.mode, mode
        )
    subscription.mode = mode
    subscription.updated_at = utcnow()
    db.session.flush()


def set_board_modes(user: User, modes: dict[Board, MailMode]) -> None:
    for board, mode in modes.items():
        set_board_mode(user, board, mode)


def followable_at_sign_up() -> list[Board]:
    """The boards anyone may read, in the forum's order."""
    return list(
        db.session.scalars(
            select(Board)
            .where(Board.read_policy == ReadPolicy.PUBLIC)
            .order_by(Board.section_id, Board.position, Board.id)
        )
    )


def subscribe_at_sign_up(user: User, boards: Iterable[Board], mode: MailMode) -> None:
    settings_of(user)
    for board in boards:
        set_board_mode(user, board, mode)


def watch_mode(user: User, thread: Thread) -> WatchMode | None:
    return db.session.scalar(watch_mode_query(user.id, thread.id))


def watch_mode_query(
    user_id: int | ColumnElement[int], thread_id: int | ColumnElement[int]
) -> Select[tuple[WatchMode]]:
    """How the person follows the thread (values, or bound parameters)."""
    return select(ThreadWatch.mode).where(
        ThreadWatch.user_id == user_id, ThreadWatch.thread_id == thread_id
    )


def set_watch_mode(user: User, thread: Thread, mode: WatchMode | None) -> None:
    """Watch a thread (every post by email), mute it (nothing from it), or neither."""
    if mode is not None and not can_read_thread(user, thread):
        raise SubscriptionError(_("You cannot follow a thread you may not read."))
    watch = db.session.scalar(
        select(ThreadWatch).where(
            ThreadWatch.user_id == user.id, ThreadWatch.thread_id == thread.id
        )
    )
    if mode is None:
        if watch is not None:
            db.session.delete(watch)
    elif watch is None:
        db.session.add(ThreadWatch(user_id=user.id, thread_id=thread.id, mode=mode))
    else:
        watch.mode = mode
    db.session.flush()


# Defaults ------------------------------------------------------------------------------

# A bureau's members read it as a daily digest; coordinators get every post of their
# boards. Only where the person has not chosen otherwise already.
_ROLE_DEFAULTS = {
    (BoardKind.BUREAU, Role.MEMBER): MailMode.DAILY,
    (BoardKind.COORDINATION, Role.MEMBER): MailMode.DAILY,
}


def default_mode(board: Board, role: Role) -> MailMode | None:
    if role == Role.COORDINATOR:
        return MailMode.EVERY_POST
    return _ROLE_DEFAULTS.get((board.kind, role))


def apply_role_default(user: User, board: Board, role: Role) -> None:
    mode = default_mode(board, role)
    if mode is None:
        return
    if _subscription(user, board) is None:
        settings_of(user)
        set_board_mode(user, board, mode)


def _on_role_granted(user: User, *, board: Board, role: Role, **_details: object) -> None:
    apply_role_default(user, board, role)


events.role_granted.connect(_on_role_granted)


# One-click unsubscribe -----------------------------------------------------------------


def unsubscribe(token: str) -> str:
    """Stop what the token names, and nothing else; returns what stopped, for the page."""
    read = read_unsubscribe_token(token)
    user = db.session.get(User, read[0]) if read else None
    if read is None or user is None:
        raise SubscriptionError(_("This unsubscribe link is not valid."))
    _user_id, scope, target = read
    if scope == "board":
        board = db.session.get(Board, target) if isinstance(target, int) else None
        if board is None:
            raise SubscriptionError(_("This board no longer exists."))
        set_board_mode(user, board, MailMode.OFF)
        return _("You will get no more email from %(board)s.", board=board.label)
    if scope == "thread":
        thread = db.session.get(Thread, target) if isinstance(target, int) else None
        if thread is not None:
            set_watch_mode(user, thread, None)
        return _("You no longer watch this thread.")
    if scope == "digest":
        period = MailMode.DAILY if target == "daily" else MailMode.WEEKLY
        db.session.execute(
            update(Subscription)
            .where(Subscription.user_id == user.id, Subscription.mode == period)
            .values(mode=MailMode.OFF, updated_at=utcnow())
        )
        if period == MailMode.DAILY:
            return _("You will get no more daily digests.")
        return _("You will get no more weekly digests.")
    setattr(settings_of(user), scope, False)
    db.session.flush()
    if scope == "replies":
        return _("Replies to your posts will reach you on the web only.")
    if scope == "mentions":
        return _("Mentions of your name will reach you on the web only.")
    return _("Notices will reach you on the web only.")
