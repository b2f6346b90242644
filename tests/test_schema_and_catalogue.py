"""The migrations agree with the models, and the board catalogue loads idempotently."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from forum.boards.models import Board, BoardKind, PostPolicy, ReadPolicy, Section
from forum.boards.services import load_boards
from forum.extensions import db
from forum.posts.models import Post
from forum.search.models import include_object
from forum.settings import CONFIG_DIR
from tests.helpers import board


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": True, "include_object": include_object},
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_catalogue_has_every_action_line_and_bureau():
    codes = set(db.session.scalars(select(Board.code)))
    action_lines = {f"C{n}" for n in range(1, 12)} | {"B", "D", "E"}
    e_applications = {
        "C7-EGOV",
        "C7-EBUS",
        "C7-ELEARN",
        "C7-EHEALTH",
        "C7-EEMPLOY",
        "C7-EENV",
        "C7-EAGRI",
        "C7-ESCI",
    }
    assert action_lines | e_applications | {"GB", "CSB", "BB", "COORD"} == codes
    assert all(board(code).parent == board("C7") for code in e_applications)
    c5 = board("C5")
    assert c5.slug == "c5-building-confidence-and-security"
    assert (c5.read_policy, c5.post_policy) == (ReadPolicy.PUBLIC, PostPolicy.VERIFIED)
    assert "ITU" in c5.facilitators
    assert (board("CSB").kind, board("CSB").post_policy) == (BoardKind.BUREAU, PostPolicy.MEMBERS)
    assert board("COORD").read_policy == ReadPolicy.MEMBERS


def test_load_boards_twice_changes_nothing(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["forum", "load-boards"])
    assert result.exit_code == 0, result.output
    assert "nothing to change" in result.output


def test_load_boards_updates_edited_titles_and_deletes_nothing(app, tmp_path: Path):
    text = (CONFIG_DIR / "boards.toml").read_text()
    edited = text.replace('title = "Media"', 'title = "Media and journalism"')
    edited = edited[: edited.rindex("[[sections.boards]]")]  # drops the last board, COORD
    path = tmp_path / "boards.toml"
    path.write_text(edited)
    before = db.session.scalar(select(func.count()).select_from(Board))
    result = app.test_cli_runner().invoke(args=["forum", "load-boards", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    assert "COORD is in the database but not in boards.toml" in result.output
    db.session.expire_all()
    assert board("C9").title == "Media and journalism"
    assert db.session.scalar(select(func.count()).select_from(Board)) == before


def test_broken_catalogue_is_a_clear_error(app, tmp_path: Path):
    path = tmp_path / "boards.toml"
    translations = "".join(
        f'[sections.translations.{code}]\ntitle = "X"\n'
        for code in ("ar", "zh_Hans", "fr", "ru", "es")
    )
    path.write_text(
        f'[[sections]]\nslug = "x"\ntitle = "X"\n{translations}'
        '[[sections.boards]]\ncode = "Z"\nslug = "z"\ntitle = "Z"\nread = "everyone"\n'
    )
    result = app.test_cli_runner().invoke(args=["forum", "load-boards", "--file", str(path)])
    assert result.exit_code != 0
    assert "board Z" in result.output
    assert "everyone" in result.output
    assert db.session.scalar(select(Section).where(Section.slug == "x")) is None


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite settings")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_migrations_go_down_and_up_again_with_data(app, tmp_path: Path, monkeypatch):
    """Every migration after the first can be undone and redone on a database that holds
    content (SQLite rebuilds tables to alter them, with foreign keys in force)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import create_engine, text

    from forum import create_app
    from forum.demo import content

    url = app.config["DATABASE_URL"]
    scratch = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    if url.startswith("postgresql"):
        admin_engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS forum_roundtrip"))
            connection.execute(text("CREATE DATABASE forum_roundtrip"))
        scratch = url.rsplit("/", 1)[0] + "/forum_roundtrip"
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    other = create_app({"TESTING": True, "DATABASE_URL": scratch, "SERVER_NAME": "forum.test"})
    test_session = db.session
    try:
        with other.test_request_context():
            db.session = db._make_scoped_session({})
            upgrade()
            load_boards(CONFIG_DIR / "boards.toml")
            content.build(seed=1)
            db.session.commit()
            posts_before = db.session.scalar(select(func.count()).select_from(Post))
            db.session.remove()
            downgrade(revision=_first_revision())
            upgrade()
            assert db.session.scalar(select(func.count()).select_from(Post)) == posts_before
            db.session.remove()
            db.engine.dispose()
    finally:
        db.session = test_session
        if url.startswith("postgresql"):
            with admin_engine.connect() as connection:
                connection.execute(text("DROP DATABASE IF EXISTS forum_roundtrip"))
            admin_engine.dispose()


def _first_revision() -> str:
    from alembic.script import ScriptDirectory

    from forum.settings import PROJECT_ROOT

    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    return script.get_base()
