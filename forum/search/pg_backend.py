"""The PostgreSQL full-text backend: the index is in the database itself.

Each searchable post (published, in a listed thread) has a row in `search_documents`:
the ids a search filters on, its date, and a `tsvector` of its title (weight A), body
(B) and author's name and organisation (C). The row is written in the transaction of
the change that needs it (see `forum.search.services`), so a post is searchable, or
gone from search, the moment the change is committed.

How posts become lexemes is in `forum.search.pg_index`; how a query becomes a tsquery,
in `forum.search.pg_query`.

With the `rum` extension two RUM indexes rank (`vector <=> tsquery`) and sort by date
(`created_at <=| ...`, the date attached to each entry) themselves, reading only the
top of the order; with GIN, every match is read and ranked by `ts_rank_cd`.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Select, text
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.search import pg_index, pg_query, whoosh_query
from forum.search.backend import Document, Query, QuerySyntaxError, Results
from forum.search.whoosh_backend import excerpt

# Matches are counted up to this many (see `forum.search.whoosh_backend.COUNT_LIMIT`).
COUNT_LIMIT = 1000
# The weights of D, C, B and A (unused, author, body, title), as ts_rank_cd takes them.
WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
# Sorting newest first with RUM: the distance of each date to a moment after them all.
LATER_THAN_ALL = datetime(2200, 1, 1, tzinfo=UTC)


class PostgresBackend:
    """Search in `search_documents`. `use_rum=False` ranks and sorts as with GIN even
    where the RUM index exists (the tests try both ways)."""

    def __init__(self, *, use_rum: bool | None = None) -> None:
        self._use_rum = use_rum

    # What the database has -------------------------------------------------------------

    @cached_property
    def index_method(self) -> str:
        """`rum` or `gin`: the access method of the index on the vectors."""
        found = db.session.scalar(
            text(
                "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
                "WHERE c.relname = 'ix_search_documents_vector'"
            )
        )
        return found or "none"

    @cached_property
    def unaccent(self) -> bool:
        """Whether the configurations fold accents (the `unaccent` extension)."""
        query = text(
            "SELECT 1 FROM pg_ts_config_map m JOIN pg_ts_config c ON c.oid = m.mapcfg "
            "JOIN pg_ts_dict d ON d.oid = m.mapdict "
            "WHERE c.cfgname = :name AND d.dictname = 'unaccent' LIMIT 1"
        )
        return db.session.scalar(query, {"name": pg_index.SIMPLE}) is not None

    def rum_installed(self) -> bool:
        return pg_index.extension_schema(db.session, "rum") is not None

    @cached_property
    def _rum(self) -> str:
        """RUM's operators, named with their schema."""
        return f'"{pg_index.extension_schema(db.session, "rum")}"'

    @property
    def uses_rum(self) -> bool:
        return self.index_method == "rum" if self._use_rum is None else self._use_rum

    def describe(self) -> list[str]:
        """What `flask search status` says about this backend."""
        method = "RUM (ranks and sorts by date in the index)" if self.uses_rum else "GIN"
        if self.index_method == "rum" and not self.uses_rum:
            method = "GIN ranking over a RUM index"
        folding = "yes" if self.unaccent else "no (the extension is missing: accents must match)"
        return [
            "Backend:           postgres",
            f"Index:             {method}",
            f"unaccent:          {folding}",
        ]

    # Writing ---------------------------------------------------------------------------

    def index(self, documents: Iterable[Document]) -> None:
        self.apply(documents, ())

    def remove(self, post_ids: Iterable[int]) -> None:
        self.apply((), post_ids)

    def apply(
        self,
        documents: Iterable[Document],
        removals: Iterable[int],
        *,
        session: Session | None = None,
    ) -> None:
        """Write these posts' rows and delete those of the removed ones, in the current
        transaction (of `session`, or the app's)."""
        pg_index.write(session or db.session, documents, removals)

    def rebuild(self, rows: Select, *, method: str | None = None) -> int:
        """Every row again from `rows` (see `pg_index.rebuild`), indexed by `method`
        (`gin`, `rum`, or by default the current index's kind). Returns the count."""
        count = pg_index.rebuild(db.session, rows, method=method or self.index_method)
        self.__dict__.pop("index_method", None)
        self.__dict__.pop("_rum", None)
        return count

    # Reading ---------------------------------------------------------------------------

    def close(self) -> None:
        """Nothing to close: the backend reads through the app's database sessions."""

    def count(self) -> int:
        return db.session.scalar(text("SELECT count(*) FROM search_documents")) or 0

    def size_on_disk(self) -> int:
        """Bytes of the documents' table and its indexes."""
        return db.session.scalar(text("SELECT pg_total_relation_size('search_documents')")) or 0

    def search(self, query: Query) -> Results:
        fell_back = False
        try:
            parsed = whoosh_query.read(query)
        except QuerySyntaxError:
            parsed = whoosh_query.read_plain_words(query)
            fell_back = True
        forms = self._forms(pg_query.texts_of(parsed))
        try:
            tsquery = pg_query.compile_query(parsed, forms, titles_only=query.titles_only)
        except QuerySyntaxError:
            parsed = whoosh_query.read_plain_words(query)
            fell_back = True
            forms = self._forms(pg_query.texts_of(parsed))
            tsquery = pg_query.compile_query(parsed, forms, titles_only=query.titles_only)
        if tsquery is None:
            return Results(post_ids=[], total=0, fell_back_to_words=fell_back)
        where, params = _conditions(query, tsquery)
        first = (query.page - 1) * query.per_page
        post_ids = list(
            db.session.scalars(
                text(
                    f"SELECT post_id FROM search_documents WHERE {where} "
                    f"ORDER BY {self._order(query)} LIMIT :limit OFFSET :offset"
                ),
                {**params, "limit": query.per_page, "offset": first},
            )
        )
        if post_ids and len(post_ids) < query.per_page:
            total, more = first + len(post_ids), False
        else:
            counted = db.session.scalar(
                text(
                    "SELECT count(*) FROM (SELECT 1 FROM search_documents "
                    f"WHERE {where} LIMIT :limit) AS matches"
                ),
                {**params, "limit": COUNT_LIMIT + 1},
            )
            total, more = min(counted, COUNT_LIMIT), counted > COUNT_LIMIT
        return Results(
            post_ids=post_ids,
            total=total,
            more_than_total=more,
            fell_back_to_words=fell_back,
            terms=pg_query.lexemes(forms),
        )

    def _order(self, query: Query) -> str:
        if self.uses_rum:
            # One key alone: a second one makes PostgreSQL sort every match itself.
            if query.newest_first:
                return f"created_at OPERATOR({self._rum}.<=|) CAST(:later AS timestamptz)"
            return f"vector OPERATOR({self._rum}.<=>) CAST(:tsquery AS tsquery)"
        if query.newest_first:
            return "created_at DESC, post_id DESC"
        return (
            f"ts_rank_cd('{WEIGHTS}', vector, CAST(:tsquery AS tsquery), 1) DESC, created_at DESC"
        )

    def _forms(self, texts: list[str]) -> dict[str, list[pg_query.Form]]:
        """Each text's forms in every configuration and as analysed here."""
        if not texts:
            return {}
        rows = db.session.execute(
            text(
                "SELECT t.txt, c.cfg, v.lexeme, v.positions "
                "FROM unnest(CAST(:texts AS text[])) AS t(txt) "
                "CROSS JOIN unnest(CAST(:configurations AS text[])) AS c(cfg) "
                "CROSS JOIN LATERAL unnest(to_tsvector(CAST(c.cfg AS regconfig), t.txt)) AS v"
            ),
            {
                "texts": texts,
                "configurations": [*pg_index.CONFIGURATIONS.values(), pg_index.SIMPLE],
            },
        )
        forms = pg_query.positioned_forms(iter(rows))
        for found in texts:
            for form in pg_query.forms_here(found):
                if form not in forms.setdefault(found, []):
                    forms[found].append(form)
        return forms

    def highlight(
        self, text: str, terms: list[str], *, language: str | None = None, length: int = 300
    ) -> str:
        """The Whoosh backend's excerpts: the application's analysis gives the lexemes
        PostgreSQL gives (Snowball's, folded), so inflected words are marked alike."""
        return excerpt(text, terms, language=language, length=length)


# Posts of some threads (consultations, few): the index keeps no thread, the posts do.
_IN_THREADS = "post_id IN (SELECT id FROM posts WHERE thread_id = ANY(CAST(:{name} AS integer[])))"


def _conditions(query: Query, tsquery: str) -> tuple[str, dict]:
    """The WHERE clause of a search (the reader's hidden boards left out) and its
    parameters."""
    where = ["vector @@ CAST(:tsquery AS tsquery)"]
    params: dict = {"tsquery": tsquery, "later": LATER_THAN_ALL}
    if query.hidden_board_ids:
        hidden = "board_id <> ALL(CAST(:hidden AS integer[]))"
        if query.reachable_thread_ids:
            hidden = f"({hidden} OR {_IN_THREADS.format(name='reachable')})"
            params["reachable"] = list(query.reachable_thread_ids)
        where.append(hidden)
        params["hidden"] = list(query.hidden_board_ids)
    if query.board_id is not None:
        on_board = "board_id = :board_id"
        if query.listed_thread_ids:
            on_board = f"({on_board} OR {_IN_THREADS.format(name='listed')})"
            params["listed"] = list(query.listed_thread_ids)
        where.append(on_board)
        params["board_id"] = query.board_id
    for column, value in (
        ("section_id", query.section_id),
        ("stakeholder_group", query.group),
        ("author_id", query.author_id),
    ):
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    if query.date_from:
        where.append("created_at >= :date_from")
        params["date_from"] = query.date_from
    if query.date_to:
        where.append("created_at <= :date_to")
        params["date_to"] = query.date_to
    return " AND ".join(where), params
