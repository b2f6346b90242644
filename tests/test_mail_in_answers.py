"""Nothing dropped in silence, through a real LMTP session on loopback: refusals of
confirmed accounts answered at their registered address with the text quoted back, one
answer an hour per address and reason; postmaster@ and abuse@ forwarded to the admins;
mail to the forum's own address answered with where to write (RFC 3834)."""

from collections.abc import Callable

import pytest

from forum.boards.models import Role
from forum.inbound import services
from forum.inbound.models import Outcome
from tests.mailin import DOMAIN, email, last_record, send


def mail_to(outbox: Callable, address: str) -> list:
    return [m for m in outbox() if m["To"] == address]


def body_of(message) -> str:
    return message.get_payload(decode=True).decode()


# Refusals ---------------------------------------------------------------------------------


def test_a_refused_account_is_answered_at_its_address_with_its_text_quoted(outbox, lmtp, make_user):
    make_user(email="kofi@example.org")
    message = email(
        "kofi@example.org", "Bureau proposal", "My proposal, typed with care.\nTwo lines."
    )
    send(lmtp, message, to=f"csb@{DOMAIN}", sender="kofi@laptop.example")
    record = last_record()
    assert record.outcome == Outcome.REFUSED
    [answer] = mail_to(outbox, "kofi@example.org")
    assert answer["Auto-Submitted"] == "auto-replied"
    text = body_of(answer)
    assert record.reason in text
    assert "> My proposal, typed with care.\n> Two lines." in text
    assert not mail_to(outbox, "kofi@laptop.example"), "never to an unchecked return path"
    assert record.answered_to == "kofi@example.org"


def test_a_refusal_of_an_unauthenticated_message_goes_to_the_account_not_the_return_path(
    outbox, lmtp, make_user
):
    make_user(email="amina@example.org")
    forged = email("amina@example.org", "Long line", "x" * 1500, authenticated=False)
    forged.set_content("x" * 1500, cte="8bit")
    send(lmtp, forged, to=f"c5@{DOMAIN}", sender="someone@elsewhere.example")
    assert last_record().outcome == Outcome.REFUSED
    [answer] = mail_to(outbox, "amina@example.org")
    assert "1,000 characters" in body_of(answer)
    assert "If you did not send this message, ignore" in body_of(answer)
    assert not mail_to(outbox, "someone@elsewhere.example")


def test_refusals_are_answered_once_an_hour_per_address_and_reason(outbox, lmtp, make_user):
    make_user(email="busy@example.org")
    too_long = email("busy@example.org", "Long", "y")
    too_long.set_content("y" * 1500, cte="8bit")
    for message in (
        email("busy@example.org", "For the bureau", "First"),
        too_long,
        email("busy@example.org", "For the bureau again", "Second"),
    ):
        send(lmtp, message, to=f"csb@{DOMAIN}")
        assert last_record().outcome == Outcome.REFUSED
    answers = mail_to(outbox, "busy@example.org")
    assert len(answers) == 2, "two reasons, two answers; the same reason again waits"
    assert "> First" in body_of(answers[0])
    assert "1,000 characters" in body_of(answers[1])


def test_an_address_gets_at_most_the_days_share_of_answers(app, outbox, lmtp, make_user):
    make_user(email="chatty@example.org")
    app.config["MAIL_ANSWERS_PER_DAY"] = 1
    try:
        too_long = email("chatty@example.org", "Long", "y")
        too_long.set_content("y" * 1500, cte="8bit")
        send(lmtp, email("chatty@example.org", "Bureau", "One"), to=f"csb@{DOMAIN}")
        send(lmtp, too_long, to=f"c5@{DOMAIN}")
    finally:
        app.config["MAIL_ANSWERS_PER_DAY"] = 10
    assert last_record().outcome == Outcome.REFUSED
    assert len(mail_to(outbox, "chatty@example.org")) == 1


def test_a_message_refused_after_failing_every_read_is_answered_to_its_account(
    outbox, lmtp, make_user, monkeypatch
):
    make_user(email="unlucky@example.org")

    def explode(raw):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(services, "parse", explode)
    raw = b"From: unlucky@example.org\r\nSubject: Cursed\r\n\r\nMy words, kept.\r\n"
    answers = [send(lmtp, raw, to=f"c5@{DOMAIN}", sender="x@elsewhere.example")[0] for _ in "123"]
    assert answers == [451, 451, 250]
    assert last_record().outcome == Outcome.REFUSED
    [answer] = mail_to(outbox, "unlucky@example.org")
    assert "> My words, kept." in body_of(answer)
    assert not mail_to(outbox, "x@elsewhere.example")


# postmaster@, abuse@ ----------------------------------------------------------------------


@pytest.mark.parametrize("local", ["postmaster", "abuse"])
def test_postmaster_and_abuse_reach_the_admins_and_are_kept(
    app, client, outbox, lmtp, make_user, sign_in, local
):
    admin = make_user(email="admin@example.org", admin=True)
    report = email("reporter@example.net", "Spam from your forum", "Please look at this.",
                   authenticated=False)  # fmt: skip
    code, _text = send(lmtp, report, to=f"{local}@{DOMAIN}")
    assert code == 250
    record = last_record()
    assert record.outcome == Outcome.FORWARDED
    [forwarded] = mail_to(outbox, "admin@example.org")
    assert "Spam from your forum" in forwarded["Subject"]
    assert forwarded["Reply-To"] == "reporter@example.net"
    text = body_of(forwarded)
    assert "Please look at this." in text
    assert f"/admin/mail/received/{record.id}" in text
    assert not mail_to(outbox, "reporter@example.net"), "the sender is not answered"
    sign_in(admin)
    assert "Spam from your forum" in client.get("/admin/mail/received").get_data(as_text=True)
    page = client.get(f"/admin/mail/received/{record.id}").get_data(as_text=True)
    assert "forwarded" in page
    assert "not answered" in page


def test_postmaster_takes_bounces_and_forwards_to_a_configured_address(app, outbox, lmtp):
    app.config["MAIL_POSTMASTER_ADDRESSES"] = ["hostmaster@example.net"]
    try:
        bounce = b"From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered\r\n\r\nFailed.\r\n"
        assert send(lmtp, bounce, to=f"postmaster@{DOMAIN}", sender="")[0] == 250
        assert last_record().outcome == Outcome.FORWARDED
        [forwarded] = mail_to(outbox, "hostmaster@example.net")
        assert "Failed." in body_of(forwarded)
    finally:
        app.config["MAIL_POSTMASTER_ADDRESSES"] = []


# The forum's own address ------------------------------------------------------------------


def test_mail_to_the_forums_address_gets_where_to_write_once_a_day(outbox, lmtp, make_user):
    make_user(email="replier@example.org")
    first = email("replier@example.org", "Re: Confirm your address", "Thanks!")
    code, _text = send(lmtp, first, to=f"forum@{DOMAIN}")
    assert code == 250
    assert last_record().outcome == Outcome.IGNORED
    [note] = mail_to(outbox, "replier@example.org")
    assert note["Auto-Submitted"] == "auto-replied"
    text = body_of(note)
    assert f"c5-request@{DOMAIN}" in text
    assert f"postmaster@{DOMAIN}" in text
    send(lmtp, email("replier@example.org", "Re: again", "Hello?"), to=f"forum@{DOMAIN}")
    assert len(mail_to(outbox, "replier@example.org")) == 1, "once a day"


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        ({"Auto_Submitted": "auto-replied"}, "robot@example.org"),
        ({"List_Id": "<other.lists.example.org>"}, "robot@example.org"),
        ({"Precedence": "bulk"}, "robot@example.org"),
        ({}, "<>"),
    ],
    ids=["auto-submitted", "list", "bulk", "null-sender"],
)
def test_the_forums_address_never_answers_robots_lists_or_bounces(
    outbox, lmtp, make_user, headers, sender
):
    make_user(email="robot@example.org")
    message = email("robot@example.org", "Hello", "Automatic", **headers)
    assert send(lmtp, message, to=f"forum@{DOMAIN}", sender=sender)[0] == 250
    assert last_record().outcome == Outcome.IGNORED
    assert not mail_to(outbox, "robot@example.org")


def test_owner_and_role_addresses_are_accepted_and_others_still_refused(lmtp, make_user):
    make_user(roles={"C5": Role.COORDINATOR})
    message = email("someone@example.net", "Hi", "x")
    for address in (f"c5-owner@{DOMAIN}", f"postmaster@{DOMAIN}", f"forum@{DOMAIN}"):
        assert send(lmtp, message, to=address)[0] == 250, address
    for address in (f"c5-nothing@{DOMAIN}", f"c99-owner@{DOMAIN}", f"webmaster@{DOMAIN}"):
        assert send(lmtp, message, to=address)[0] == 550, address
