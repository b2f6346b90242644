"""`flask mail ...`: digests for cron, one delivery round, and the outbox's state."""

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from forum.extensions import db
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
