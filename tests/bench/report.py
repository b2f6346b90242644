"""`make bench-report`: compiling a year's report at 200,000 posts.

On the large demo data set (SQLite, built once: see tests.bench.web) and, when its server
answers, the same data set in PostgreSQL (`BENCH_REPORT_POSTGRES_URL`, loaded once): the
facts of the last twelve months for every action line (C7 with its e-applications), for
the busiest board, and for every board at once, each compiled twice (the second from a
warm cache). Prints JSON: seconds (slowest and median), the SQL queries of one
compilation, and the posts counted. The goal is under 2 seconds a report.
"""

import json
import os
import statistics
import subprocess
import time
from datetime import timedelta

from sqlalchemy import create_engine, event, select, text

from tests.bench.web import BIN, DATA, ROOT, _env, build_data_set

POSTGRES_URL = os.environ.get(
    "BENCH_REPORT_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_report"
)
GOAL_SECONDS = 2.0


def _compile_all(database_url: str) -> dict:
    """Compile the year's facts of each action line, of the busiest board and of every
    board, against this database."""
    from forum import create_app
    from forum.boards.models import Board, BoardKind
    from forum.db import utcnow
    from forum.extensions import db
    from forum.reports.facts import compile_facts
    from forum.reports.services import covered_board_ids

    app = create_app({"DATABASE_URL": database_url})
    with app.app_context():
        end = utcnow().date()
        start = end - timedelta(days=364)
        boards = db.session.scalars(
            select(Board).where(Board.kind == BoardKind.ACTION_LINE, Board.parent_id.is_(None))
        ).all()
        busiest = db.session.scalars(select(Board).order_by(Board.post_count.desc())).first()
        every = list(db.session.scalars(select(Board.id)))
        queries = [0]
        event.listen(
            db.engine, "before_cursor_execute", lambda *_a: queries.__setitem__(0, queries[0] + 1)
        )

        def timed(board_ids: list[int]) -> tuple[float, int, int]:
            compile_facts(board_ids, start, end)
            queries[0] = 0
            started = time.perf_counter()
            facts = compile_facts(board_ids, start, end)
            return time.perf_counter() - started, queries[0], facts["activity"]["posts"]

        lines = {board.code: timed(covered_board_ids(board)) for board in boards}
        seconds = [figure[0] for figure in lines.values()]
        busiest_seconds, busiest_queries, busiest_posts = timed([busiest.id])
        all_seconds, all_queries, all_posts = timed(every)
    return {
        "period": [start.isoformat(), end.isoformat()],
        "action_lines": len(lines),
        "slowest_action_line_seconds": round(max(seconds), 3),
        "median_action_line_seconds": round(statistics.median(seconds), 3),
        "queries_per_report": max(figure[1] for figure in lines.values()),
        "posts_in_slowest": lines[max(lines, key=lambda code: lines[code][0])][2],
        "busiest_board": {"code": busiest.code, "seconds": round(busiest_seconds, 3),
                          "queries": busiest_queries, "posts": busiest_posts},
        "every_board": {"seconds": round(all_seconds, 3), "queries": all_queries,
                        "posts": all_posts},
        "under_goal": max([*seconds, busiest_seconds]) < GOAL_SECONDS,
    }  # fmt: skip


def _postgres_answers() -> bool:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def _postgres_data_set(built: dict) -> None:
    """The same data set (the generator is seeded) in PostgreSQL, loaded once."""
    record = DATA / "postgres-report.json"
    kept = json.loads(record.read_text()) if record.exists() else {}
    if kept.get("data_set") == built and kept.get("url") == POSTGRES_URL:
        return
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    env = _env(DATABASE_URL=POSTGRES_URL, SEARCH_BACKEND="postgres")
    for args in (["db", "upgrade"], ["forum", "load-boards"],
                 ["forum", "demo", *[f"--{k}={v}" for k, v in built["size"].items()]]):  # fmt: skip
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                       check=True, capture_output=True)  # fmt: skip
    record.write_text(json.dumps({"data_set": built, "url": POSTGRES_URL}))


def main() -> None:
    built = build_data_set()
    os.environ["FORUM_INSTANCE_PATH"] = str(DATA)
    result = {
        "data_set": {key: built[key] for key in ("size",) if key in built},
        "sqlite": _compile_all(f"sqlite:///{DATA / 'forum.sqlite3'}"),
    }
    if _postgres_answers():
        _postgres_data_set(built)
        result["postgresql"] = _compile_all(POSTGRES_URL)
    else:
        result["postgresql"] = f"skipped: {POSTGRES_URL} does not answer"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
