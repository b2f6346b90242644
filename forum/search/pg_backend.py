"""The PostgreSQL full-text backend: the index is in the database itself.

Each searchable post (published, in a listed thread) has a row in `search_documents`:
the ids a search filters on, its date, and a `tsvector` of its title (weight A), body
(B) and author's name and organisation (C). The row is written in the transaction of
the change that needs it (see `forum.search.services`), so a post is searchable, or
gone from search, the moment the change is committed.

Posts in English, French, Spanish and Russian are analysed by PostgreSQL (the forum's
configurations, `forum_english` and the others, copies of PostgreSQL's with `unaccent`
before the stemmer where the extension could be created); posts in other languages by
`forum_simple` (case and accents folded), except Arabic and Chinese, which are analysed
here by `forum.search.analysis` (Arabic normalised and light-stemmed, Chinese segmented:
PostgreSQL's Snowball Arabic stems "إنترنت" and "بالإنترنت" apart, and it cannot
segment Chinese) and given to PostgreSQL as lexemes.

With the `rum` extension two RUM indexes rank (`vector <=> tsquery`) and sort by date
(`created_at <=| ...`, the date attached to each entry) themselves, reading only the
top of the order; with GIN, every match is read and ranked by `ts_rank_cd`.
"""

import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Select, text
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.search import analysis, pg_query, whoosh_query
from forum.search.backend import Document, Query, QuerySyntaxError, Results
from forum.search.whoosh_backend import excerpt

# The configuration of each language PostgreSQL analyses; any other is `forum_simple`.
CONFIGURATIONS = {
    "en": "forum_english",
    "fr": "forum_french",
    "es": "forum_spanish",
    "ru": "forum_russian",
}
SIMPLE = "forum_simple"
# Posts in these languages, and any with Chinese ideographs, are analysed here
# (`forum.search.analysis`), which segments the ideographs.
ANALYSED_HERE = ("ar", "zh_Hans")
_HAN = re.compile(f"[{analysis._HAN}]")
_HAN_SQL = f"[{analysis._HAN}]"
# Matches are counted up to this many (see `forum.search.whoosh_backend.COUNT_LIMIT`).
COUNT_LIMIT = 1000
# Weights of D, C, B and A (author, -, body, title) in ranking, as ts_rank_cd takes them.
WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
# The largest position a tsvector holds, and the most positions a lexeme keeps.
LAST_POSITION = 16383
MOST_POSITIONS = 255
# Sorting newest first with RUM: the distance of each date to a moment after them all.
LATER_THAN_ALL = datetime(2200, 1, 1, tzinfo=UTC)

_CONFIGURATION_OF = (
    "CASE {language} "
    + " ".join(f"WHEN '{code}' THEN '{name}'::regconfig" for code, name in CONFIGURATIONS.items())
    + f" ELSE '{SIMPLE}'::regconfig END"
)


def _vector_sql(language: str, title: str, body: str, author: str) -> str:
    """SQL for the tsvector of a post's title, body and author in its language."""
    configuration = _CONFIGURATION_OF.format(language=language)
    return (
        f"setweight(to_tsvector({configuration}, {title}), 'A') || "
        f"setweight(to_tsvector({configuration}, {body}), 'B') || "
        f"setweight(to_tsvector({configuration}, {author}), 'C')"
    )


def _plain_text_sql(html: str) -> str:
    """SQL for the text of HTML the forum sanitised (tags gone, its entities decoded):
    what `forum.search.services.plain_text` does."""
    stripped = f"regexp_replace({html}, '<[^>]+>', ' ', 'g')"
    for entity, character in [
        ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "''"), ("&#x27;", "''"),
        ("&nbsp;", " "), ("&amp;", "&"),
    ]:  # fmt: skip
        stripped = f"replace({stripped}, '{entity}', '{character}')"
    return stripped


def vector_here(title: str, body: str, author: str, language: str) -> str:
    """The tsvector (as its text) of a post analysed by `forum.search.analysis`, laid out
    as PostgreSQL lays out title || body || author."""
    positions: dict[str, list[str]] = {}
    offset = 0
    for part, weight in ((title, "A"), (body, "B"), (author, "C")):
        last = 0
        for token in analysis.tokens(part, language):
            position = min(offset + token.position + 1, LAST_POSITION)
            last = max(last, position)
            if len(token.text.encode()) > pg_query.LONGEST_LEXEME:
                continue
            found = positions.setdefault(token.text, [])
            entry = f"{position}{weight}"
            if len(found) < MOST_POSITIONS and (not found or found[-1] != entry):
                found.append(entry)
        offset = max(offset, last)
    return " ".join(
        f"'{_escaped(lexeme)}':{','.join(found)}" for lexeme, found in positions.items()
    )


def _escaped(lexeme: str) -> str:
    return lexeme.replace("\\", "\\\\").replace("'", "''")


_INSERT = f"""
INSERT INTO search_documents
    (post_id, board_id, section_id, author_id, stakeholder_group, created_at, vector)
SELECT d.post_id, d.board_id, d.section_id, d.author_id, d.stakeholder_group, d.created_at,
    CASE WHEN d.vector IS NOT NULL THEN CAST(d.vector AS tsvector)
    ELSE {_vector_sql("d.language", "d.title", "d.body", "d.author")} END
FROM unnest(
    CAST(:post_ids AS integer[]), CAST(:board_ids AS integer[]),
    CAST(:section_ids AS integer[]), CAST(:author_ids AS integer[]),
    CAST(:groups AS text[]), CAST(:created AS timestamptz[]), CAST(:languages AS text[]),
    CAST(:titles AS text[]), CAST(:bodies AS text[]), CAST(:authors AS text[]),
    CAST(:vectors AS text[])
) AS d(post_id, board_id, section_id, author_id, stakeholder_group, created_at, language,
       title, body, author, vector)
"""


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
        return db.session.scalar(query, {"name": SIMPLE}) is not None

    def rum_installed(self) -> bool:
        query = text("SELECT 1 FROM pg_extension WHERE extname = 'rum'")
        return db.session.scalar(query) is not None

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
        session = session or db.session
        documents = list(documents)
        gone = {document.post_id for document in documents} | set(removals)
        if gone:
            session.execute(
                text("DELETE FROM search_documents WHERE post_id = ANY(CAST(:ids AS integer[]))"),
                {"ids": sorted(gone)},
            )
        if documents:
            session.execute(text(_INSERT), _columns(documents))

    def rebuild(self, rows: Select, *, method: str | None = None) -> int:
        """Every row again from `rows` (the columns of `forum.search.services`' document
        select), into a new table indexed by `method` (`gin`, `rum`, or by default the
        current index's) that replaces the old one when the current transaction
        commits. Meanwhile searches read the old table, and changes to posts wait (the
        old table is locked against writes) and then apply to the new one.

        PostgreSQL analyses most posts in one statement while a thread of this process
        analyses the Arabic and Chinese ones (the statement's wait frees the interpreter
        for it), and the index is built once all rows are in, which is several times
        faster than adding rows to an index. Returns the count."""
        method = method or self.index_method
        connection = db.session.connection()
        compiled = rows.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        source = f"({compiled}) AS p"
        here = (
            f"(p.language IN ({', '.join(repr(code) for code in ANALYSED_HERE)}) "
            f"OR p.title ~ '{_HAN_SQL}' OR p.body_html ~ '{_HAN_SQL}')"
        )
        body = _plain_text_sql("p.body_html")
        author = "p.display_name || ' ' || p.organisation"
        columns = "p.id, p.board_id, p.section_id, p.author_id, p.stakeholder_group, p.created_at"
        db.session.execute(text("LOCK TABLE search_documents IN SHARE MODE"))
        db.session.execute(
            text("CREATE TABLE search_documents_new (LIKE search_documents INCLUDING DEFAULTS)")
        )
        texts = db.session.execute(
            text(
                f"SELECT {columns}, p.language, p.title, {body}, {author} "
                f"FROM {source} WHERE {here}"
            )
        ).all()
        lines: list[str] = []
        worker = threading.Thread(target=_copy_lines, args=(texts, lines))
        worker.start()
        try:
            counted = db.session.execute(
                text(
                    "INSERT INTO search_documents_new (post_id, board_id, section_id, "
                    f"author_id, stakeholder_group, created_at, vector) SELECT {columns}, "
                    f"{_vector_sql('p.language', 'p.title', body, author)} "
                    f"FROM {source} WHERE NOT {here}"
                )
            ).rowcount
        finally:
            worker.join()
        copy_sql = (
            "COPY search_documents_new (post_id, board_id, section_id, author_id, "
            "stakeholder_group, created_at, vector) FROM STDIN"
        )
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for line in lines:
                copy.write(line)
        for statement in _replacing_statements(method):
            db.session.execute(text(statement))
        db.session.execute(text("ANALYZE search_documents"))
        self.__dict__.pop("index_method", None)
        return counted + len(lines)

    # Reading ---------------------------------------------------------------------------

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
                return "created_at <=| CAST(:later AS timestamptz)"
            return "vector <=> CAST(:tsquery AS tsquery)"
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
            {"texts": texts, "configurations": [*CONFIGURATIONS.values(), SIMPLE]},
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


def _conditions(query: Query, tsquery: str) -> tuple[str, dict]:
    """The WHERE clause of a search (the reader's hidden boards left out) and its
    parameters."""
    where = ["vector @@ CAST(:tsquery AS tsquery)"]
    params: dict = {"tsquery": tsquery, "later": LATER_THAN_ALL}
    if query.hidden_board_ids:
        where.append("board_id <> ALL(CAST(:hidden AS integer[]))")
        params["hidden"] = list(query.hidden_board_ids)
    for column, value in (
        ("board_id", query.board_id),
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


def _columns(documents: list[Document]) -> dict[str, list]:
    """Documents as the parallel arrays `_INSERT` reads."""
    here = [
        d.language in ANALYSED_HERE or bool(_HAN.search(d.title) or _HAN.search(d.body))
        for d in documents
    ]
    return {
        "post_ids": [d.post_id for d in documents],
        "board_ids": [d.board_id for d in documents],
        "section_ids": [d.section_id for d in documents],
        "author_ids": [d.author_id for d in documents],
        "groups": [d.group for d in documents],
        "created": [d.created_at for d in documents],
        "languages": [d.language for d in documents],
        "titles": [d.title for d in documents],
        "bodies": [d.body for d in documents],
        "authors": [f"{d.author_name} {d.organisation}" for d in documents],
        "vectors": [
            vector_here(d.title, d.body, f"{d.author_name} {d.organisation}", d.language)
            if analysed
            else None
            for d, analysed in zip(documents, here, strict=True)
        ],
    }


def _copy_escaped(field: str) -> str:
    """A field as COPY's text format reads it."""
    return (
        field.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _replacing_statements(method: str) -> list[str]:
    """Indexes and constraints for the rebuilt table, then the swap: the old table
    dropped, the new one given its name and its objects' names."""
    indexes = [
        "CREATE INDEX ix_search_documents_vector_new ON search_documents_new "
        + ("USING rum (vector rum_tsvector_ops)" if method == "rum" else "USING gin (vector)")
    ]
    renames = ["ALTER INDEX ix_search_documents_vector_new RENAME TO ix_search_documents_vector"]
    if method == "rum":
        indexes.append(
            "CREATE INDEX ix_search_documents_by_date_new ON search_documents_new "
            "USING rum (vector rum_tsvector_addon_ops, created_at) "
            "WITH (attach = 'created_at', to = 'vector')"
        )
        renames.append(
            "ALTER INDEX ix_search_documents_by_date_new RENAME TO ix_search_documents_by_date"
        )
    return [
        *indexes,
        "CREATE INDEX ix_search_documents_created_at_new ON search_documents_new (created_at)",
        "ALTER TABLE search_documents_new ADD CONSTRAINT pk_search_documents_new "
        "PRIMARY KEY (post_id)",
        "ALTER TABLE search_documents_new ADD CONSTRAINT fk_search_documents_post_id_posts_new "
        "FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE",
        "DROP TABLE search_documents",
        "ALTER TABLE search_documents_new RENAME TO search_documents",
        *renames,
        "ALTER INDEX ix_search_documents_created_at_new RENAME TO ix_search_documents_created_at",
        "ALTER TABLE search_documents RENAME CONSTRAINT pk_search_documents_new "
        "TO pk_search_documents",
        "ALTER TABLE search_documents RENAME CONSTRAINT fk_search_documents_post_id_posts_new "
        "TO fk_search_documents_post_id_posts",
    ]


def _copy_lines(rows: list, out: list[str]) -> None:
    """COPY's lines for rows of ids, date, language, title, text and author, analysed
    here."""
    for row in rows:
        vector = vector_here(row[7], row[8], row[9], row[6])
        fields = [str(value) for value in row[:5]] + [row[5].isoformat(), vector]
        out.append("\t".join(_copy_escaped(field) for field in fields) + "\n")
