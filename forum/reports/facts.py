"""The figures of a report's period, compiled from SQL aggregates.

The facts are a list of sections, each a function `(board_ids, start, end) -> dict` of
the boards the report covers and its period (dates, both days included), so that a
new kind of figure is one more function in `SECTIONS`. Every section counts in the
database (no row per post reaches Python), so a year of a busy board compiles quickly.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, select

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.mail.models import MailMode, Subscription
from forum.moderation.models import LogEntry
from forum.posts.models import Post, PostStatus, Thread
from forum.regions import region_of
from forum.stocktaking.services import entry_figures

FactSection = Callable[[Sequence[int], date, date], dict[str, Any]]

TOP_THREADS = 5


def moments(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as UTC moments: from the start of its first day to the end of its last."""
    return (
        datetime.combine(start, time(), UTC),
        datetime.combine(end + timedelta(days=1), time(), UTC),
    )


def _month_of(column: ColumnElement) -> ColumnElement[str]:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def months_between(start: date, end: date) -> list[str]:
    """Every month the period touches, as YYYY-MM."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _published_posts(board_ids: Sequence[int], start: date, end: date) -> list[Any]:
    """The conditions on Post (Thread joined) of the published posts of the period."""
    since, until = moments(start, end)
    return [
        Thread.board_id.in_(board_ids),
        Thread.is_deleted.is_(False),
        Post.status == PostStatus.PUBLISHED,
        Post.created_at >= since,
        Post.created_at < until,
    ]


def activity(board_ids: Sequence[int], start: date, end: date) -> dict[str, Any]:
    """Threads started and posts written in the period, and posts month by month."""
    since, until = moments(start, end)
    threads = db.session.scalar(
        select(func.count(Thread.id)).where(
            Thread.board_id.in_(board_ids),
            Thread.is_deleted.is_(False),
            Thread.post_count > 0,
            Thread.created_at >= since,
            Thread.created_at < until,
        )
    )
    month = _month_of(Post.created_at).label("month")
    by_month = dict(
        db.session.execute(
            select(month, func.count(Post.id))
            .join(Thread, Thread.id == Post.thread_id)
            .where(*_published_posts(board_ids, start, end))
            .group_by(month)
        ).all()
    )
    months = [[name, by_month.get(name, 0)] for name in months_between(start, end)]
    return {"threads": threads or 0, "posts": sum(by_month.values()), "months": months}


def participants(board_ids: Sequence[int], start: date, end: date) -> dict[str, Any]:
    """Distinct people who wrote published posts in the period: in all, by stakeholder
    group, by country and by UN M49 region (its code; "" for people who gave no country
    or one the table leaves out). Each person has one group and one country, so counts
    per (group, country) add up without double counting."""
    rows = db.session.execute(
        select(User.stakeholder_group, User.country, func.count(distinct(Post.author_id)))
        .select_from(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .join(User, User.id == Post.author_id)
        .where(*_published_posts(board_ids, start, end))
        .group_by(User.stakeholder_group, User.country)
    ).all()
    groups: dict[str, int] = {}
    countries: dict[str, int] = {}
    regions: dict[str, int] = {}
    for group, country, count in rows:
        groups[str(group)] = groups.get(str(group), 0) + count
        countries[country or ""] = countries.get(country or "", 0) + count
        region = region_of(country or "") or ""
        regions[region] = regions.get(region, 0) + count
    return {
        "total": sum(groups.values()),
        "groups": groups,
        "countries": countries,
        "regions": regions,
    }


def top_threads(board_ids: Sequence[int], start: date, end: date) -> dict[str, Any]:
    """The threads with the most posts written in the period."""
    posts = func.count(Post.id).label("posts")
    rows = db.session.execute(
        select(Thread.id, Thread.title, posts)
        .select_from(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .where(*_published_posts(board_ids, start, end), Thread.merged_into_id.is_(None))
        .group_by(Thread.id, Thread.title)
        .order_by(posts.desc(), Thread.id)
        .limit(TOP_THREADS)
    ).all()
    return {"threads": [{"id": id_, "title": title, "posts": n} for id_, title, n in rows]}


def moderation(board_ids: Sequence[int], start: date, end: date) -> dict[str, Any]:
    """Acts of moderation in the period, by kind, as the public log records them."""
    since, until = moments(start, end)
    rows = db.session.execute(
        select(LogEntry.action, func.count(LogEntry.id))
        .where(
            LogEntry.board_id.in_(board_ids),
            LogEntry.created_at >= since,
            LogEntry.created_at < until,
        )
        .group_by(LogEntry.action)
    ).all()
    return {"acts": {str(action): count for action, count in sorted(rows)}}


def email_reach(board_ids: Sequence[int], start: date, end: date) -> dict[str, Any]:
    """How many people follow the boards by email, by mode, when compiled (a count of
    now, not of the period: subscriptions keep no history)."""
    rows = db.session.execute(
        select(Subscription.mode, func.count(distinct(Subscription.user_id)))
        .join(User, User.id == Subscription.user_id)
        .where(
            Subscription.board_id.in_(board_ids),
            Subscription.mode != MailMode.OFF,
            User.deleted_at.is_(None),
        )
        .group_by(Subscription.mode)
    ).all()
    people = db.session.scalar(
        select(func.count(distinct(Subscription.user_id)))
        .join(User, User.id == Subscription.user_id)
        .where(
            Subscription.board_id.in_(board_ids),
            Subscription.mode != MailMode.OFF,
            User.deleted_at.is_(None),
        )
    )
    return {"modes": {str(mode): count for mode, count in rows}, "people": people or 0}


def stocktaking(board_ids: Sequence[int], start: date, end: date) -> dict[str, Any]:
    """Stocktaking entries of the boards new, updated and completed in the period, and
    those existing at its end by status (forum.stocktaking.services.entry_figures)."""
    since, until = moments(start, end)
    return entry_figures(list(board_ids), since, until)


SECTIONS: list[tuple[str, FactSection]] = [
    ("activity", activity),
    ("participants", participants),
    ("top_threads", top_threads),
    ("moderation", moderation),
    ("email", email_reach),
    ("stocktaking", stocktaking),
]


def compile_facts(board_ids: Sequence[int], start: date, end: date) -> dict[str, Any]:
    """Every section's figures for these boards and this period."""
    facts: dict[str, Any] = {name: section(board_ids, start, end) for name, section in SECTIONS}
    facts["compiled_at"] = utcnow().isoformat()
    return facts
