"""The smarthost's permanent refusals, through a real SMTP server on loopback: each fails
its message with the server's answer, and only a refusal of the recipient's own address
counts as a bounce of that person; a relay, sender or content problem pauses nobody."""

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.inbound.models import Bounce
from forum.mail import subscriptions
from forum.mail.models import MailKind, MailMode, MailSettings, OutboxMessage, OutboxStatus
from tests.conftest import deliver
from tests.helpers import board

READERS = ("amina@example.org", "kofi@example.org", "lena@example.org")


def followers(app, make_user, *emails: str) -> list:
    people = [make_user(email=email) for email in emails]
    with app.test_request_context():
        for person in people:
            subscriptions.set_board_mode(person, board("C5"), MailMode.EVERY_POST)
        db.session.commit()
    return people


def copies_to(person) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.user_id == person.id, OutboxMessage.kind == MailKind.POST
            )
        )
    )


def bounced(person, rows: list[OutboxMessage] | None = None) -> int:
    """Bounces counted for this person (for these outbox rows only, if given)."""
    query = select(Bounce).where(Bounce.user_id == person.id)
    if rows is not None:
        query = query.where(Bounce.outbox_id.in_([row.id for row in rows]))
    return len(db.session.scalars(query).all())


def paused(person) -> bool:
    db.session.expire_all()
    settings = db.session.get(MailSettings, person.id)
    return settings is not None and settings.bouncing_since is not None


@pytest.mark.parametrize(
    ("stage", "answer"),
    [
        ("rcpt", "554 5.7.1 <{address}>: Relay access denied"),
        ("rcpt", "530 5.7.0 Authentication required"),
        ("rcpt", "554 Relay access denied"),
        ("rcpt", "550 5.1.8 <bounces@forum.example.org>: Sender address rejected"),
        ("data", "554 5.7.1 Message rejected by the content filter"),
        ("data", "550 Message refused as spam"),
        ("data", "552 5.3.4 Message size exceeds fixed limit"),
    ],
    ids=["relay", "authentication", "relay-bare", "sender", "filter", "spam-bare", "size"],
)
def test_a_smarthost_refusal_that_is_not_about_the_recipient_pauses_nobody(
    app, smtp, make_user, make_thread, stage, answer
):
    people = followers(app, make_user, *READERS)
    if stage == "rcpt":
        smtp.rcpt_answers = {address: answer.format(address=address) for address in READERS}
    else:
        smtp.answer = answer
    for number in range(3):
        make_thread(title=f"Refused {number}")
    deliver(app)
    code = answer.split()[0]
    for person in people:
        copies = copies_to(person)
        assert [row.status for row in copies] == [OutboxStatus.FAILED] * 3
        assert all(row.last_error.startswith(code) for row in copies)
        assert bounced(person) == 0
        assert not paused(person)
    smtp.rcpt_answers, smtp.answer = {}, "250 OK"
    make_thread(title="The server is fixed")
    deliver(app)
    fixed = [m["To"] for m in smtp.received if m["Subject"] == "[C5] The server is fixed"]
    assert sorted(fixed) == sorted(READERS)


@pytest.mark.parametrize(
    "answer",
    [
        "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown",
        "552 5.2.2 <gone@example.org>: Mailbox full",
        "550 No such user here",
        "553 Mailbox name not allowed",
    ],
    ids=["5.1.1", "5.2.2", "bare-550", "bare-553"],
)
def test_a_refused_recipient_address_is_scored_for_that_person_alone(
    app, smtp, make_user, make_thread, answer
):
    gone, staying = followers(app, make_user, "gone@example.org", "staying@example.org")
    smtp.rcpt_answers = {"gone@example.org": answer}
    for number in range(3):
        make_thread(title=f"Refused {number}")
    deliver(app)
    copies = copies_to(gone)
    assert {row.status for row in copies} == {OutboxStatus.FAILED}
    assert bounced(gone, copies) == 3
    assert paused(gone)
    assert {row.status for row in copies_to(staying)} == {OutboxStatus.SENT}
    assert bounced(staying) == 0
    assert not paused(staying)


def test_an_unknown_recipient_reported_after_the_message_is_still_scored(
    app, smtp, make_user, make_thread
):
    [gone] = followers(app, make_user, "gone@example.org")
    smtp.answer = "550 5.1.1 <gone@example.org>: Recipient address rejected"
    make_thread(title="Refused after DATA")
    deliver(app)
    assert bounced(gone) == 1
    assert db.session.scalar(select(Bounce.status).where(Bounce.user_id == gone.id)) == "5.1.1"
