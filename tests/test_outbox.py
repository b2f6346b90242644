"""The outbox and its delivery: written with the change, retried when the server is away,
failed for good on 5xx, never sent twice, and shown in the admin area."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import scoped_session, sessionmaker

from forum.accounts.models import StakeholderGroup, User
from forum.db import utcnow
from forum.extensions import db
from forum.mail import delivery, mail_context
from forum.mail.models import MailKind, OutboxMessage, OutboxStatus
from forum.mail.outbox import queue_account_mail
from tests.conftest import deliver
from tests.helpers import post_form, text_of


def queue_mails(app, user, count: int) -> None:
    with app.test_request_context():
        for number in range(count):
            queue_account_mail(user, subject=f"Message {number}", text_body=f"Body {number}")
        db.session.commit()


def statuses() -> dict:
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by("status"))
    return {status.value: count for status, count in rows}


def test_mail_is_written_with_the_change_and_lost_with_its_rollback(app, client, make_user):
    user = make_user(email="kofi@example.org")
    with app.test_request_context():
        queue_account_mail(user, subject="Never", text_body="rolled back")
        db.session.rollback()
    assert statuses() == {}
    post_form(client, "/forgot-password", {"email": user.email})
    assert statuses() == {"queued": 1}


def test_a_server_that_goes_away_mid_run_loses_and_repeats_nothing(app, smtp, make_user):
    user = make_user(email="reader@example.org")
    queue_mails(app, user, 6)
    with mail_context(app):
        assert delivery.deliver_due(limit=3).sent == 3
    smtp.stop()
    report = deliver(app)
    assert (report.sent, report.retried) == (0, 3)
    assert statuses() == {"sent": 3, "queued": 3}
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued"))
    assert all(row.next_attempt_at > utcnow() and row.last_error for row in waiting)
    assert deliver(app).handled == 0, "nothing is retried before its time"
    smtp.start()
    with mail_context(app):
        assert delivery.retry_now() == 3
    assert deliver(app).sent == 3
    subjects = sorted(str(m["Subject"]) for m in smtp.received)
    assert subjects == [f"Message {n}" for n in range(6)]
    assert statuses() == {"sent": 6}


def test_4xx_is_retried_with_growing_delays_and_5xx_fails_with_its_reason(app, smtp, make_user):
    user = make_user(email="reader@example.org")
    queue_mails(app, user, 1)
    smtp.answer = "451 Try again later"
    deliver(app)
    row = db.session.scalars(select(OutboxMessage)).one()
    first_delay = row.next_attempt_at - utcnow()
    assert row.status == OutboxStatus.QUEUED
    assert "451" in row.last_error
    delivery_retry(app)
    db.session.expire_all()
    second_delay = row.next_attempt_at - utcnow()
    assert row.attempts == 2
    assert second_delay > first_delay
    smtp.answer = "550 No such user here"
    delivery_retry(app)
    db.session.expire_all()
    assert row.status == OutboxStatus.FAILED
    assert "550 No such user here" in row.last_error
    assert smtp.received == []


def delivery_retry(app) -> None:
    with mail_context(app):
        delivery.retry_now()
    deliver(app)


def test_temporary_failures_give_up_after_the_attempts_allowed(app, smtp, make_user):
    queue_mails(app, make_user(), 1)
    smtp.answer = "421 Closing"
    app.config["MAIL_MAX_ATTEMPTS"], saved = 2, app.config["MAIL_MAX_ATTEMPTS"]
    try:
        deliver(app)
        delivery_retry(app)
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = saved
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.status == OutboxStatus.FAILED
    assert "gave up after 2 attempts" in row.last_error


def test_a_claim_left_by_a_dead_worker_is_offered_again(app, smtp, make_user):
    queue_mails(app, make_user(), 1)
    db.session.execute(
        update(OutboxMessage).values(
            status=OutboxStatus.SENDING, claimed_at=utcnow() - timedelta(hours=1)
        )
    )
    db.session.commit()
    assert deliver(app).sent == 1


def test_an_email_change_link_goes_to_the_new_address(app, client, make_user, sign_in, smtp):
    user = make_user(email="old@example.org")
    sign_in(user)
    post_form(
        client,
        "/settings/email",
        {"email": "new@example.org", "current_password": "a long enough passphrase"},
        prefix="email",
    )
    deliver(app)
    assert [m["To"] for m in smtp.received] == ["new@example.org"]
    assert smtp.received[0]["Auto-Submitted"] == "auto-generated"


def test_admin_page_shows_states_errors_and_delivered_mail(app, client, make_user, sign_in):
    user = make_user(email="reader@example.org")
    queue_mails(app, user, 2)
    deliver(app)
    with app.test_request_context():
        queue_account_mail(user, subject="Broken", text_body="x", to_address="bad\nheader@x")
        db.session.commit()
    deliver(app)
    sign_in(make_user(admin=True))
    page = text_of(client.get("/admin/mail"))
    assert "Message 0" in page
    assert "Message 1" in page
    assert "cannot be written as mail" in page
    key = re.search(r'href="/admin/mail/(\d[^"/]+)"', page).group(1)
    message_page = client.get(f"/admin/mail/{key}")
    assert message_page.status_code == 200
    assert "Body" in text_of(message_page)
    assert client.get("/admin/mail/not-a-key").status_code == 404
    assert post_form(client, "/admin/mail/retry", {}).status_code == 302


def test_only_admins_see_outgoing_mail(client, make_user, sign_in):
    sign_in(make_user())
    assert client.get("/admin/mail").status_code == 403


def test_mail_commands(app, make_user):
    queue_mails(app, make_user(), 2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "status"])
    assert "queued" in result.output
    assert "2" in result.output
    result = runner.invoke(args=["mail", "deliver"])
    assert "2 sent" in result.output
    result = runner.invoke(args=["mail", "digests", "--period", "daily"])
    assert result.exit_code == 0
    assert "daily digests queued" in result.output


def test_two_workers_never_send_one_message_twice(app, smtp):
    """Two workers deliver the same outbox at once, each in its own connection."""
    with app.app_context():
        engine = db.engine
    committed = sessionmaker(bind=engine)
    with committed() as session:
        person = User(
            email="twice@example.org",
            display_name="Twice",
            stakeholder_group=StakeholderGroup.CIVIL_SOCIETY,
            email_verified_at=utcnow(),
        )
        session.add(person)
        session.flush()
        person_id = person.id
        for number in range(40):
            session.add(
                OutboxMessage(
                    kind=MailKind.ACCOUNT,
                    user_id=person_id,
                    subject=f"Parallel {number}",
                    payload={"text": "x"},
                )
            )
        session.commit()
    barrier = threading.Barrier(2)
    test_session = db.session
    db.session = scoped_session(committed, scopefunc=threading.get_ident)

    def work() -> None:
        with mail_context(app):
            barrier.wait(timeout=10)
            try:
                while delivery.deliver_due(limit=5).handled:
                    pass
            finally:
                db.session.remove()

    try:
        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
    finally:
        db.session = test_session
        with committed() as session:
            session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == person_id))
            session.execute(delete(User).where(User.id == person_id))
            session.commit()
    subjects = [str(m["Subject"]) for m in smtp.received]
    assert len(subjects) == 40
    assert len(set(subjects)) == 40


@pytest.mark.whoosh_only
def test_the_worker_delivers_mail_queues_digests_and_indexes_posts(
    app, outbox, make_user, make_thread, search_engine
):
    from forum.mail import subscriptions
    from forum.mail.models import MailMode
    from forum.search.models import IndexQueueItem
    from tests.helpers import board

    reader = make_user(email="worker@example.org")
    with app.test_request_context():
        subscriptions.set_board_mode(reader, board("C5"), MailMode.DAILY)
        db.session.commit()
    make_thread(title="For the worker")
    assert db.session.scalar(select(func.count()).select_from(IndexQueueItem)) > 0
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Worker stopped: 1 sent" in result.output
    assert db.session.scalar(select(func.count()).select_from(IndexQueueItem)) == 0
    [digest] = [m for m in outbox() if m["To"] == "worker@example.org"]
    assert str(digest["Subject"]) == "[WSIS Forum] Daily digest, Vol 1, Issue 1"
