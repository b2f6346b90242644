"""The rows everyone posting in a board updates (the board's, people's) are written last,
just before the commit, and what a rolled-back savepoint counted is not counted."""

import contextlib

import pytest
from flask import Flask
from sqlalchemy import select

from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.posts import counters
from forum.posts import services as posting
from forum.posts.models import Thread
from tests.helpers import board
from tests.live import add_people


def _counts(thread_id: int, author_id: int) -> tuple[int, int, int]:
    thread = db.session.get(Thread, thread_id)
    return (
        db.session.scalar(select(Thread.post_count).where(Thread.id == thread_id)),
        db.session.scalar(select(Board.post_count).where(Board.id == thread.board_id)),
        db.session.scalar(select(User.post_count).where(User.id == author_id)),
    )


def test_a_reply_undone_with_its_savepoint_is_not_counted(app: Flask, make_user, make_thread):
    thread = make_thread(replies=1)
    author = make_user()
    with app.test_request_context():
        before = _counts(thread.id, author.id)
        with contextlib.suppress(RuntimeError), db.session.begin_nested():
            posting.reply(thread, author, body="Written, then taken back")
            raise RuntimeError("the act failed after the post was counted")
        assert thread.post_count == before[0]
        posting.reply(thread, author, body="This one stays")
        db.session.commit()
        assert _counts(thread.id, author.id) == (before[0] + 1, before[1] + 1, before[2] + 1)
        assert counters.recount_everything() == {"threads": 0, "boards": 0, "people": 0}


def test_a_rolled_back_reply_counts_nothing_in_the_next_transaction(
    app: Flask, make_user, make_thread
):
    thread = make_thread()
    author = make_user()
    with app.test_request_context():
        before = _counts(thread.id, author.id)
        posting.reply(thread, author, body="Never sent")
        db.session.rollback()
        thread = db.session.get(Thread, thread.id)
        db.session.get(User, author.id).display_name = "Renamed"
        db.session.commit()
        assert _counts(thread.id, author.id) == before


def test_a_notice_and_a_read_mark_are_written_with_the_commit(app: Flask, make_user, make_thread):
    starter = make_user()
    thread = make_thread(author=starter)
    replier = make_user()
    with app.test_request_context():
        unread = db.session.get(User, starter.id).unread_notices
        posting.reply(thread, replier, body="An answer to the first post")
        db.session.commit()
        assert db.session.get(User, starter.id).unread_notices == unread + 1
        assert db.session.get(User, replier.id).reads_marked_at is not None


def test_a_reply_leaves_the_board_and_people_free_until_its_commit(make_live_app):
    """PostgreSQL: while the reply's transaction is still at work, another connection can
    update the board's and people's rows at once (the lock an UPDATE takes): the reply
    takes those locks only at its commit."""
    from tests.conftest import DATABASE_URL

    if not DATABASE_URL:
        pytest.skip("row locks: PostgreSQL (SQLite locks the whole file for a writer)")
    app = make_live_app()
    starter, replier = add_people(app, 2)
    with app.test_request_context():
        c5 = board("C5")
        thread = posting.create_thread(
            c5, db.session.get(User, starter), title="Row locks", body="Opening post"
        )
        db.session.commit()
        board_id, thread_id, board_posts = c5.id, thread.id, c5.post_count
        posting.reply(db.session.get(Thread, thread_id), db.session.get(User, replier), body="Hi")
        db.session.flush()
        with db.engine.connect() as other:
            for model, row_id in ((Board, board_id), (User, replier), (User, starter)):
                # FOR NO KEY UPDATE: the lock an UPDATE of a counter takes.
                lock = select(model.id).where(model.id == row_id)
                lock = lock.with_for_update(nowait=True, key_share=True)
                assert other.execute(lock).scalar_one() == row_id
            other.rollback()
        db.session.commit()
        assert db.session.get(Board, board_id).post_count == board_posts + 1
        db.session.remove()
