"""Where mail comes in: an LMTP server for the MTA, and one message on standard input.

Each message is taken in its own transaction. One that cannot be read at all is kept
(outcome "failed") and answered with a temporary failure, so the MTA keeps it and tries
again, and nothing is lost silently.
"""

import signal
import threading
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from flask import Flask

from forum.db import writing
from forum.extensions import db
from forum.inbound import services
from forum.inbound.models import InboundMessage, Outcome
from forum.mail import mail_context

# sysexits(3) codes, as an MTA's pipe transport reads them.
EX_OK = 0
EX_DATAERR = 65
EX_NOUSER = 67
EX_TEMPFAIL = 75


@dataclass(frozen=True)
class Answer:
    status: str  # the LMTP reply line
    exit_code: int  # for `flask mail receive`


def deliver(app: Flask, raw: bytes, *, envelope_from: str, recipient: str) -> Answer:
    """Take in one message for one recipient; never raises."""
    with mail_context(app), writing():
        try:
            record = services.receive(raw, envelope_from=envelope_from, recipient=recipient)
            db.session.commit()
        except services.UnknownRecipient:
            db.session.rollback()
            return Answer("550 5.1.1 No such recipient here", EX_NOUSER)
        except Exception as error:
            db.session.rollback()
            app.logger.exception("a received message could not be taken in")
            _keep_failed(raw, envelope_from, recipient, error)
            return Answer("451 4.3.0 Could not be read now; kept, try again later", EX_TEMPFAIL)
        return Answer(f"250 2.0.0 {record.outcome.value}", EX_OK)


def _keep_failed(raw: bytes, envelope_from: str, recipient: str, error: Exception) -> None:
    try:
        db.session.add(
            InboundMessage(
                envelope_from=envelope_from[:320],
                recipient=recipient[:320],
                outcome=Outcome.FAILED,
                reason=f"{type(error).__name__}: {error}"[:2000],
                raw=raw,
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


class InboundHandler:
    """aiosmtpd handler: recipients are checked as they are given, each message taken in
    once per recipient, with one reply line each (LMTP)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        with self.app.app_context(), mail_context(self.app):
            known = services.route(address) is not None
        if not known:
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        answers = [
            deliver(self.app, raw, envelope_from=envelope.mail_from or "", recipient=recipient)
            for recipient in envelope.rcpt_tos
        ]
        return "\r\n".join(answer.status for answer in answers)


class LmtpController(Controller):
    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def controller(app: Flask, *, host: str | None = None, port: int | None = None) -> Controller:
    return LmtpController(
        InboundHandler(app),
        hostname=host or app.config["LMTP_HOST"],
        port=port or app.config["LMTP_PORT"],
        data_size_limit=app.config["MAIL_MAX_SIZE"],
        enable_SMTPUTF8=True,
    )


def serve(app: Flask) -> None:
    """Run the LMTP server until SIGINT or SIGTERM."""
    server = controller(app)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stopped.set())
    signal.signal(signal.SIGINT, lambda *_args: stopped.set())
    server.start()
    try:
        while not stopped.wait(1):
            pass
    finally:
        server.stop()
