"""Writing PostgreSQL's search index: each searchable post's row in `search_documents`,
one at a time as posts change, or all of them at once.

Posts in English, French, Spanish and Russian are analysed by PostgreSQL (the forum's
configurations, `forum_english` and the others, copies of PostgreSQL's with `unaccent`
before the stemmer where the extension could be created); posts in other languages by
`forum_simple` (case and accents folded), except Arabic and Chinese posts and any with
ideographs, which are analysed here by `forum.search.analysis` (Arabic normalised and
light-stemmed, Chinese segmented: PostgreSQL's Snowball Arabic stems "إنترنت" and
"بالإنترنت" apart, and it cannot segment Chinese) and given to PostgreSQL as lexemes.
"""

import re
import threading
from collections.abc import Iterable

from sqlalchemy import Select, text
from sqlalchemy.orm import Session

from forum.search import analysis
from forum.search.backend import Document
from forum.search.pg_query import LONGEST_LEXEME

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
# The largest position a tsvector holds, and the most positions a lexeme keeps.
LAST_POSITION = 16383
MOST_POSITIONS = 255

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
            if len(token.text.encode()) > LONGEST_LEXEME:
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


def write(session: Session, documents: Iterable[Document], removals: Iterable[int]) -> None:
    """Write these posts' rows and delete those of the removed ones, in the session's
    transaction."""
    documents = list(documents)
    gone = {document.post_id for document in documents} | set(removals)
    if gone:
        session.execute(
            text("DELETE FROM search_documents WHERE post_id = ANY(CAST(:ids AS integer[]))"),
            {"ids": sorted(gone)},
        )
    if documents:
        session.execute(text(_INSERT), _columns(documents))


def extension_schema(session: Session, name: str) -> str | None:
    """The schema an extension's objects are in (which may not be on the search path):
    its operators and operator classes are named with it. None when not installed."""
    query = text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = :name"
    )
    return session.scalar(query, {"name": name})


def rebuild(session: Session, rows: Select, *, method: str) -> int:
    """Every row again from `rows` (the columns of `forum.search.services`' document
    select), into a new table indexed by `method` (`gin` or `rum`) that replaces the old
    one when the session's transaction commits. Meanwhile searches read the old table,
    and changes to posts wait (the old table is locked against writes) and then apply
    to the new one.

    PostgreSQL analyses most posts in one statement while a thread of this process
    analyses the Arabic and Chinese ones (the statement's wait frees the interpreter
    for it), and the index is built once all rows are in, which is several times
    faster than adding rows to an index. Returns the count."""
    connection = session.connection()
    compiled = rows.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    source = f"({compiled}) AS p"
    here = (
        f"(p.language IN ({', '.join(repr(code) for code in ANALYSED_HERE)}) "
        f"OR p.title ~ '{_HAN_SQL}' OR p.body_html ~ '{_HAN_SQL}')"
    )
    body = _plain_text_sql("p.body_html")
    author = "p.display_name || ' ' || p.organisation"
    columns = "p.id, p.board_id, p.section_id, p.author_id, p.stakeholder_group, p.created_at"
    session.execute(text("LOCK TABLE search_documents IN SHARE MODE"))
    session.execute(
        text("CREATE TABLE search_documents_new (LIKE search_documents INCLUDING DEFAULTS)")
    )
    texts = session.execute(
        text(f"SELECT {columns}, p.language, p.title, {body}, {author} FROM {source} WHERE {here}")
    ).all()
    lines: list[str] = []
    worker = threading.Thread(target=_copy_lines, args=(texts, lines))
    worker.start()
    try:
        counted = session.execute(
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
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for line in lines:
            copy.write(line)
    for statement in _replacing_statements(method, extension_schema(session, "rum")):
        session.execute(text(statement))
    session.execute(text("ANALYZE search_documents"))
    return counted + len(lines)


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


# Columns with a B-tree index of their own: dates for sorting and ranges without RUM,
# the others for counting the matches of a search in a board, section or by an author
# (PostgreSQL ANDs the two indexes' bitmaps).
BTREE_COLUMNS = ("created_at", "board_id", "section_id", "author_id")


def _replacing_statements(method: str, rum: str | None) -> list[str]:
    """Indexes and constraints for the rebuilt table, then the swap: the old table
    dropped, the new one given its name and its objects' names."""
    indexes = [
        "CREATE INDEX ix_search_documents_vector_new ON search_documents_new "
        + (
            f'USING rum (vector "{rum}".rum_tsvector_ops)'
            if method == "rum"
            else "USING gin (vector)"
        )
    ]
    renames = ["ALTER INDEX ix_search_documents_vector_new RENAME TO ix_search_documents_vector"]
    if method == "rum":
        indexes.append(
            "CREATE INDEX ix_search_documents_by_date_new ON search_documents_new "
            f'USING rum (vector "{rum}".rum_tsvector_addon_ops, created_at) '
            "WITH (attach = 'created_at', to = 'vector')"
        )
        renames.append(
            "ALTER INDEX ix_search_documents_by_date_new RENAME TO ix_search_documents_by_date"
        )
    return [
        *indexes,
        *[
            f"CREATE INDEX ix_search_documents_{column}_new ON search_documents_new ({column})"
            for column in BTREE_COLUMNS
        ],
        "ALTER TABLE search_documents_new ADD CONSTRAINT pk_search_documents_new "
        "PRIMARY KEY (post_id)",
        "ALTER TABLE search_documents_new ADD CONSTRAINT fk_search_documents_post_id_posts_new "
        "FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE",
        "DROP TABLE search_documents",
        "ALTER TABLE search_documents_new RENAME TO search_documents",
        *renames,
        *[
            f"ALTER INDEX ix_search_documents_{column}_new RENAME TO ix_search_documents_{column}"
            for column in BTREE_COLUMNS
        ],
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
