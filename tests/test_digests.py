"""Daily and weekly digests: what they hold, when they are due, and exactly once."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from forum.boards.models import ModerationMode, Role
from forum.extensions import db
from forum.mail import digests, mail_context, subscriptions
from forum.mail.digest_mail import DIGEST_MAX_BYTES
from forum.mail.models import MailKind, MailMode, MailSettings, OutboxMessage
from forum.moderation import services as moderation
from forum.posts import services as posting
from forum.posts.models import Post, PostStatus
from tests.conftest import deliver
from tests.helpers import board


def follow(app, user, *codes, mode=MailMode.DAILY) -> None:
    with app.test_request_context():
        for code in codes:
            subscriptions.set_board_mode(user, board(code), mode)
        db.session.commit()


def run(app, period="daily", **kwargs) -> digests.DigestRun:
    with mail_context(app):
        return digests.queue_due(period, **kwargs)


def digest_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MailKind.DIGEST))
    )


def posts_per_user() -> Counter:
    """(user id, post id) pairs over every digest queued: each must appear once."""
    return Counter(
        (row.user_id, post_id) for row in digest_rows() for post_id in row.payload["posts"]
    )


def test_a_digest_groups_marks_trims_and_offers_a_reply_per_item(app, smtp, make_user, make_thread):
    reader = make_user(email="reader@example.org")
    follow(app, reader, "C5", "CSB")
    author = make_user(name="Fatima Rahman")
    make_thread("C5", author=author, title="Spam costs", body="Short post", replies=1)
    bureau = make_user(name="Kwame Mensah", roles={"CSB": Role.MEMBER})
    make_thread("CSB", author=bureau, title="Bureau agenda", body="Long " * 400)
    assert run(app, force=True).queued == 1
    deliver(app)
    [message] = [m for m in smtp.received if "digest" in str(m["Subject"])]
    assert message["Subject"] == "[WSIS Forum] Daily digest, Vol 1, Issue 1"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    contents = text.split("====", 1)[0]
    assert "Contents" in contents
    assert "Spam costs (2) [new]" in contents
    assert "Bureau agenda (1) [new]" in contents
    assert text.index("==== Action lines") < text.index("==== Coordination")
    assert "Fatima Rahman (Civil society, Test organisation)" in text
    assert "Read more:" in text, "long posts are trimmed"
    assert len(re.findall(r"Reply by email: reply\+\d+\.\d+\.[0-9a-f]{16}@", text)) == 2
    assert len(re.findall(r'href="mailto:reply\+[^"]+\?subject=Re%3A%20%5BC5%5D', html)) == 2
    link = message["List-Unsubscribe"].strip("<>")
    assert app.test_client().post(link).status_code == 200
    assert subscriptions.board_mode(reader, board("C5")) == MailMode.OFF


def test_nothing_new_means_no_email_and_nothing_is_sent_twice(app, make_user, make_thread):
    reader = make_user()
    follow(app, reader, "C5")
    assert run(app, force=True).queued == 0
    make_thread("C5", replies=2)
    assert run(app, force=True).queued == 1
    assert run(app, force=True).queued == 0
    assert set(posts_per_user().values()) == {1}


def test_a_new_subscription_does_not_bring_the_board_history(app, make_user, make_thread):
    make_thread("C5", title="Old")
    reader = make_user()
    follow(app, reader, "C5")
    assert run(app, force=True).queued == 0


def test_a_post_approved_late_reaches_the_next_digest(app, make_user, make_thread):
    reader = make_user()
    follow(app, reader, "C5")
    thread = make_thread("C5")
    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    with app.test_request_context():
        held = posting.reply(thread, make_user(), body="Waiting")
        db.session.commit()
    assert held.status == PostStatus.PENDING
    run(app, force=True)
    assert (reader.id, held.id) not in posts_per_user()
    with app.test_request_context():
        moderation.approve_post(held, make_user(roles={"C5": Role.COORDINATOR}))
        db.session.commit()
    run(app, force=True)
    assert posts_per_user()[(reader.id, held.id)] == 1


def test_a_run_that_crashes_half_way_and_runs_again_loses_and_repeats_nothing(
    app, make_user, make_thread, monkeypatch
):
    readers = [make_user() for _ in range(4)]
    for reader in readers:
        follow(app, reader, "C5", "C6")
    make_thread("C5", replies=2)
    make_thread("C6", replies=1)
    monkeypatch.setattr(digests, "BATCH_SIZE", 1)
    original = digests._queue_batch
    calls = []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the machine went down")
        return original(*args, **kwargs)

    monkeypatch.setattr(digests, "_queue_batch", crash_on_third)
    with pytest.raises(RuntimeError):
        run(app)
    db.session.rollback()
    assert len(digest_rows()) == 2
    monkeypatch.setattr(digests, "_queue_batch", original)
    run(app)
    pairs = posts_per_user()
    assert len(digest_rows()) == 4
    assert set(pairs.values()) == {1}
    assert len(pairs) == 4 * 5


def test_two_runs_at_once_send_each_post_once(app, make_user, make_thread, monkeypatch):
    readers = [make_user() for _ in range(3)]
    for reader in readers:
        follow(app, reader, "C5")
    make_thread("C5", replies=1)
    original = digests._queue_batch
    nested = []

    def other_run_gets_there_first(*args, **kwargs):
        if not nested:
            nested.append(1)
            digests.queue_due("daily")
        return original(*args, **kwargs)

    monkeypatch.setattr(digests, "_queue_batch", other_run_gets_there_first)
    run(app)
    assert len(digest_rows()) == 3
    assert set(posts_per_user().values()) == {1}


def test_the_clock_decides_when_never_what(app, make_user, make_thread):
    reader = make_user()
    follow(app, reader, "C5")
    make_thread("C5")
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert run(app, now=now).queued == 1
    make_thread("C5", title="Later")
    assert run(app, now=now - timedelta(days=2)).queued == 0, "the clock went back"
    assert run(app, now=now + timedelta(hours=1)).queued == 0, "not due again until tomorrow"
    assert run(app, now=now + timedelta(days=1)).queued == 1
    assert set(posts_per_user().values()) == {1}


def test_digests_come_at_the_persons_hour_and_weekday_in_their_time_zone(app, make_user):
    reader = make_user()
    reader.timezone = "Asia/Tokyo"
    settings = MailSettings.defaults_for(reader.id)
    settings.digest_hour, settings.digest_weekday = 8, 2
    # 08:00 in Tokyo is 23:00 UTC the day before.
    settings.daily_sent_at = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)
    assert not digests.is_due(
        "daily", settings, reader.timezone, datetime(2026, 3, 10, 22, 30, tzinfo=UTC)
    )
    assert digests.is_due(
        "daily", settings, reader.timezone, datetime(2026, 3, 10, 23, 5, tzinfo=UTC)
    )
    settings.weekly_sent_at = datetime(2026, 3, 3, 23, 0, tzinfo=UTC)  # Wednesday 08:00 Tokyo
    tuesday = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)  # Tuesday 08:30 Tokyo
    wednesday = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    assert not digests.is_due("weekly", settings, reader.timezone, tuesday)
    assert digests.is_due("weekly", settings, reader.timezone, wednesday)


def test_a_digest_stays_under_the_size_gmail_clips(app, smtp, make_user, make_thread):
    reader = make_user(email="reader@example.org")
    follow(app, reader, "C5")
    author = make_user()
    for number in range(12):
        make_thread("C5", author=author, title=f"Long thread {number}", body="Word " * 800,
                    replies=4)  # fmt: skip
    run(app, force=True)
    deliver(app)
    [message] = smtp.received
    assert len(message.as_bytes()) <= DIGEST_MAX_BYTES
    text = message.get_body(("plain",)).get_content()
    assert "Long thread 11" in text or "more posts wait on the web" in text


def test_private_boards_leave_the_digest_with_access(app, make_user, make_thread):
    member = make_user(roles={"COORD": Role.MEMBER})
    follow(app, member, "COORD", "C5")
    author = make_user(roles={"COORD": Role.MEMBER})
    make_thread("COORD", author=author, title="Coordinators only")
    make_thread("C5", title="Public")
    with app.test_request_context():
        moderation.revoke_role(board("COORD"), member, Role.MEMBER, make_user(admin=True))
        db.session.commit()
    run(app, force=True)
    [row] = digest_rows()
    titles = {db.session.get(Post, post_id).thread.title for post_id in row.payload["posts"]}
    assert titles == {"Public"}


def test_the_number_of_queries_does_not_grow_with_people(
    app, make_user, make_thread, count_queries
):
    def queries_for(people: int) -> int:
        for _ in range(people):
            follow(app, make_user(), "C5", "C6", "C9")
        make_thread("C5")
        make_thread("C9")
        with count_queries() as counter:
            run(app, force=True)
        return counter.count

    assert queries_for(2) == queries_for(30)


def test_weekly_and_daily_are_counted_apart(app, make_user, make_thread):
    reader = make_user()
    follow(app, reader, "C5", mode=MailMode.DAILY)
    follow(app, reader, "C6", mode=MailMode.WEEKLY)
    make_thread("C5", title="Daily one")
    make_thread("C6", title="Weekly one")
    assert run(app, "daily", force=True).queued == 1
    assert run(app, "weekly", force=True).queued == 1
    titles = {
        row.payload["period"]: {db.session.get(Post, p).thread.title for p in row.payload["posts"]}
        for row in digest_rows()
    }
    assert titles == {"daily": {"Daily one"}, "weekly": {"Weekly one"}}
