"""When a post becomes public: log its publication and queue its copies.

Runs inside the transaction that publishes the post (see `forum.events`), so the log
row and the outbox rows commit with it or not at all. A post is logged and copied once,
the first time it becomes public: unhiding or restoring it sends nothing again.
"""

from functools import cache

from sqlalchemy import (
    BindParameter,
    Boolean,
    Insert,
    Integer,
    Select,
    String,
    bindparam,
    cast,
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
from forum.boards.models import ReadPolicy
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
from forum.permissions import boards_mail_recipients_clause, consultation_boards
from forum.posts.models import Post

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


def queue_copies(post: Post) -> int:
    """One outbox row per recipient, in one statement whatever their number (columns
    left out, such as the payload, take their defaults)."""
    boards = consultation_boards(post.thread)
    statement = _copies_statement(tuple(board.read_policy for board in boards))
    params = {
        "post_id": post.id,
        "thread_id": post.thread_id,
        "author_id": post.author_id,
        "moment": utcnow(),
        **{f"board_{number}": board.id for number, board in enumerate(boards)},
    }
    return db.session.execute(statement, params).rowcount


@cache
def _copies_statement(read_policies: tuple[ReadPolicy, ...]) -> Insert:
    """The INSERT … SELECT of a post's copies, for a thread on boards of these read
    policies (its own first): built once for each, its values bound when it runs."""
    boards = [bindparam(f"board_{number}", type_=Integer) for number in range(len(read_policies))]
    moment = bindparam("moment", type_=OutboxMessage.created_at.type)
    post_id = bindparam("post_id", type_=Integer)
    recipients = _recipients(boards, read_policies, moment, post_id).subquery()
    columns = {
        "kind": literal(MailKind.POST.value, String),
        "user_id": recipients.c.user_id,
        "post_id": post_id,
        "reason": recipients.c.reason,
        "status": literal(OutboxStatus.QUEUED.value, String),
        "attempts": literal(0, Integer),
        "created_at": moment,
        "next_attempt_at": moment,
        "subject": literal("", String),
        "last_error": literal("", String),
    }
    return insert(OutboxMessage.__table__).from_select(
        list(columns), select(*columns.values()).select_from(recipients)
    )


def _recipients(
    boards: list[BindParameter[int]],
    read_policies: tuple[ReadPolicy, ...],
    moment: BindParameter,
    post_id: BindParameter[int],
) -> Select:
    """(user id, reason) of everyone who gets the post by email, each once."""
    thread_id = bindparam("thread_id", type_=Integer)
    author_id = bindparam("author_id", type_=Integer)
    every_post = Subscription.mode == MailMode.EVERY_POST
    followers = select(
        Subscription.user_id.label("user_id"), literal("board", String).label("reason")
    ).where(Subscription.board_id == boards[0], every_post)
    # A consultation's posts go to the followers of every board that lists it as well,
    # once each: "board" (its own board) sorts before "board:ID" (another that lists it).
    listed = [
        select(
            Subscription.user_id,
            literal("board:", String) + cast(board_id, String),
        ).where(Subscription.board_id == board_id, every_post)
        for board_id in boards[1:]
    ]
    watchers = select(ThreadWatch.user_id, literal("watch", String)).where(
        ThreadWatch.thread_id == thread_id, ThreadWatch.mode == WatchMode.WATCH
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
        ThreadWatch.thread_id == thread_id,
        ThreadWatch.mode == WatchMode.MUTE,
    )
    copied = exists().where(OutboxMessage.post_id == post_id, OutboxMessage.user_id == User.id)
    wants_own = func.coalesce(MailSettings.own_posts, literal(False, Boolean))
    paused = func.coalesce(MailSettings.paused, literal(False, Boolean))
    return (
        select(chosen.c.user_id, chosen.c.reason)
        .join(User, User.id == chosen.c.user_id)
        .outerjoin(MailSettings, MailSettings.user_id == User.id)
        .where(
            boards_mail_recipients_clause(boards, read_policies, moment),
            paused.is_(False),
            MailSettings.bouncing_since.is_(None),
            (User.id != author_id) | wants_own.is_(True),
            ~muted,
            ~copied,
        )
    )


def _on_published(post: Post, **_details: object) -> None:
    if record_publication(post):
        queue_copies(post)


events.post_published.connect(_on_published)
