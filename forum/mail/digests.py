"""Daily and weekly digests: which posts each person gets, exactly once.

Every post enters the publication log when it first becomes public. A digest run reads
the log up to a horizon below which no open transaction can still add a row, and for
each person due takes the posts after their watermark, queues one digest, and moves the
watermark to the horizon, in the same transaction. So a run that crashes half-way, or
runs twice, or starts next to another, neither loses nor repeats a post; the clock only
decides when a person is due, never what they get.

The run works on batches of people with a fixed number of queries per batch, whatever
the number of boards each follows.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.orm import selectinload

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import utcnow, writing
from forum.extensions import db
from forum.i18n import zone
from forum.mail.fanout import lock_publication_log
from forum.mail.models import (
    MailKind,
    MailMode,
    MailSettings,
    OutboxMessage,
    Publication,
    Subscription,
    ThreadWatch,
    WatchMode,
)
from forum.permissions import accepted_listings, can_receive_list_mail, listed_threads_clause
from forum.posts.models import Post, PostStatus, Thread

PERIODS = {"daily": MailMode.DAILY, "weekly": MailMode.WEEKLY}
BATCH_SIZE = 500


@dataclass
class DigestRun:
    period: str
    horizon: int
    due: int = 0
    queued: int = 0
    posts: int = 0


def publication_horizon() -> int:
    """The last publication that can no longer be joined by an earlier-numbered one.

    On PostgreSQL, publishers hold a shared advisory lock while they write to the log;
    taking it exclusively waits for those in flight to commit or roll back. On SQLite
    writers take turns, so every number below the highest committed one is final."""
    db.session.commit()
    with writing():
        lock_publication_log(exclusive=True)
        horizon = db.session.scalar(select(func.max(Publication.id))) or 0
        db.session.commit()
    return horizon


def last_scheduled(period: str, settings: MailSettings, timezone: str | None, now: datetime):
    """The latest moment at or before `now` when this person's digest was due."""
    local = now.astimezone(zone(timezone))
    moment = local.replace(hour=settings.digest_hour, minute=0, second=0, microsecond=0)
    if period == "weekly":
        moment -= timedelta(days=(local.weekday() - settings.digest_weekday) % 7)
        step = timedelta(days=7)
    else:
        step = timedelta(days=1)
    if moment > local:
        moment -= step
    return moment


def _sent_at(settings: MailSettings, period: str) -> datetime | None:
    return settings.daily_sent_at if period == "daily" else settings.weekly_sent_at


def _watermark(settings: MailSettings, period: str) -> int:
    return settings.daily_watermark if period == "daily" else settings.weekly_watermark


def is_due(period: str, settings: MailSettings, timezone: str | None, now: datetime) -> bool:
    sent = _sent_at(settings, period)
    return sent is None or sent < last_scheduled(period, settings, timezone, now)


def _ensure_settings(mode: MailMode) -> None:
    """Mail settings rows (with their defaults) for everyone who takes this digest."""
    subscribers = (
        select(Subscription.user_id)
        .where(
            Subscription.mode == mode,
            ~exists().where(MailSettings.user_id == Subscription.user_id),
        )
        .distinct()
    )
    db.session.execute(insert(MailSettings).from_select(["user_id"], subscribers))


def queue_due(period: str, *, now: datetime | None = None, force: bool = False) -> DigestRun:
    """Queue the digests of this period that are due now (all of them with `force`)."""
    mode = PERIODS[period]
    now = now or utcnow()
    horizon = publication_horizon()
    with writing():
        _ensure_settings(mode)
        db.session.commit()
    candidates = db.session.execute(
        select(MailSettings, User.timezone)
        .join(User, User.id == MailSettings.user_id)
        .where(exists().where(Subscription.user_id == User.id, Subscription.mode == mode))
    ).all()
    due = [
        settings.user_id
        for settings, timezone in candidates
        if force or is_due(period, settings, timezone, now)
    ]
    db.session.commit()
    run = DigestRun(period=period, horizon=horizon, due=len(due))
    for start in range(0, len(due), BATCH_SIZE):
        _queue_batch(run, due[start : start + BATCH_SIZE], now=now, force=force)
    return run


def _lock_settings(user_ids: list[int]) -> list[MailSettings]:
    return list(
        db.session.scalars(
            select(MailSettings)
            .where(MailSettings.user_id.in_(user_ids))
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )


def _queue_batch(run: DigestRun, user_ids: list[int], *, now: datetime, force: bool) -> None:
    """One transaction: lock these people's settings, queue their digests, move their
    watermarks. Someone another run holds, or has just served, is left out."""
    mode = PERIODS[run.period]
    with writing():
        users = {
            user.id: user
            for user in db.session.scalars(
                select(User).where(User.id.in_(user_ids)).options(selectinload(User.board_roles))
            )
        }
        locked = [
            settings
            for settings in _lock_settings(user_ids)
            if settings.user_id in users
            and (force or is_due(run.period, settings, users[settings.user_id].timezone, now))
        ]
        if not locked:
            db.session.commit()
            return
        ids = [settings.user_id for settings in locked]
        follows = _follows(ids, mode)
        muted = _muted_threads(ids)
        starts = [
            max(_watermark(settings, run.period), since)
            for settings in locked
            for _board, since in follows.get(settings.user_id, [])
        ]
        posts = _published_between(
            min(starts, default=run.horizon),
            run.horizon,
            {b for f in follows.values() for b, _ in f},
        )
        boards = {board.id: board for board in db.session.scalars(select(Board))}
        copied = _copied(ids, posts)
        digests = []
        moved = {"user_id": 0, f"{run.period}_watermark": run.horizon, f"{run.period}_sent_at": now}
        served, numbered = [], []
        for settings in locked:
            user = users[settings.user_id]
            items = _items_for(user, settings, run, follows, muted, posts, boards, copied)
            if items and not settings.paused and settings.bouncing_since is None:
                numbers = _next_issue(settings, run.period, now.astimezone(zone(user.timezone)))
                digests.append(_digest_row(user, run.period, items, numbers))
                numbered.append({**moved, "user_id": user.id, **numbers})
                run.posts += len(items)
            else:
                served.append({**moved, "user_id": user.id})
        if digests:
            db.session.execute(insert(OutboxMessage), digests)
            run.queued += len(digests)
        for values in (served, numbered):
            if values:
                db.session.execute(update(MailSettings), values)
        db.session.commit()


def _next_issue(settings: MailSettings, period: str, local_now: datetime) -> dict[str, int]:
    """The volume and issue of the person's next digest of this period, as the columns
    that keep them: volume 1 is the year of their first digest, issues count from 1 in
    each volume."""
    first_year = settings.digest_first_year or local_now.year
    volume = local_now.year - first_year + 1
    last_volume, last_issue = (
        getattr(settings, f"{period}_volume"),
        getattr(settings, f"{period}_issue"),
    )
    issue = last_issue + 1 if last_volume == volume else 1
    return {"digest_first_year": first_year, f"{period}_volume": volume, f"{period}_issue": issue}


def _follows(user_ids: list[int], mode: MailMode) -> dict[int, list[tuple[int, int]]]:
    """For each person: (board id, first publication counted) of boards taken as digests."""
    rows = db.session.execute(
        select(
            Subscription.user_id, Subscription.board_id, Subscription.since_publication_id
        ).where(Subscription.user_id.in_(user_ids), Subscription.mode == mode)
    )
    follows: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for user_id, board_id, since in rows:
        follows[user_id].append((board_id, since))
    return follows


def _muted_threads(user_ids: list[int]) -> dict[int, set[int]]:
    rows = db.session.execute(
        select(ThreadWatch.user_id, ThreadWatch.thread_id).where(
            ThreadWatch.user_id.in_(user_ids), ThreadWatch.mode == WatchMode.MUTE
        )
    )
    muted: dict[int, set[int]] = defaultdict(set)
    for user_id, thread_id in rows:
        muted[user_id].add(thread_id)
    return muted


@dataclass(frozen=True)
class _Published:
    publication_id: int
    post_id: int
    thread_id: int
    author_id: int
    starts_thread: bool
    # In a consultation, which other boards may list too: its posts may then come
    # through several followed boards, or have come as copies already.
    consultation: bool = False


def _published_between(after: int, upto: int, board_ids: set[int]) -> dict[int, list[_Published]]:
    """Posts still public whose publication falls in (after, upto], by board."""
    if not board_ids or after >= upto:
        return {}
    rows = db.session.execute(
        select(
            Publication.id,
            Post.id,
            Post.thread_id,
            Post.author_id,
            Thread.first_post_id == Post.id,
            Thread.board_id,
            Thread.is_consultation,
        )
        .join(Post, Post.id == Publication.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Publication.id > after,
            Publication.id <= upto,
            Thread.board_id.in_(board_ids),
            Post.status == PostStatus.PUBLISHED,
            listed_threads_clause(),
        )
        .order_by(Publication.id)
    )
    by_board: dict[int, list[_Published]] = defaultdict(list)
    in_consultations: dict[int, list[_Published]] = defaultdict(list)
    for publication_id, post_id, thread_id, author_id, starts, board_id, listed in rows:
        item = _Published(publication_id, post_id, thread_id, author_id, bool(starts), listed)
        by_board[board_id].append(item)
        if listed:
            in_consultations[thread_id].append(item)
    if in_consultations:
        _add_listed(by_board, in_consultations, board_ids)
    return by_board


def _add_listed(
    by_board: dict[int, list[_Published]],
    in_consultations: dict[int, list[_Published]],
    board_ids: set[int],
) -> None:
    """A consultation's posts under every followed board that lists it, too."""
    changed = set()
    for thread_id, board_id in db.session.execute(accepted_listings(list(in_consultations))):
        if board_id in board_ids:
            by_board[board_id].extend(in_consultations[thread_id])
            changed.add(board_id)
    for board_id in changed:
        by_board[board_id].sort(key=lambda item: item.publication_id)


def _copied(user_ids: list[int], posts: dict[int, list[_Published]]) -> set[tuple[int, int]]:
    """(user id, post id) of the consultation posts in these digests that the person
    was sent a copy of already (through another board that lists it, post by post)."""
    wanted = {item.post_id for items in posts.values() for item in items if item.consultation}
    if not wanted:
        return set()
    rows = db.session.execute(
        select(OutboxMessage.user_id, OutboxMessage.post_id).where(
            OutboxMessage.kind == MailKind.POST,
            OutboxMessage.user_id.in_(user_ids),
            OutboxMessage.post_id.in_(wanted),
        )
    )
    return {(user_id, post_id) for user_id, post_id in rows}


def _items_for(
    user: User,
    settings: MailSettings,
    run: DigestRun,
    follows: dict[int, list[tuple[int, int]]],
    muted: dict[int, set[int]],
    posts: dict[int, list[_Published]],
    boards: dict[int, Board],
    copied: set[tuple[int, int]],
) -> list[_Published]:
    """The person's items, each post once (a consultation comes through every followed
    board that lists it) and none they had as a copy already."""
    items: dict[int, _Published] = {}
    watermark = _watermark(settings, run.period)
    for board_id, since in follows.get(user.id, []):
        if not can_receive_list_mail(user, boards[board_id]):
            continue
        start = max(watermark, since)
        for item in posts.get(board_id, []):
            if (
                item.publication_id > start
                and item.thread_id not in muted.get(user.id, ())
                and (item.author_id != user.id or settings.own_posts)
                and (user.id, item.post_id) not in copied
            ):
                items.setdefault(item.post_id, item)
    return list(items.values())


def _digest_row(user: User, period: str, items: list[_Published], numbers: dict[str, int]) -> dict:
    return {
        "kind": MailKind.DIGEST,
        "user_id": user.id,
        "payload": {
            "period": period,
            "volume": numbers[f"{period}_volume"],
            "issue": numbers[f"{period}_issue"],
            "posts": [item.post_id for item in items],
            "new_threads": sorted({item.thread_id for item in items if item.starts_thread}),
        },
        "subject": "",
        "reason": "",
        "last_error": "",
    }
