"""Wiring a real MTA: the recipient check that refuses unknown addresses during the SMTP
conversation (`flask mail check-recipient`, `flask mail recipient-map` speaking
Postfix's tcp_table), an MTA on loopback that applies it and relays to the LMTP
listener, and `flask mail receive` answering the pipe transport with 75 (try later),
never 1, when it cannot take a message."""

import os
import smtplib
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.boards.models import Role
from forum.extensions import db
from forum.inbound import lmtp as lmtp_server
from forum.inbound import recipients
from forum.inbound.models import InboundMessage, Outcome
from forum.inbound.recipients import RecipientMap
from forum.mail import subscriptions
from forum.mail.models import MailMode
from forum.posts.models import Post
from forum.settings import PROJECT_ROOT
from tests.helpers import board
from tests.mailin import DOMAIN, email, last_record
from tests.mta import LoopbackMta, ask_map


@pytest.fixture
def recipient_map(app) -> Iterator[int]:
    """`flask mail recipient-map`'s server on a free loopback port; yields the port."""
    server = RecipientMap(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_check_recipient_exits_0_for_the_forums_addresses_and_1_for_others(app):
    runner = app.test_cli_runner()
    for address in (f"c5@{DOMAIN}", f"C7-EGOV-request@{DOMAIN}", f"postmaster@{DOMAIN}",
                    f"forum@{DOMAIN}", f"c5-owner@{DOMAIN}"):  # fmt: skip
        result = runner.invoke(args=["mail", "check-recipient", address])
        assert result.exit_code == 0, (address, result.output)
    for address in (f"nobody@{DOMAIN}", "c5@elsewhere.example", f"reply+1.2.bad@{DOMAIN}"):
        result = runner.invoke(args=["mail", "check-recipient", address])
        assert result.exit_code == 1, (address, result.output)


def test_the_recipient_map_answers_as_postfix_tcp_table_expects(recipient_map):
    assert ask_map(recipient_map, f"c5@{DOMAIN}") == "200 DUNNO"
    assert ask_map(recipient_map, f"c5-join@{DOMAIN}") == "200 DUNNO"
    assert (
        ask_map(recipient_map, f"nobody@{DOMAIN}")
        == "200 550%205.1.1%20No%20such%20recipient%20here"
    )
    assert ask_map(recipient_map, "someone@elsewhere.example").startswith("500 ")
    assert ask_map(recipient_map, DOMAIN).startswith("500 "), "a bare domain: no opinion"


def test_the_recipient_map_says_try_later_when_it_cannot_look(recipient_map, monkeypatch):
    def broken(address):
        raise RuntimeError("database down")

    monkeypatch.setattr(recipients, "is_known", broken)
    assert ask_map(recipient_map, f"c5@{DOMAIN}").startswith("400 ")


def test_an_mta_on_loopback_refuses_unknown_recipients_and_relays_the_rest(
    outbox, lmtp, recipient_map, make_user
):
    kofi = make_user(email="kofi@example.org")
    make_user(email="admin@example.org", admin=True)
    make_user(email="coord@example.org", roles={"C6": Role.COORDINATOR})
    with (
        LoopbackMta(lmtp_port=lmtp, map_port=recipient_map) as mta,
        smtplib.SMTP("127.0.0.1", mta.port) as client,
    ):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("kofi@example.org", [f"nobody@{DOMAIN}"], b"Subject: x\r\n\r\nx")
        assert refused.value.recipients[f"nobody@{DOMAIN}"][0] == 550
        assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0

        post = email("kofi@example.org", "Through the MTA", "Both boards",
                     message_id="<mta-1@example.org>", To=f"c5@{DOMAIN}",
                     Cc=f"c6@{DOMAIN}")  # fmt: skip
        partly = client.sendmail("kofi@example.org", [f"c5@{DOMAIN}", f"c6@{DOMAIN}",
                                 f"typo@{DOMAIN}"], post.as_bytes())  # fmt: skip
        assert list(partly) == [f"typo@{DOMAIN}"]
        for address, subject in ((f"c6-request@{DOMAIN}", "subscribe digest weekly"),
                                 (f"postmaster@{DOMAIN}", "Abuse report"),
                                 (f"c6-owner@{DOMAIN}", "For the facilitators"),
                                 (f"forum@{DOMAIN}", "Re: your notice")):  # fmt: skip
            message = email("kofi@example.org", subject, "Text", To=address)
            client.sendmail("kofi@example.org", [address], message.as_bytes())
    assert {code for _to, code in mta.handler.delivered} == {250}
    boards = db.session.scalars(select(Post)).all()
    assert sorted(p.thread.board.code for p in boards) == ["C5", "C6"]
    outcomes = dict(
        db.session.execute(select(InboundMessage.recipient, InboundMessage.outcome)).all()
    )
    assert outcomes[f"c6-request@{DOMAIN}"] == Outcome.ANSWERED
    assert outcomes[f"postmaster@{DOMAIN}"] == Outcome.FORWARDED
    assert outcomes[f"c6-owner@{DOMAIN}"] == Outcome.FORWARDED
    assert subscriptions.board_mode(kofi, board("C6")) == MailMode.WEEKLY
    delivered = {(m["To"], m["Subject"]) for m in outbox()}
    assert any(to == "admin@example.org" and "Abuse report" in s for to, s in delivered)
    assert any(to == "coord@example.org" and "facilitators" in s for to, s in delivered)
    assert any(to == "kofi@example.org" and "not read" in s for to, s in delivered)


def test_flask_mail_receive_exits_75_when_it_crashes(app, make_user, monkeypatch):
    make_user(email="pipe@example.org")

    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(lmtp_server, "deliver", crash)
    message = email("pipe@example.org", "By pipe", "Text").as_bytes()
    result = app.test_cli_runner().invoke(
        args=["mail", "receive", "--sender", "pipe@example.org", "--recipient", f"c5@{DOMAIN}"],
        input=message,
    )
    assert result.exit_code == 75
    assert "try again later" in result.output


def test_flask_mail_receive_exits_75_when_the_instance_folder_cannot_be_written(tmp_path: Path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORUM_")} | {
        "FORUM_INSTANCE_PATH": str(blocked / "instance")
    }
    message = email("pipe@example.org", "By pipe", "Text").as_bytes()
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "wsgi", "mail", "receive", "--recipient", f"c5@{DOMAIN}"],
        input=message, capture_output=True, cwd=PROJECT_ROOT, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 75, done.stderr.decode()
    assert b"try again later" in done.stderr


def test_the_pipe_still_answers_67_for_an_unknown_recipient(app):
    message = email("pipe@example.org", "By pipe", "Text").as_bytes()
    result = app.test_cli_runner().invoke(
        args=["mail", "receive", "--recipient", f"c5-unknown@{DOMAIN}"], input=message
    )
    assert result.exit_code == 67
    assert last_record() is None


def test_a_recipient_that_cannot_be_checked_is_deferred_not_refused(lmtp, monkeypatch):
    """The MTA retries a 4xx; a 5xx would bounce the mail for good (and with
    reject_unverified_recipient, remember the address as undeliverable)."""
    from forum.inbound import services

    def database_down(address):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(services, "route", database_down)
    with smtplib.LMTP("127.0.0.1", lmtp) as session:
        session.ehlo_or_helo_if_needed()
        session.mail("someone@example.org")
        code, _text = session.rcpt(f"c5@{DOMAIN}")

    assert code == 451
