"""`flask forum ...`: the board catalogue, demo data and admin accounts."""

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from forum.accounts.models import StakeholderGroup
from forum.boards.services import CatalogueError, load_boards
from forum.extensions import db
from forum.settings import CONFIG_DIR


@click.group("forum")
def forum_cli() -> None:
    """Manage the forum's boards, accounts and demo data."""


@forum_cli.command("load-boards")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def load_boards_command(path: Path | None) -> None:
    """Create or update the boards from the catalogue in config/ (safe to run again)."""
    path = path or CONFIG_DIR / current_app.config["BOARDS_FILE"]
    try:
        report = load_boards(path)
    except CatalogueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        f"Boards: {len(report.created)} created, {len(report.updated)} updated"
        + ("" if report.changed else " (nothing to change)")
    )
    for code in report.not_in_file:
        click.echo(f"  {code} is in the database but not in {path.name}; left as it is.")


@forum_cli.command("demo")
@click.option("--users", type=click.IntRange(min=1), default=None, help="Bulk: this many users.")
@click.option(
    "--threads", type=click.IntRange(min=1), default=None, help="Bulk: this many threads."
)
@click.option("--posts", type=click.IntRange(min=1), default=None, help="Bulk: this many posts.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the forum has content already.")
@click.option("--seed", type=int, default=2005, help="Random seed, for repeatable data.")
@with_appcontext
def demo_command(
    users: int | None, threads: int | None, posts: int | None, if_empty: bool, seed: int
) -> None:
    """Fill the forum with believable content (or, with --users/--threads/--posts, a lot of it)."""
    from forum.demo import bulk, content

    if content.has_content():
        if if_empty:
            content.print_admin_hint()
            return
        if users is None:
            raise click.ClickException(
                "The forum has content already; the demo is for a fresh one."
            )
    if users or threads or posts:
        figures = bulk.build(
            users=users or 1000,
            threads=threads or 1000,
            posts=posts or 10000,
            seed=seed,
            progress=lambda text: click.echo(text, err=True),
        )
        db.session.commit()
        click.echo(figures.summary())
        return
    admin_email, password = content.build(seed=seed)
    db.session.commit()
    content.remember_admin(admin_email, password)
    content.print_admin_hint()


@forum_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator")
@with_appcontext
def create_admin_command(email: str, name: str) -> None:
    """Create an admin account (or make an existing one admin); prints a new password."""
    from forum.accounts import services
    from forum.db import utcnow

    user = services.find_user_by_email(email)
    password = secrets.token_urlsafe(12)
    if user is None:
        user = services.register_user(
            email=email,
            password=password,
            display_name=name,
            stakeholder_group=StakeholderGroup.INTERGOVERNMENTAL,
            organisation="",
            country=None,
        )
        click.echo(f"Created {email} with password: {password}")
    else:
        click.echo(f"{email} exists; made admin (password unchanged).")
    user.is_admin = True
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
