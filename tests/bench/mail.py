"""`make bench-mail`: digests, fan-out and delivery over the large data set.

On a copy of the bench data set (200,000 posts), adds 10,000 people who each take 5
boards as a daily digest and 1,000 who follow the same 3 boards post by post, then
measures (a) building and queueing one day's digests, with the number of SQL queries,
(b) queueing the copies of one new post for 1,000 recipients, and (c) delivery by one
worker to a local SMTP server (aiosmtpd in a process of its own): copies of posts, then
digests. Prints JSON.
"""

import json
import random
import resource
import shutil
import subprocess
import sys
import time

from sqlalchemy import event, func, insert, select

from tests.bench.common import BIN, DATA, _free_port, build_data_set

MAIL_DATA = DATA / "mail"
DIGEST_READERS = 10_000
DIGEST_BOARDS = 5
LIST_READERS = 1_000
LIST_BOARDS = 3
DELIVERED = 1_000


def _fresh_copy() -> None:
    shutil.rmtree(MAIL_DATA, ignore_errors=True)
    MAIL_DATA.mkdir(parents=True)
    shutil.copy(DATA / "forum.sqlite3", MAIL_DATA / "forum.sqlite3")


def _start_smtp_sink(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(BIN / "python"), "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.5)
    return server


class _Queries:
    def __init__(self, engine) -> None:
        self.engine, self.count = engine, 0

    def _record(self, *_args: object) -> None:
        self.count += 1

    def __enter__(self) -> "_Queries":
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def _add_readers(db, rng: random.Random) -> dict:
    """10,000 digest readers on 5 public boards each, 1,000 list readers on 3 boards; their
    subscriptions start a day before the data set's last publication."""
    from forum.accounts.models import StakeholderGroup, User
    from forum.boards.models import Board, ReadPolicy
    from forum.db import utcnow
    from forum.mail.models import MailMode, MailSettings, Publication, Subscription

    boards = list(
        db.session.scalars(select(Board.id).where(Board.read_policy == ReadPolicy.PUBLIC))
    )
    first, last, count, last_id = db.session.execute(
        select(
            func.min(Publication.published_at),
            func.max(Publication.published_at),
            func.count(),
            func.max(Publication.id),
        )
    ).one()
    # An average day's posts (the data set's last day is crowded: its threads end "now").
    per_day = round(count / max((last - first).days, 1))
    day_start = last_id - per_day
    now = utcnow()
    first_id = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    people = DIGEST_READERS + LIST_READERS
    db.session.execute(insert(User), [
        {"id": first_id + n, "email": f"reader{n}@bench.example.org",
         "display_name": f"Reader {n}", "stakeholder_group": StakeholderGroup.CIVIL_SOCIETY,
         "organisation": "", "email_verified_at": now, "created_at": now}
        for n in range(people)
    ])  # fmt: skip
    db.session.execute(insert(MailSettings), [{"user_id": first_id + n} for n in range(people)])
    list_boards = rng.sample(boards, LIST_BOARDS)
    rows = [
        {"user_id": first_id + n, "board_id": board_id, "mode": MailMode.DAILY,
         "since_publication_id": day_start, "updated_at": now}
        for n in range(DIGEST_READERS)
        for board_id in rng.sample(boards, DIGEST_BOARDS)
    ] + [
        {"user_id": first_id + DIGEST_READERS + n, "board_id": board_id,
         "mode": MailMode.EVERY_POST, "since_publication_id": 0, "updated_at": now}
        for n in range(LIST_READERS)
        for board_id in list_boards
    ]  # fmt: skip
    db.session.execute(insert(Subscription), rows)
    db.session.commit()
    return {"list_board": list_boards[0], "posts_in_one_day": per_day}


def _time_digests(app, db) -> dict:
    from forum.mail import digests, mail_context

    with mail_context(app), _Queries(db.engine) as queries:
        started = time.perf_counter()
        run = digests.queue_due("daily", force=True)
        seconds = time.perf_counter() - started
    return {
        "people_due": run.due,
        "digests_queued": run.queued,
        "posts_in_digests": run.posts,
        "seconds": round(seconds, 2),
        "sql_queries": queries.count,
    }


def _time_fan_out(app, db, board_id: int) -> dict:
    from forum.accounts.models import User
    from forum.mail.models import MailKind, OutboxMessage
    from forum.posts import services as posting
    from forum.posts.models import Thread

    with app.test_request_context(method="POST"):
        thread = db.session.scalars(
            select(Thread).where(Thread.board_id == board_id).order_by(Thread.id.desc()).limit(1)
        ).one()
        author = db.session.get(User, thread.author_id)
        started = time.perf_counter()
        post = posting.reply(thread, author, body="A reply that a thousand people read by email.")
        db.session.commit()
        seconds = time.perf_counter() - started
        copies = db.session.scalar(
            select(func.count()).where(
                OutboxMessage.post_id == post.id, OutboxMessage.kind == MailKind.POST
            )
        )
    return {"copies_queued": copies, "seconds": round(seconds, 3)}


def _time_delivery(app, kind: str, limit: int) -> dict:
    """Deliver up to `limit` queued messages of one kind from one worker."""
    from forum.extensions import db
    from forum.mail import delivery, mail_context
    from forum.mail.models import OutboxMessage, OutboxStatus

    with mail_context(app):
        others = select(OutboxMessage.id).where(
            OutboxMessage.kind != kind, OutboxMessage.status == OutboxStatus.QUEUED
        )
        held = list(db.session.scalars(others))
        db.session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.id.in_(held))
            .values(status=OutboxStatus.SKIPPED)
        )
        db.session.commit()
        sent = 0
        started = time.perf_counter()
        while sent < limit:
            report = delivery.deliver_due()
            if not report.handled:
                break
            sent += report.sent
        seconds = time.perf_counter() - started
        db.session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.id.in_(held))
            .values(status=OutboxStatus.QUEUED)
        )
        db.session.commit()
    return {"messages": sent, "seconds": round(seconds, 2),
            "messages_per_second": round(sent / max(seconds, 1e-9))}  # fmt: skip


def main() -> None:
    built = build_data_set()
    _fresh_copy()
    port = _free_port()
    server = _start_smtp_sink(port)
    try:
        import os

        os.environ["FORUM_INSTANCE_PATH"] = str(MAIL_DATA)
        from forum import create_app
        from forum.extensions import db

        app = create_app({
            "DATABASE_URL": f"sqlite:///{MAIL_DATA / 'forum.sqlite3'}",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
            "BASE_URL": "https://forum.example.org",
        })  # fmt: skip
        with app.app_context():
            setup = _add_readers(db, random.Random(8058))
            digests = _time_digests(app, db)
            fan_out = _time_fan_out(app, db, setup["list_board"])
            copies = _time_delivery(app, "post", DELIVERED)
            digest_delivery = _time_delivery(app, "digest", DELIVERED)
    finally:
        server.terminate()
        server.wait()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "data_set": {key: built[key] for key in ("users", "threads", "posts")},
        "readers": {"daily_digest": DIGEST_READERS, "boards_each": DIGEST_BOARDS,
                    "every_post": LIST_READERS, "boards_each_every_post": LIST_BOARDS},
        "posts_in_one_day": setup["posts_in_one_day"],
        "a_digests": digests,
        "b_fan_out_one_post": fan_out,
        "c_delivery_post_copies": copies,
        "c_delivery_digests": digest_delivery,
        "peak_memory_mb": round(peak_mb),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
