"""`flask mail ...`: digests for cron, delivery, the outbox's state, and mail in."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from forum.extensions import db
from forum.inbound import lmtp
from forum.mail import delivery, digests, mail_context
from forum.mail.models import OutboxMessage


@click.group("mail")
def mail_cli() -> None:
    """Email: digests, delivery and the outbox."""


@mail_cli.command("digests")
@click.option("--period", type=click.Choice(list(digests.PERIODS)), required=True)
@click.option("--force", is_flag=True, help="Everyone now, whatever their chosen hour.")
@with_appcontext
def digests_command(period: str, force: bool) -> None:
    """Queue the digests of this period that are due now (the worker does this itself)."""
    with mail_context(current_app._get_current_object()):
        run = digests.queue_due(period, force=force)
    click.echo(
        f"{run.queued} {period} digests queued for {run.due} people due "
        f"({run.posts} posts, publications up to {run.horizon})."
    )


@mail_cli.command("deliver")
@with_appcontext
def deliver_command() -> None:
    """Deliver everything that is due now, then stop."""
    with mail_context(current_app._get_current_object()):
        report = delivery.deliver_all()
    click.echo(
        f"{report.sent} sent, {report.retried} to retry, {report.failed} failed, "
        f"{report.skipped} skipped."
    )


@mail_cli.command("status")
@with_appcontext
def status_command() -> None:
    """How many messages are in each state."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    for status, count in sorted(rows):
        click.echo(f"{status.value:8} {count}")


@mail_cli.command("lmtp")
@with_appcontext
def lmtp_command() -> None:
    """Receive mail from the MTA over LMTP (LMTP_HOST:LMTP_PORT), until stopped."""
    app = current_app._get_current_object()
    click.echo(f"LMTP listening on {app.config['LMTP_HOST']}:{app.config['LMTP_PORT']}", err=True)
    lmtp.serve(app)


@mail_cli.command("receive")
@click.option("--sender", default="", help="The envelope sender (Postfix: ${sender}).")
@click.option("--recipient", required=True, help="The recipient (Postfix: ${recipient}).")
@with_appcontext
def receive_command(sender: str, recipient: str) -> None:
    """Take in one message from standard input (an MTA's pipe transport); exits 0 when it
    is taken, 67 for an unknown recipient, 75 to be tried again later."""
    app = current_app._get_current_object()
    raw = sys.stdin.buffer.read(app.config["MAIL_MAX_SIZE"] + 1)
    if len(raw) > app.config["MAIL_MAX_SIZE"]:
        click.echo("552 5.3.4 Message too big", err=True)
        sys.exit(lmtp.EX_DATAERR)
    answer = lmtp.deliver(app, raw, envelope_from=sender, recipient=recipient)
    click.echo(answer.status, err=True)
    sys.exit(answer.exit_code)
