"""`flask mail ...`: digests for cron, delivery, the outbox's state, and mail in.

The group is also registered as a Flask command plugin (see pyproject.toml), so that
`flask mail receive` runs even when the application cannot be created, and can then
answer the MTA with a temporary failure instead of a crash."""

import sys
import traceback

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy import func, select

from forum.extensions import db
from forum.inbound import lmtp, recipients
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
def receive_command(sender: str, recipient: str) -> None:
    """Take in one message from standard input (an MTA's pipe transport); exits 0 when it
    is taken, 67 for an unknown recipient, 75 to be tried again later: also when the
    forum cannot start (an unwritable instance folder, a bad setting) or fails, so that
    the MTA keeps the message instead of bouncing it."""
    try:
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        raw = sys.stdin.buffer.read(app.config["MAIL_MAX_SIZE"] + 1)
        if len(raw) > app.config["MAIL_MAX_SIZE"]:
            click.echo("552 5.3.4 Message too big", err=True)
            sys.exit(lmtp.EX_DATAERR)
        answer = lmtp.deliver(app, raw, envelope_from=sender, recipient=recipient)
    except Exception:
        traceback.print_exc()
        click.echo("451 4.3.0 The forum could not take the message now; try again later", err=True)
        sys.exit(lmtp.EX_TEMPFAIL)
    click.echo(answer.status, err=True)
    sys.exit(answer.exit_code)


@mail_cli.command("check-recipient")
@click.argument("address")
def check_recipient_command(address: str) -> None:
    """Whether ADDRESS is one of the forum's: exits 0 if it is, 1 if not, 75 when the
    forum cannot tell now."""
    try:
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            known = recipients.is_known(address)
    except Exception:
        traceback.print_exc()
        sys.exit(lmtp.EX_TEMPFAIL)
    click.echo("known" if known else "unknown")
    sys.exit(0 if known else 1)


@mail_cli.command("recipient-map")
@click.option("--host", default=None, help="Default: RECIPIENT_MAP_HOST (127.0.0.1).")
@click.option("--port", type=int, default=None, help="Default: RECIPIENT_MAP_PORT (8025).")
@with_appcontext
def recipient_map_command(host: str | None, port: int | None) -> None:
    """Answer the MTA's recipient look-ups (Postfix tcp_table), until stopped."""
    app = current_app._get_current_object()
    host = host or app.config["RECIPIENT_MAP_HOST"]
    port = port or app.config["RECIPIENT_MAP_PORT"]
    click.echo(f"Recipient map (tcp_table) on {host}:{port}", err=True)
    recipients.serve(app, host=host, port=port)
