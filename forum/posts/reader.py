"""What a thread page needs to know of its reader besides their rights: how many posts
they see, up to where they have read, how they follow the thread by email; asked in one
statement."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Row, Select, bindparam

from forum.db import at_once, core_execute
from forum.mail.subscriptions import watch_mode_query
from forum.permissions import Viewer, Visibility, account_of, moderation_board, visibility
from forum.posts import queries
from forum.posts.models import Thread
from forum.reads import queries as reads


@dataclass(frozen=True)
class ReaderState:
    """What a thread page needs to know of its reader besides their rights."""

    # The posts of the thread they see.
    total: int
    # Up to when they have read it (None: not signed in).
    read_up_to: datetime | None = None
    # How they follow it by email.
    watch: str = "normal"


@cache
def _state_query(kind: Visibility) -> Select[tuple]:
    """The marks, the email setting and the count of a reader's thread page, as one
    statement, built once for each kind of reader."""
    user, thread, board = bindparam("user_id"), bindparam("thread_id"), bindparam("board_id")
    return at_once(
        *reads.read_marks(user, thread, board),
        watch_mode_query(user, thread),
        queries.visible_total_query(kind, user, thread),
    )


def reader_state(viewer: Viewer, thread: Thread) -> ReaderState:
    """For a signed-in reader, asked in one round trip."""
    account = account_of(viewer)
    if account is None:
        return ReaderState(thread.post_count)
    query = _state_query(visibility(account, moderation_board(account, thread)))
    params = {"user_id": account.id, "thread_id": thread.id, "board_id": thread.board_id}
    thread_mark, board_mark, watch, total = core_execute(query, params).one()
    return ReaderState(
        total=total or 0,
        read_up_to=reads.latest_mark(account, thread_mark, board_mark),
        watch=watch.value if watch else "normal",
    )


def new_posts_of(viewer: Viewer, state: ReaderState, posts: list[Row]) -> set[int]:
    """The posts on this page that are new to a signed-in reader (not their own)."""
    account = account_of(viewer)
    mark = state.read_up_to
    if account is None or mark is None:
        return set()
    return {post.id for post in posts if post.created_at > mark and post.author_id != account.id}
