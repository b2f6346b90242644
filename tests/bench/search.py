"""`make bench-search`: full-text search over the large data set (200,000 posts), with
each backend.

Whoosh: rebuilds the index with both cores (once per data set), runs a fixed set of 200
queries in-process and through gunicorn, then queries in each of the six languages
in-process, and measures how soon a new post can be found. PostgreSQL: loads the same
data set (the same seed) into its own database once (`BENCH_POSTGRES_URL`), rebuilds the
tsvectors with a GIN index and runs the same queries, then again with RUM indexes where
the rum extension is installed. Both measure a common word ranked by relevance.
Prints one JSON with both and the ratios of Whoosh's latencies to PostgreSQL's.
"""

import http.client
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

from forum.search.whoosh_backend import SCHEMA_VERSION
from tests.bench.common import BIN, DATA, ROOT, _env, _free_port, _wait_until_up, build_data_set

QUERIES = int(os.environ.get("BENCH_QUERIES", "200"))
# Queries in each language (words, phrases, a rarer word), run in-process.
QUERIES_PER_LANGUAGE = int(os.environ.get("BENCH_QUERIES_PER_LANGUAGE", "40"))
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
)
# The most frequent words of the data set, searched ranked by relevance, top 20.
COMMON_WORDS = 5


def _percentiles(values: list[float]) -> dict:
    cuts = statistics.quantiles(values, n=100)
    return {
        "p50_ms": round(cuts[49], 1),
        "p95_ms": round(cuts[94], 1),
        "p99_ms": round(cuts[98], 1),
    }


SHAPES = [
    "common word",
    "phrase",
    "two words",
    "prefix",
    "rarer word",
    "OR",
    "NOT",
    "board",
    "group, newest",
    "dates",
    "titles",
]


def query_set(board_slugs: list[str]) -> list[dict]:
    """200 queries of every kind, the same every run."""
    from forum.demo.bulk import VOCABULARY, WORDS

    rng = random.Random(4155)
    shapes = [  # in the order of SHAPES
        lambda: {"q": rng.choice(VOCABULARY)},
        lambda: {"q": f'"{rng.choice(VOCABULARY)} {rng.choice(VOCABULARY)}"'},
        lambda: {"q": f"{rng.choice(VOCABULARY)} {rng.choice(VOCABULARY)}"},
        lambda: {"q": f"{rng.choice(VOCABULARY)[:4]}*"},
        lambda: {"q": rng.choice(WORDS[1000:])},
        lambda: {"q": f"{rng.choice(VOCABULARY)} OR {rng.choice(VOCABULARY)}"},
        lambda: {"q": f"{rng.choice(VOCABULARY)} NOT {rng.choice(VOCABULARY)}"},
        lambda: {"q": rng.choice(VOCABULARY), "board": rng.choice(board_slugs)},
        lambda: {"q": rng.choice(VOCABULARY), "group": "civil_society", "sort": "newest"},
        lambda: {"q": rng.choice(VOCABULARY), "from": "2025-01-01", "to": "2025-06-30"},
        lambda: {"q": rng.choice(VOCABULARY), "titles": "1"},
    ]
    return [shapes[index % len(SHAPES)]() for index in range(QUERIES)]


def language_query_set() -> dict[str, list[dict]]:
    """Queries of each language's words, the same every run: a common word, two words,
    a phrase of two, a rarer word."""
    from forum.demo.bulk import LEXICONS
    from forum.demo.vocabulary import LANGUAGE_SHARES, VOCABULARIES

    rng = random.Random(2005)
    queries = {}
    for language in LANGUAGE_SHARES:
        common = VOCABULARIES[language].split()
        rarer = LEXICONS[language][0][1000:]
        joint = "" if language == "zh_Hans" else " "
        queries[language] = []
        for number in range(QUERIES_PER_LANGUAGE):
            first, second, rare = rng.choice(common), rng.choice(common), rng.choice(rarer)
            shapes = [first, f"{first} {second}", f'"{first}{joint}{second}"', rare]
            queries[language].append({"q": shapes[number % len(shapes)]})
    return queries


def reindex(built: dict) -> dict:
    """Rebuild the index with both cores, once per data set (kept in reindex.json)."""
    record = DATA / "reindex.json"
    if record.exists():
        kept = json.loads(record.read_text())
        current = kept.get("data_set") == built and kept.get("schema") == SCHEMA_VERSION
        if current and (DATA / "search-index").exists():
            return kept["figures"]
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "search", "reindex", "--processes", "2"],
        cwd=ROOT, env=_env(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    count = int(result.stdout.split("Indexed ")[1].split()[0])
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures = {
        "posts": count,
        "seconds": round(seconds, 1),
        "posts_per_second": round(count / seconds),
        "peak_memory_mb": round(children),
    }
    record.write_text(json.dumps({"data_set": built, "schema": SCHEMA_VERSION, "figures": figures}))
    return figures


def in_process(
    queries: list[dict], by_language: dict[str, list[dict]], env: dict[str, str]
) -> tuple[dict, list[str]]:
    os.environ.update({k: v for k, v in env.items() if k.startswith("FORUM_")})
    from forum import create_app

    app = create_app()
    client = app.test_client()
    engine = app.extensions["search"]
    latencies, engine_latencies = [], []
    search = engine.search

    def timed_search(query):
        """The engine's share of a page: the search alone, without loading and showing
        the posts."""
        started = time.perf_counter()
        try:
            return search(query)
        finally:
            engine_latencies.append((time.perf_counter() - started) * 1000)

    engine.search = timed_search
    with app.app_context():
        size = engine.size_on_disk()
        for params in queries:
            started = time.perf_counter()
            response = client.get("/search", query_string=params)
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, params
        language_latencies = {}
        for language, language_queries in by_language.items():
            timings = language_latencies[language] = []
            for params in language_queries:
                started = time.perf_counter()
                response = client.get("/search", query_string=params)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, params
    figures = _percentiles(latencies[: len(queries)])
    figures["engine_only"] = _percentiles(engine_latencies[: len(queries)])
    # The first Chinese query loads the segmenter's dictionary (0.6 s): in p99 and max.
    figures["by_language"] = {
        language: {**_percentiles(timings), "max_ms": round(max(timings), 1)}
        for language, timings in language_latencies.items()
    }
    figures["p50_ms_by_shape"] = {
        shape: round(statistics.median(latencies[number :: len(SHAPES)]), 1)
        for number, shape in enumerate(SHAPES)
    }
    figures["index_mb"] = round(size / 2**20, 1)
    figures["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    with app.app_context():
        figures["common_word_by_relevance"] = common_word_ranked(engine)
    return figures, [f"/search?{urlencode(params)}" for params in queries]


def common_word_ranked(engine) -> dict:
    """The data set's most frequent words, each searched ranked by relevance (top 20),
    five times; the slowest and the median, engine only."""
    from forum.demo.bulk import VOCABULARY
    from forum.search.backend import Query

    timings = {}
    for word in VOCABULARY[:COMMON_WORDS]:
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            engine.search(Query(text=word, per_page=20))
            runs.append((time.perf_counter() - started) * 1000)
        timings[word] = round(statistics.median(runs), 1)
    return {"median_ms_by_word": timings, "max_ms": max(timings.values())}


def through_http(paths: list[str], env: dict[str, str]) -> dict:
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    latencies = []
    try:
        _wait_until_up(port, server)
        for path in paths:
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            connection.close()
            latencies.append((time.perf_counter() - started) * 1000)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return _percentiles(latencies)


def new_post_searchable() -> float:
    """Seconds from a new post's commit until a search finds it (Whoosh: the worker's
    round of indexing, done here in-process, without its idle wait; PostgreSQL: none, the
    post's row is written in the transaction that commits it)."""
    from sqlalchemy import select

    from forum import create_app
    from forum.accounts.models import User
    from forum.boards.models import Board
    from forum.extensions import db
    from forum.posts import services as posting
    from forum.search import services as search
    from forum.search.backend import Query

    app = create_app()
    word = f"benchmark{time.time_ns()}"
    with app.test_request_context(method="POST"):
        app.preprocess_request()
        author = db.session.scalars(
            select(User).where(User.email.like("%@bulk.example.org"))
        ).first()
        board = db.session.scalars(select(Board).where(Board.code == "C5")).one()
        posting.create_thread(board, author, title="Benchmark", body=word)
        db.session.commit()
        started = time.perf_counter()
        search.drain()
        query = Query(text=word)
        while not search.backend().search(query).post_ids:
            time.sleep(0.05)
        return round(time.perf_counter() - started, 2)


def postgres_env() -> dict[str, str]:
    return _env(DATABASE_URL=POSTGRES_URL, SEARCH_BACKEND="postgres")


def postgres_data_set(built: dict) -> bool:
    """The same data set in PostgreSQL (the generator is seeded), loaded once per data set
    (kept in postgres.json). Whether the rum extension is there."""
    record = DATA / "postgres.json"
    kept = json.loads(record.read_text()) if record.exists() else {}
    if kept.get("data_set") != built or kept.get("url") != POSTGRES_URL:
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _flask("db", "upgrade")
        _flask("forum", "load-boards")
        _flask("forum", "demo", *[f"--{name}={value}" for name, value in built["size"].items()])
        record.write_text(json.dumps({"data_set": built, "url": POSTGRES_URL}))
    engine = create_engine(POSTGRES_URL)
    with engine.connect() as connection:
        rum = connection.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'rum'"))
    engine.dispose()
    return bool(rum)


def _flask(*args: str) -> str:
    command = [str(BIN / "flask"), "--app", "wsgi", *args]
    options = {"cwd": ROOT, "env": postgres_env(), "check": True, "text": True}
    return subprocess.run(command, capture_output=True, **options).stdout


def postgres_reindex(method: str) -> dict:
    """`flask search reindex` into an index of this kind: its figures."""
    started = time.perf_counter()
    output = _flask("search", "reindex", "--index", method)
    seconds = time.perf_counter() - started
    count = int(output.split("Indexed ")[1].split()[0])
    status = _flask("search", "status")
    return {
        "posts": count,
        "seconds": round(seconds, 1),
        "posts_per_second": round(count / seconds),
        "status": [line for line in status.splitlines() if line.startswith(("Index", "unacc"))],
    }


def ratios(whoosh: dict, postgres: dict) -> dict:
    """Whoosh's latency over PostgreSQL's, for the same queries."""
    ratio = {}
    for part in ("whole_page", "engine_only"):
        ours = whoosh if part == "whole_page" else whoosh["engine_only"]
        theirs = postgres if part == "whole_page" else postgres["engine_only"]
        ratio[part] = {
            key: round(ours[key] / max(theirs[key], 0.1), 1)
            for key in ("p50_ms", "p95_ms", "p99_ms")
        }
    return ratio


def main() -> None:
    built = build_data_set()
    import sqlite3

    with sqlite3.connect(DATA / "forum.sqlite3") as connection:
        slugs = [
            row[0] for row in connection.execute("SELECT slug FROM boards WHERE post_count > 0")
        ]
    queries = query_set(slugs)
    by_language = language_query_set()
    whoosh = {"reindex": reindex(built)}
    whoosh["in_process"], paths = in_process(queries, by_language, _env(SEARCH_BACKEND="whoosh"))
    whoosh["through_http"] = through_http(paths, _env(SEARCH_BACKEND="whoosh"))
    whoosh["new_post_searchable_seconds"] = new_post_searchable()
    rum = postgres_data_set(built)
    gin = {"reindex": postgres_reindex("gin")}
    gin["in_process"], _ = in_process(queries, by_language, postgres_env())
    postgres = gin
    if rum:
        postgres = {"reindex": postgres_reindex("rum")}
        postgres["in_process"], _ = in_process(queries, by_language, postgres_env())
    postgres["through_http"] = through_http(paths, postgres_env())
    postgres["new_post_searchable_seconds"] = new_post_searchable()
    report = {
        "data_set": built,
        "queries": QUERIES,
        "queries_per_language": QUERIES_PER_LANGUAGE,
        "whoosh": whoosh,
        "postgres": postgres,
        "postgres_gin": gin,
        "whoosh_over_postgres": ratios(whoosh["in_process"], postgres["in_process"]),
        "whoosh_over_postgres_gin": ratios(whoosh["in_process"], gin["in_process"]),
        "goals_postgres_in_process": {
            "p50_ms": 10, "p95_ms": 50, "p99_ms": 100, "common_word_ms": 50,
            "reindex_posts_per_second": 5000,
        },
    }  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    sys.exit(main())
