"""When a post becomes public: log its publication and queue its copies.

Runs inside the transaction that publishes the post (see `forum.events`), so the log
row and the outbox rows commit with it or not at all. A post is logged and copied once,
the first time it becomes public: unhiding or restoring it sends nothing again.
"""

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from forum import events
from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.mail.models import (
    MailKind,
    MailMode,
    MailSettings,
    OutboxMessage,
    OutboxStatus,
    Publication,
    Subscription,
    ThreadWatch,
    WatchMode,
)
from forum.permissions import listed_boards_of, thread_mail_recipients_clause
from forum.posts.models import Post, Thread

# Publishers hold this PostgreSQL advisory lock (shared) while they write to the
# publication log; a digest run takes it alone for an instant to find the point below
# which the log can no longer change (`forum.mail.digests.publication_horizon`).
PUBLICATION_LOCK = 0x77_5153_0001


def lock_publication_log(*, exclusive: bool) -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite: one writer at a time already
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    db.session.execute(text(f"SELECT {function}(:key)"), {"key": PUBLICATION_LOCK})


def record_publication(post: Post) -> bool:
    """Log the post's first publication; False when it was public before."""
    lock_publication_log(exclusive=False)
    dialect = db.session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    logged = db.session.scalar(
        insert_(Publication)
        .values(post_id=post.id, published_at=utcnow())
        .on_conflict_do_nothing(index_elements=["post_id"])
        .returning(Publication.id)
    )
    return logged is not None


def _recipients(post: Post, thread: Thread):
    """(user id, reason) of everyone who gets this post by email, each once."""
    followers = select(
        Subscription.user_id.label("user_id"), literal("board", String).label("reason")
    ).where(Subscription.board_id == thread.board_id, Subscription.mode == MailMode.EVERY_POST)
    # A consultation's posts go to the followers of every board that lists it as well,
    # once each: "board" (its own board) sorts before "board:ID" (another that lists it).
    listed = [
        select(Subscription.user_id, literal(f"board:{board_id}", String)).where(
            Subscription.board_id == board_id, Subscription.mode == MailMode.EVERY_POST
        )
        for board_id in listed_boards_of(thread)[1:]
    ]
    watchers = select(ThreadWatch.user_id, literal("watch", String)).where(
        ThreadWatch.thread_id == thread.id, ThreadWatch.mode == WatchMode.WATCH
    )
    candidates = union_all(followers, *listed, watchers).subquery()
    # "board" sorts before "watch": someone who both follows and watches counts as a follower.
    chosen = (
        select(candidates.c.user_id, func.min(candidates.c.reason).label("reason"))
        .group_by(candidates.c.user_id)
        .subquery()
    )
    muted = exists().where(
        ThreadWatch.user_id == User.id,
        ThreadWatch.thread_id == thread.id,
        ThreadWatch.mode == WatchMode.MUTE,
    )
    copied = exists().where(OutboxMessage.post_id == post.id, OutboxMessage.user_id == User.id)
    wants_own = func.coalesce(MailSettings.own_posts, literal(False, Boolean))
    paused = func.coalesce(MailSettings.paused, literal(False, Boolean))
    return (
        select(chosen.c.user_id, chosen.c.reason)
        .join(User, User.id == chosen.c.user_id)
        .outerjoin(MailSettings, MailSettings.user_id == User.id)
        .where(
            thread_mail_recipients_clause(thread, utcnow()),
            paused.is_(False),
            MailSettings.bouncing_since.is_(None),
            (User.id != post.author_id) | wants_own.is_(True),
            ~muted,
            ~copied,
        )
    )


def queue_copies(post: Post) -> int:
    """One outbox row per recipient, in one statement whatever their number (columns
    left out, such as the payload, take their defaults)."""
    thread = post.thread
    recipients = _recipients(post, thread).subquery()
    now = utcnow()
    columns = {
        "kind": literal(MailKind.POST.value, String),
        "user_id": recipients.c.user_id,
        "post_id": literal(post.id, Integer),
        "reason": recipients.c.reason,
        "status": literal(OutboxStatus.QUEUED.value, String),
        "attempts": literal(0, Integer),
        "created_at": literal(now, OutboxMessage.created_at.type),
        "next_attempt_at": literal(now, OutboxMessage.next_attempt_at.type),
        "subject": literal("", String),
        "last_error": literal("", String),
    }
    statement = insert(OutboxMessage).from_select(
        list(columns), select(*columns.values()).select_from(recipients)
    )
    return db.session.execute(statement).rowcount


def _on_published(post: Post, **_details: object) -> None:
    if record_publication(post):
        queue_copies(post)


events.post_published.connect(_on_published)
