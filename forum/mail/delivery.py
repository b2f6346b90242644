"""Delivering the outbox: claim a batch, compose it, send it, record what happened.

Claiming marks rows as being sent in one UPDATE and commits it (with `FOR UPDATE SKIP
LOCKED` on PostgreSQL, so several workers, on any machines, take different rows); the
outcome of each message is written and committed as soon as the server has answered it.
A 4xx answer or an unreachable server is retried later with a growing delay; a 5xx
answer is a permanent failure, kept with its reason, and counted as a bounce of the
recipient only when it refused the recipient's address (see `bounces.refuses_recipient`):
a relay, authentication or content refusal would otherwise pause everyone's mail at once.

A claim is a lease: a worker that dies mid-batch leaves the rest of its batch claimed,
and another worker takes them after MAIL_CLAIM_SECONDS; the worker renews the lease of
what it has still to send as it goes, so a long batch is never taken from a live one.
Holding row locks while sending instead (claim and record in one transaction) would need
one open transaction per worker for the whole batch, and one commit at its end: a crash
would then forget every message the batch had sent. With a record per message, what was
sent stays sent; only a message whose acceptance the server had answered and whose
record was not yet written when the worker died can go out twice; none is ever lost.
"""

import mailbox
import re
import smtplib
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from flask import current_app
from flask_mail import BadHeaderError, Message
from sqlalchemy import select, update

from forum.db import utcnow, writing
from forum.extensions import db, mail
from forum.inbound import bounces
from forum.mail.addresses import bounce_address
from forum.mail.compose import Batch, Skip
from forum.mail.message import ForumMessage
from forum.mail.models import OutboxMessage, OutboxStatus

_LINK = re.compile(r"https?://\S+")
# Errors that sending again would only repeat: a header with a line break, an address
# that needs SMTPUTF8 (a non-ASCII local part), a text that cannot be encoded.
UNSENDABLE = (BadHeaderError, UnicodeError, ValueError)


class Transport(Protocol):
    def send(self, message: Message, envelope_from: str) -> None: ...


class TemporaryFailure(Exception):
    """Worth trying again later."""


class ServerUnavailable(TemporaryFailure):
    """The server cannot be reached at all: the rest of the batch waits too."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx); `bounced` when it refused the
    recipient's address, which counts as a bounce."""

    def __init__(self, reason: str, *, bounced: bool = False) -> None:
        super().__init__(reason)
        self.bounced = bounced


class SmtpTransport:
    """Flask-Mail's connection, kept open for a whole batch."""

    def __init__(self) -> None:
        try:
            self.connection = mail.connect().__enter__()
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnavailable(_reason(error)) from error

    def send(self, message: Message, envelope_from: str) -> None:
        try:
            self._declare_8bit(message)
            self.connection.send(message, envelope_from=envelope_from)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise _by_code(code, text, stage="RCPT") from error
        except smtplib.SMTPDataError as error:
            raise _by_code(error.smtp_code, error.smtp_error, stage="DATA") from error
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise ServerUnavailable(_reason(error)) from error

    def _declare_8bit(self, message: Message) -> None:
        """8-bit text to a server that takes it (BODY=8BITMIME, RFC 6152); to another,
        quoted-printable."""
        host = self.connection.host
        if host is None or not isinstance(message, ForumMessage):
            return
        host.ehlo_or_helo_if_needed()
        message.eight_bit = host.has_extn("8bitmime")
        message.mail_options = ["BODY=8BITMIME"] if message.eight_bit else []

    def close(self) -> None:
        with suppress(OSError, smtplib.SMTPException):
            self.connection.__exit__(None, None, None)


class MaildirTransport:
    """No SMTP server configured: messages go to instance/maildir (the admin area shows
    them), and the links they hold are printed, so a newcomer can follow them."""

    def __init__(self) -> None:
        self.box = mailbox.Maildir(maildir_path(), create=True)

    def send(self, message: Message, envelope_from: str) -> None:
        if message.has_bad_headers():
            raise BadHeaderError("a header holds a line break")
        data = message.as_bytes()
        self.box.add(b"Return-Path: <" + envelope_from.encode() + b">\r\n" + data)
        if not current_app.testing:
            links = _LINK.findall(message.body or "")
            shown = " ".join(links[:2]) + (f" (+{len(links) - 2} links)" if len(links) > 2 else "")
            print(f"[mail] to {message.recipients[0]}: {message.subject} {shown}",
                  file=sys.stderr, flush=True)  # fmt: skip

    def close(self) -> None:
        return


def maildir_path() -> Path:
    return Path(current_app.instance_path) / "maildir"


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _by_code(code: int, text: bytes | str, *, stage: str = "") -> Exception:
    """The failure an SMTP answer means; `stage` is "RCPT" or "DATA" when it answered the
    recipient or the message (not the connection or the sender)."""
    detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    reason = f"{code} {detail}"[:500]
    if 400 <= code < 500:
        return TemporaryFailure(reason)
    bounced = (
        500 <= code < 600
        and stage in {"RCPT", "DATA"}
        and bounces.refuses_recipient(code, detail, at_rcpt=stage == "RCPT")
    )
    return PermanentFailure(reason, bounced=bounced)


@contextmanager
def open_transport() -> Iterator[Transport]:
    transport = SmtpTransport() if current_app.config["MAIL_SERVER"] else MaildirTransport()
    try:
        yield transport
    finally:
        transport.close()


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    outcomes: list[dict] = field(default_factory=list)
    # (outbox id, the server's answer) of messages whose recipient the server refused.
    refused: list[tuple[int, str]] = field(default_factory=list)
    # How many outcomes are written already, and when the batch's lease was last renewed.
    written: int = 0
    claimed_at: datetime = field(default_factory=utcnow)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped


def release_stale_claims() -> int:
    """Offer again what a worker claimed and never finished (it died)."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < cutoff)
        .values(status=OutboxStatus.QUEUED, claimed_at=None)
    )
    return result.rowcount


def claim(limit: int) -> list[OutboxMessage]:
    """Mark up to `limit` due rows as being sent by this worker, and commit."""
    now = utcnow()
    db.session.commit()
    with writing():
        release_stale_claims()
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = db.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()))
            .values(status=OutboxStatus.SENDING, claimed_at=now)
            .returning(OutboxMessage.id)
        ).all()
        db.session.commit()
    if not claimed:
        return []
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
        )
    )


def _retry_delay(attempts: int) -> timedelta:
    config = current_app.config
    seconds = config["MAIL_RETRY_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["MAIL_RETRY_MAX_SECONDS"]))


def _outcome(report: Report, row: OutboxMessage, status: OutboxStatus, **values: object) -> None:
    setattr(report, _COUNTERS[status], getattr(report, _COUNTERS[status]) + 1)
    report.outcomes.append({"id": row.id, "status": status, "claimed_at": None, **values})


_COUNTERS = {
    OutboxStatus.SENT: "sent",
    OutboxStatus.QUEUED: "retried",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.SKIPPED: "skipped",
}


def _temporary(report: Report, row: OutboxMessage, reason: str) -> None:
    attempts = row.attempts + 1
    if attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        _outcome(report, row, OutboxStatus.FAILED, attempts=attempts,
                 last_error=f"gave up after {attempts} attempts: {reason}")  # fmt: skip
        return
    _outcome(report, row, OutboxStatus.QUEUED, attempts=attempts, last_error=reason,
             next_attempt_at=utcnow() + _retry_delay(attempts))  # fmt: skip


def _failed(report: Report, row: OutboxMessage, reason: str) -> None:
    _outcome(report, row, OutboxStatus.FAILED, attempts=row.attempts + 1, last_error=reason)


def _send_batch(rows: list[OutboxMessage], report: Report) -> None:
    batch = Batch(rows).load()
    pending = list(rows)
    try:
        with open_transport() as transport:
            while pending:
                row = pending.pop(0)
                _send_one(batch, row, transport, report)
                _write_outcomes(report, pending)
    except ServerUnavailable as error:
        for row in pending:
            _temporary(report, row, str(error))


def _send_one(batch: Batch, row: OutboxMessage, transport: Transport, report: Report) -> None:
    try:
        message = batch.compose(row)
    except Skip as skip:
        _outcome(report, row, OutboxStatus.SKIPPED, last_error=str(skip))
        return
    except UNSENDABLE as error:
        _failed(report, row, f"cannot be written as mail: {_reason(error)}")
        return
    except Exception as error:
        current_app.logger.exception("composing outbox message %s failed", row.id)
        _temporary(report, row, f"could not be composed: {_reason(error)}")
        return
    try:
        transport.send(message, bounce_address(row.id))
    except ServerUnavailable as error:
        _temporary(report, row, str(error))
        raise
    except TemporaryFailure as error:
        _temporary(report, row, str(error))
    except PermanentFailure as error:
        _failed(report, row, str(error))
        if error.bounced:
            report.refused.append((row.id, str(error)))
    except UNSENDABLE as error:
        _failed(report, row, f"cannot be written as mail: {_reason(error)}")
    else:
        _outcome(report, row, OutboxStatus.SENT, attempts=row.attempts + 1,
                 sent_at=utcnow(), subject=message.subject[:500], last_error="")  # fmt: skip


@contextmanager
def _keeping_loaded() -> Iterator[None]:
    """Commits that leave the batch's loaded rows, posts and people as they are (nothing
    they hold is changed by these commits), so composing goes on without reloading them."""
    session = db.session()
    saved = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = saved


def _write_outcomes(report: Report, pending: list[OutboxMessage]) -> None:
    """Commit the outcomes not yet written, and renew the lease on the rest of the batch
    once a third of it has passed."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    renew = [row.id for row in pending] if now - report.claimed_at > lease / 3 else []
    with _keeping_loaded():
        db.session.commit()
        with writing():
            _update_outcomes(report.outcomes[report.written :])
            if renew:
                db.session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id.in_(renew), OutboxMessage.status == OutboxStatus.SENDING
                    )
                    .values(claimed_at=now)
                )
                report.claimed_at = now
            db.session.commit()
    report.written = len(report.outcomes)


def deliver_due(limit: int | None = None) -> Report:
    """Send one batch of what is due; returns what became of it."""
    report = Report()
    rows = claim(limit or current_app.config["MAIL_BATCH_SIZE"])
    if not rows:
        return report
    report.claimed_at = utcnow()
    try:
        _send_batch(rows, report)
    finally:
        with writing():
            db.session.rollback()
            _record(report)
    return report


def _update_outcomes(outcomes: list[dict]) -> None:
    """Write these outcomes at once (rows of one status share their columns)."""
    by_columns: dict[tuple, list[dict]] = {}
    for outcome in outcomes:
        by_columns.setdefault(tuple(sorted(outcome)), []).append(outcome)
    for same_columns in by_columns.values():
        db.session.execute(update(OutboxMessage), same_columns)


def _record(report: Report) -> None:
    """Write the outcomes not written yet (the rows a failure left), and count the
    recipients the server refused as bounces."""
    _update_outcomes(report.outcomes[report.written :])
    report.written = len(report.outcomes)
    for outbox_id, reply in report.refused:
        bounces.record_refusal(outbox_id, reply)
    db.session.commit()


def deliver_all(limit: int | None = None) -> Report:
    """Deliver batch after batch until nothing is due (for tests and the command line)."""
    total = Report()
    while True:
        report = deliver_due(limit)
        if not report.handled:
            return total
        for name in ("sent", "retried", "failed", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(report, name))


def retry_now() -> int:
    """Make every message waiting for a retry due at once (admin area)."""
    with writing():
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED)
            .values(next_attempt_at=utcnow())
        )
        db.session.commit()
    return result.rowcount
