"""Where mail comes in: an LMTP server for the MTA, and one message on standard input.

Each message is taken in its own transaction. One that cannot be read at all is kept
(outcome "failed") and answered with a temporary failure, so the MTA keeps it and tries
again, and nothing is lost silently; after MAIL_READ_ATTEMPTS such failures of the same
message it is refused for good (kept, with the error), so that it is not retried for
days. A database that cannot be reached is always worth another try.

The listener takes lines of any length within the size limit (aiosmtpd would answer a
line over 1,000 characters with a protocol error and no record): the forum records such
a message and refuses it with its reason.
"""

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import DATA_SIZE_DEFAULT
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from forum.db import writing
from forum.extensions import db
from forum.inbound import answers, services
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
    with mail_context(app):
        reading = _read_first(app, raw)
    with mail_context(app), writing():
        try:
            record = services.receive(
                raw, envelope_from=envelope_from, recipient=recipient, reading=reading
            )
            db.session.commit()
        except services.UnknownRecipient:
            db.session.rollback()
            return Answer("550 5.1.1 No such recipient here", EX_NOUSER)
        except Exception as error:
            db.session.rollback()
            app.logger.exception("a received message could not be taken in")
            if _keep_failed(app, raw, envelope_from, recipient, error) == Outcome.REFUSED:
                return Answer(f"250 2.0.0 {Outcome.REFUSED.value}", EX_OK)
            return Answer("451 4.3.0 Could not be read now; kept, try again later", EX_TEMPFAIL)
        return Answer(f"250 2.0.0 {record.outcome.value}", EX_OK)


def _read_first(app: Flask, raw: bytes) -> services.Reading | None:
    """Read the message and check its signature outside the transaction (DNS can be slow);
    None when that fails, and taking it in reads it again and records the failure."""
    try:
        return services.read(raw)
    except Exception:
        app.logger.warning("a received message could not be read before taking it in")
        return None


def _failures(raw: bytes, recipient: str) -> int:
    """How often this very message failed for this recipient before."""
    return db.session.scalar(
        select(func.count()).where(
            InboundMessage.outcome == Outcome.FAILED,
            InboundMessage.recipient == recipient[:320],
            InboundMessage.raw == raw,
        )
    )


def _keep_failed(
    app: Flask, raw: bytes, envelope_from: str, recipient: str, error: Exception
) -> Outcome:
    """Keep the message as failed, or refused once it has failed often enough."""
    try:
        attempts = _failures(raw, recipient) + 1
        final = not isinstance(error, OperationalError) and (
            attempts >= app.config["MAIL_READ_ATTEMPTS"]
        )
        outcome = Outcome.REFUSED if final else Outcome.FAILED
        reason = f"{type(error).__name__}: {error}"
        if final:
            reason = f"could not be read in {attempts} attempts, given up ({reason})"
        record = InboundMessage(
            envelope_from=envelope_from[:320],
            recipient=recipient[:320],
            outcome=outcome,
            reason=reason[:2000],
            raw=raw,
        )
        db.session.add(record)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if final:
        _tell_sender(app, record, raw)
    return outcome


def _tell_sender(app: Flask, record: InboundMessage, raw: bytes) -> None:
    """A message refused for good is answered too, where that is safe; an answer that
    fails changes nothing of the refusal."""
    try:
        answers.explain_unreadable(record, raw)
        db.session.commit()
    except Exception:
        db.session.rollback()
        app.logger.exception("the refusal of received message %s could not be answered", record.id)


class InboundHandler:
    """aiosmtpd handler: recipients are checked as they are given, each message taken in
    once per recipient, with one reply line each (LMTP)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        try:
            with self.app.app_context(), mail_context(self.app):
                known = services.route(address) is not None
        except Exception:
            self.app.logger.exception("recipient %s could not be checked", address)
            return "451 4.3.0 Cannot check this recipient now; try again later"
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


class LongLinesLMTP(LMTP):
    """LMTP that hands lines of any length (within the size limit) to the handler."""

    def __init__(
        self, handler: object, *, data_size_limit: int | None = DATA_SIZE_DEFAULT, **kwargs: object
    ) -> None:
        self.line_length_limit = max(data_size_limit or 0, LMTP.line_length_limit)
        super().__init__(handler, data_size_limit=data_size_limit, **kwargs)


class LmtpController(Controller):
    def factory(self) -> LMTP:
        return LongLinesLMTP(self.handler, **self.SMTP_kwargs)


def controller(app: Flask, *, host: str | None = None, port: int | None = None) -> Controller:
    return LmtpController(
        InboundHandler(app),
        hostname=host or app.config["LMTP_HOST"],
        port=port or app.config["LMTP_PORT"],
        data_size_limit=app.config["MAIL_MAX_SIZE"],
        enable_SMTPUTF8=True,
    )


def run_until_signalled(start: Callable[[], object], stop: Callable[[], object]) -> None:
    """Start a server, and stop it on SIGINT or SIGTERM."""
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stopped.set())
    signal.signal(signal.SIGINT, lambda *_args: stopped.set())
    start()
    try:
        while not stopped.wait(1):
            pass
    finally:
        stop()


def serve(app: Flask) -> None:
    """Run the LMTP server until SIGINT or SIGTERM."""
    server = controller(app)
    run_until_signalled(server.start, server.stop)
