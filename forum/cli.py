"""`flask forum ...`: the board catalogue, demo data and admin accounts."""

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from forum.accounts.models import StakeholderGroup, User, email_key
from forum.boards.models import Board, Role
from forum.boards.queries import board_by_slug
from forum.boards.services import CatalogueError, load_boards
from forum.db import mark_writing, unmark_writing
from forum.extensions import db
from forum.posts import counters
from forum.settings import CONFIG_DIR
from forum.site.services import load_default_pages


@click.group("forum")
@click.pass_context
def forum_cli(ctx: click.Context) -> None:
    """Manage the forum's boards, accounts and demo data."""
    token = mark_writing()
    ctx.call_on_close(lambda: unmark_writing(token))


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


@forum_cli.command("load-pages")
@with_appcontext
def load_pages_command() -> None:
    """Store the default About, Code of conduct, Privacy, Terms and Contact pages in every
    language that has none yet (safe to run again: admins' texts are kept)."""
    written = load_default_pages()
    db.session.commit()
    click.echo(f"Site pages: {len(written)} written" + ("" if written else " (all there already)"))


@forum_cli.command("demo")
@click.option("--users", type=click.IntRange(min=1), default=None, help="Bulk: this many users.")
@click.option(
    "--threads", type=click.IntRange(min=1), default=None, help="Bulk: this many threads."
)
@click.option("--posts", type=click.IntRange(min=1), default=None, help="Bulk: this many posts.")
@click.option(
    "--posts-per-thread",
    type=click.IntRange(min=1),
    default=None,
    help="Bulk: every thread this long (instead of --posts).",
)
@click.option("--board", "board_code", default=None, help="Bulk: all threads in this board (code).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the forum has content already.")
@click.option("--seed", type=int, default=2005, help="Random seed, for repeatable data.")
@with_appcontext
def demo_command(
    users: int | None,
    threads: int | None,
    posts: int | None,
    posts_per_thread: int | None,
    board_code: str | None,
    if_empty: bool,
    seed: int,
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
    if users or threads or posts or posts_per_thread:
        figures = bulk.build(
            users=users or 1000,
            threads=threads or 1000,
            posts=posts or 10000,
            seed=seed,
            progress=lambda text: click.echo(text, err=True),
            board_code=board_code,
            posts_per_thread=posts_per_thread,
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


def _admin_for_command_line(email: str | None) -> User:
    """The admin in whose name a command acts (recorded in the moderation log)."""
    query = select(User).where(User.is_admin.is_(True)).order_by(User.id)
    if email:
        query = query.where(User.email == email_key(email))
    admin = db.session.scalars(query).first()
    if admin is None:
        raise click.ClickException(
            "No such admin account: create one with `flask forum create-admin EMAIL`."
        )
    return admin


def _board_by_slug_or_fail(slug: str) -> Board:
    board = board_by_slug(slug)
    if board is None:
        raise click.ClickException(f"No board has the slug {slug!r}.")
    return board


_role_option = click.option(
    "--role", type=click.Choice(["coordinator", "member"]), required=True, help="The role."
)
_board_option = click.option("--board", "slug", required=True, help="The board's slug.")
_by_option = click.option("--by", "by_email", default=None, help="Admin acting (default: first).")


@forum_cli.command("grant")
@_board_option
@_role_option
@click.argument("email")
@click.option("--name", default="", help="For an address without account: the person's name.")
@click.option("--organisation", default="")
@click.option(
    "--group",
    type=click.Choice([group.value for group in StakeholderGroup]),
    default=None,
    help="For an address without account: the person's stakeholder group.",
)
@_by_option
@with_appcontext
def grant_command(
    slug: str,
    role: str,
    email: str,
    name: str,
    organisation: str,
    group: str | None,
    by_email: str | None,
) -> None:
    """Make EMAIL coordinator or member of a board, inviting the address if it has no account."""
    from forum.moderation import services

    admin = _admin_for_command_line(by_email)
    board = _board_by_slug_or_fail(slug)
    try:
        person, invited = services.grant_role_by_email(
            board, email, Role(role), admin, display_name=name, organisation=organisation,
            stakeholder_group=StakeholderGroup(group) if group else None,
        )  # fmt: skip
    except services.AlreadyHandled:
        click.echo(f"{email} is {role} of {board.code} already.")
        return
    except services.ModerationError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    if invited:
        click.echo(f"Invited {person.email} (an email-only account).")
    click.echo(f"{person.email} is {role} of {board.code}")


@forum_cli.command("revoke")
@_board_option
@_role_option
@click.argument("email")
@_by_option
@with_appcontext
def revoke_command(slug: str, role: str, email: str, by_email: str | None) -> None:
    """Take a role on a board away from EMAIL."""
    from forum.accounts.services import find_user_by_email
    from forum.moderation import services

    admin = _admin_for_command_line(by_email)
    board = _board_by_slug_or_fail(slug)
    person = find_user_by_email(email)
    if person is None:
        raise click.ClickException(f"No account uses {email}.")
    try:
        services.revoke_role(board, person, Role(role), admin)
    except services.ModerationError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{person.email} is no longer {role} of {board.code}")


@forum_cli.command("recount")
@with_appcontext
def recount_command() -> None:
    """Recount every thread's, board's and person's posts and last posts from the posts."""
    corrected = counters.recount_everything()
    db.session.commit()
    click.echo(
        "Corrected: " + ", ".join(f"{count} {name}" for name, count in corrected.items()) + "."
    )
