"""Text as sent, through real LMTP sessions on loopback: replies from mail programs that
quote below or between, moderation commands typed below a quote, HTML links; and bounce
scoring that counts only real delivery failures (reports, MTA texts, the smarthost's
5xx answers), never an out-of-office note."""

from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from forum.boards.models import ModerationMode, Role
from forum.extensions import db
from forum.inbound.models import Bounce, Outcome
from forum.mail import addresses, subscriptions
from forum.mail.models import MailKind, MailMode, MailSettings, OutboxMessage, OutboxStatus
from forum.posts.models import PostStatus
from tests.conftest import deliver
from tests.helpers import board
from tests.mailin import DOMAIN, email, last_record, latest_post, mta_verdict, send

SOPHIE = "Sophie Martin via WSIS Forum"


def test_a_bottom_posted_reply_from_mutt_is_published_without_its_attribution(
    lmtp, make_user, make_thread
):
    make_user(email="kofi@example.org")
    thread = make_thread(title="Draft", body="The draft is ready.")
    body = (
        f"On Tue, Mar 03, 2026 at 10:00:00AM +0100, {SOPHIE} wrote:\n"
        "> The draft is ready.\n\nWe agree with it.\n"
    )
    reply = email("kofi@example.org", "Re: [C5] Draft", body,
                  In_Reply_To=f"<post-{thread.first_post_id}@{DOMAIN}>")  # fmt: skip
    send(lmtp, reply, to=f"c5@{DOMAIN}")
    post = latest_post()
    assert post.thread_id == thread.id
    assert post.body_source == "We agree with it."


def test_approve_typed_below_the_quoted_notice_moderates(outbox, lmtp, make_user):
    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    make_user(email="coord@example.org", roles={"C5": Role.COORDINATOR})
    make_user(email="newbie@example.org")
    send(lmtp, email("newbie@example.org", "Held", "Please approve me"), to=f"c5@{DOMAIN}")
    held = latest_post()
    [notice] = [m for m in outbox() if m["To"] == "coord@example.org"]
    answer = (
        f"On Tue, 3 Mar 2026 at 10:00, WSIS Forum <forum@{DOMAIN}> wrote:\n"
        "> A post by Newbie waits for your approval.\n> Please approve me\n\napprove\n"
    )
    send(lmtp, email("coord@example.org", "Re: notice", answer), to=notice["Reply-To"])
    assert last_record().outcome == Outcome.MODERATED
    db.session.expire_all()
    assert held.status == PostStatus.PUBLISHED


def test_html_mail_keeps_its_link_addresses(lmtp, make_user):
    make_user(email="html@example.org")
    message = EmailMessage()
    message["Authentication-Results"] = mta_verdict("html@example.org")
    message["From"], message["Subject"] = "html@example.org", "Links"
    message["Message-ID"] = "<links-1@example.org>"
    message.set_content(
        '<p>The <a href="https://www.itu.int/wsis/report.pdf">WSIS report</a> is out.</p>',
        subtype="html",
    )
    send(lmtp, message, to=f"c5@{DOMAIN}")
    post = latest_post()
    assert "[WSIS report](https://www.itu.int/wsis/report.pdf)" in post.body_source
    assert 'href="https://www.itu.int/wsis/report.pdf"' in post.body_html


# Bounces ------------------------------------------------------------------------------


@pytest.fixture
def bounce_address(app, make_user, make_thread):
    """The return path of a copy of a post mailed to reader@example.org."""
    reader = make_user(email="reader@example.org")
    with app.test_request_context():
        subscriptions.set_board_mode(reader, board("C5"), MailMode.EVERY_POST)
        db.session.commit()
    make_thread(title="Bounce me")
    deliver(app)
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == reader.id)).one()
    with app.test_request_context():
        return addresses.bounce_address(row.id)


def bounces() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Bounce))


@pytest.mark.parametrize(
    "raw",
    [
        b"From: reader@example.org\r\nSubject: Absent until Monday\r\n\r\n"
        b"I am away. Urgent matters: +33 1 555 0100 or +1 212 555 0199.\r\n",
        b"From: reader@example.org\r\nSubject: Automatic reply: Bounce me\r\n"
        b"Auto-Submitted: auto-replied\r\n\r\nOut of office. Call 555 0100.\r\n",
        b"From: reader@example.org\r\nSubject: Re: Bounce me\r\nX-Autoreply: yes\r\n\r\n"
        b"Away; error 550 in our office printer.\r\n",
    ],
    ids=["phone-number", "auto-submitted", "x-autoreply"],
)
def test_out_of_office_replies_to_the_bounce_address_count_for_nothing(lmtp, bounce_address, raw):
    assert send(lmtp, raw, to=bounce_address, sender="")[0] == 250
    assert bounces() == 0
    assert "not a delivery failure" in last_record().reason


def test_a_mail_servers_failure_text_still_counts(lmtp, bounce_address):
    raw = (
        b"From: MAILER-DAEMON@mx.example.org\r\nSubject: Mail delivery failed\r\n\r\n"
        b"  reader@example.org\r\n    host mx.example.org said: 550 5.1.1 user unknown\r\n"
    )
    send(lmtp, raw, to=bounce_address, sender="")
    assert bounces() == 1
    assert db.session.scalar(select(Bounce.status)) == "5.1.1"


def test_a_5xx_from_the_smarthost_counts_as_a_bounce_of_that_recipient(
    app, smtp, make_user, make_thread
):
    reader = make_user(email="gone@example.org")
    with app.test_request_context():
        subscriptions.set_board_mode(reader, board("C5"), MailMode.EVERY_POST)
        db.session.commit()
    smtp.answer = "550 5.1.1 <gone@example.org>: Recipient address rejected"
    for number in range(3):
        make_thread(title=f"Refused {number}")
    deliver(app)
    db.session.expire_all()
    copies = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.user_id == reader.id, OutboxMessage.kind == MailKind.POST
        )
    ).all()
    assert {row.status for row in copies} == {OutboxStatus.FAILED}
    counted = select(Bounce.kind).where(Bounce.outbox_id.in_([row.id for row in copies]))
    assert db.session.scalars(counted).all() == ["hard"] * 3
    assert db.session.get(MailSettings, reader.id).bouncing_since is not None
