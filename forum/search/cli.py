"""`flask search ...`: rebuild the index, drain its queue, and report on it."""

import sys
import time

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from forum.extensions import db
from forum.permissions import listed_threads_clause
from forum.posts.models import Post, PostStatus
from forum.search import services
from forum.search.models import IndexQueueItem
from forum.search.pg_backend import PostgresBackend
from forum.search.whoosh_backend import IndexBusy


@click.group("search")
def search_cli() -> None:
    """The full-text search index."""


def _published() -> int:
    query = (
        select(func.count())
        .select_from(Post)
        .join(Post.thread)
        .where(Post.status == PostStatus.PUBLISHED, listed_threads_clause())
    )
    return db.session.scalar(query) or 0


@search_cli.command("reindex")
@click.option("--processes", type=click.IntRange(1, 16), default=2, show_default=True)
@click.option(
    "--index",
    "method",
    type=click.Choice(["gin", "rum"]),
    help="PostgreSQL: the kind of index to build (by default, the current one's).",
)
@with_appcontext
def reindex_command(processes: int, method: str | None) -> None:
    """Rebuild the index from the database (the site stays up)."""
    started = time.perf_counter()
    engine = services.backend()
    if isinstance(engine, PostgresBackend):
        if method == "rum" and not engine.rum_installed():
            raise click.ClickException(
                "The rum extension is not installed: a superuser must run CREATE EXTENSION rum."
            )
        click.echo("Indexing posts in PostgreSQL ...", err=True)
        count = engine.rebuild(services.document_rows(), method=method)
        db.session.commit()
    else:
        count = _rebuild_whoosh(engine, processes)
    seconds = time.perf_counter() - started
    click.echo(
        f"Indexed {count} posts in {seconds:.1f} s ({count / max(seconds, 1e-9):.0f} posts/s)."
    )


def _rebuild_whoosh(engine, processes: int) -> int:
    """Build a new index aside, then swap it in."""
    total = _published()
    queued_before = db.session.scalar(select(func.max(IndexQueueItem.id))) or 0
    with click.progressbar(length=total, label="Indexing posts", file=sys.stderr) as bar:

        def batches():
            for batch in services.all_documents():
                bar.update(len(batch))
                yield batch

        count = engine.rebuild(batches(), processes=processes)
    db.session.execute(IndexQueueItem.__table__.delete().where(IndexQueueItem.id <= queued_before))
    db.session.commit()
    return count


@search_cli.command("work")
@click.option("--once", is_flag=True, help="Drain the queue once and stop.")
@click.option("--interval", type=float, default=1.0, show_default=True)
@with_appcontext
def work_command(once: bool, interval: float) -> None:
    """Keep the index in step with the queue (the general worker does this too)."""
    while True:
        try:
            done = services.drain()
        except IndexBusy:
            db.session.rollback()
            done = 0
        if done:
            click.echo(f"Indexed {done} queued changes.")
        if once and not done:
            return
        if not done:
            time.sleep(interval)


@search_cli.command("status")
@with_appcontext
def status_command() -> None:
    """The engine, documents in the index against published posts, and the queue."""
    engine = services.backend()
    if isinstance(engine, PostgresBackend):
        for line in engine.describe():
            click.echo(line)
    else:
        click.echo("Backend:           whoosh")
    indexed, published = engine.count(), _published()
    click.echo(f"Documents indexed: {indexed}")
    click.echo(f"Published posts:   {published}")
    if isinstance(engine, PostgresBackend):
        if indexed != published:
            click.echo("Some posts are not in the index: run `flask search reindex`.")
        return
    queued = db.session.scalar(select(func.count()).select_from(IndexQueueItem)) or 0
    click.echo(f"Waiting in queue:  {queued}")
    if not engine.schema_is_current():
        click.echo("The index was built with another schema: run `flask search reindex`.")
