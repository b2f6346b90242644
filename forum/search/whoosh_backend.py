"""The Whoosh search backend: the only module that imports whoosh.

Schema choices (against what made other Whoosh setups slow): only the post id is
stored (pages load the rest from the database), filters are untokenised ID fields
matched by Term, dates are sortable, writes come in batches from one writer at a time,
and full rebuilds use the multiprocessing writer and are swapped in atomically.
"""

import os
import shutil
import threading
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path

from whoosh import highlight, index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.fields import DATETIME, ID, NUMERIC, TEXT, Schema
from whoosh.index import LockError
from whoosh.qparser import OrGroup, QueryParser
from whoosh.query import And, AndNot, Every, NumericRange, Or, Term, Wildcard
from whoosh.searching import Searcher

from forum.search.backend import Document, Query, QuerySyntaxError, Results

# Words in any script; Chinese, Japanese and Korean ideographs one by one, since those
# scripts do not separate words with spaces.
_TOKENS = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+(?:['\u2019][^\W_]+)*"
ANALYZER = RegexTokenizer(_TOKENS) | LowercaseFilter() | StemFilter(lang="en")

SCHEMA = Schema(
    post_id=ID(stored=True, unique=True),
    thread_id=ID,
    board_id=ID,
    section_id=ID,
    author_id=ID,
    group=ID,
    country=ID,
    created=DATETIME(sortable=True),
    # The day (since 1970) for date filters: a range of days is a few dozen terms,
    # where a range of microsecond timestamps is hundreds (1.5 s against 0.1 s).
    day=NUMERIC(int, bits=32, signed=False),
    # Everything a search reads (title, body, author's name and organisation) in one
    # field: a word is one posting list to intersect, not three to merge for each word.
    content=TEXT(analyzer=ANALYZER),
    title=TEXT(analyzer=ANALYZER),
)

TEXT_FIELDS = ["content", "title"]
# Changes with the schema: an index built under another version must be rebuilt.
SCHEMA_VERSION = 3
# Matches are counted up to this many: counting every one of 100,000 matches of a
# common word takes half a second, and nobody reads past this many.
COUNT_LIMIT = 1000


_EPOCH = date(1970, 1, 1)


class IndexBusy(RuntimeError):
    """Another process is writing the index; try again later."""


def _fields(document: Document) -> dict:
    created = document.created_at.astimezone(UTC).replace(tzinfo=None)
    return {
        "post_id": str(document.post_id),
        "thread_id": str(document.thread_id),
        "board_id": str(document.board_id),
        "section_id": str(document.section_id),
        "author_id": str(document.author_id),
        "group": document.group,
        "country": document.country or "",
        "created": created,
        "day": _day(document.created_at),
        "content": " ".join(
            [document.title, document.body, document.author_name, document.organisation]
        ),
        "title": document.title,
    }


class WhooshBackend:
    """An index in a folder reached through a symbolic link, so that a rebuilt index can
    replace the live one in one step."""

    def __init__(self, path: Path, *, write_timeout: float = 2.0) -> None:
        self.link = path
        self.write_timeout = write_timeout
        self._index: index.Index | None = None
        self._opened_target: str | None = None
        self._local = threading.local()

    # Opening --------------------------------------------------------------------------

    def _target(self) -> Path:
        if not self.link.is_symlink():
            self._create_first()
        return self.link.parent / os.readlink(self.link)

    def _create_first(self) -> None:
        self.link.parent.mkdir(parents=True, exist_ok=True)
        if self.link.exists() and not self.link.is_symlink():
            raise RuntimeError(f"{self.link} is a folder, not the index link")
        folder = self._new_folder()
        index.create_in(str(folder), SCHEMA)
        self._point_link_at(folder)

    def _new_folder(self) -> Path:
        folder = self.link.parent / f"{self.link.name}-{time.time_ns()}"
        folder.mkdir(parents=True)
        return folder

    def _point_link_at(self, folder: Path) -> None:
        """Swap the link in one step: a rename is atomic."""
        temporary = self.link.parent / f".{self.link.name}.{time.time_ns()}.link"
        os.symlink(folder.name, temporary)
        os.replace(temporary, self.link)

    def _ix(self) -> index.Index:
        target = str(self._target())
        if self._index is None or target != self._opened_target:
            self._index = index.open_dir(target)
            self._opened_target = target
        return self._index

    # Writing --------------------------------------------------------------------------

    def _writer(self):
        try:
            return self._ix().writer(timeout=self.write_timeout)
        except LockError as error:
            raise IndexBusy(str(error)) from error

    def index(self, documents: Iterable[Document]) -> None:
        writer = self._writer()
        try:
            for document in documents:
                writer.update_document(**_fields(document))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def remove(self, post_ids: Iterable[int]) -> None:
        writer = self._writer()
        try:
            for post_id in post_ids:
                writer.delete_by_term("post_id", str(post_id))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def apply(self, documents: Iterable[Document], removals: Iterable[int]) -> None:
        """Index and remove in one commit (one writer, one new segment)."""
        writer = self._writer()
        try:
            for post_id in removals:
                writer.delete_by_term("post_id", str(post_id))
            for document in documents:
                writer.update_document(**_fields(document))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuild(self, batches: Iterable[list[Document]], *, processes: int = 2) -> int:
        """Build a new index aside from every batch, then swap it in; returns the count."""
        folder = self._new_folder()
        fresh = index.create_in(str(folder), SCHEMA)
        options = {"procs": processes, "limitmb": 256, "multisegment": True}
        writer = fresh.writer(**options) if processes > 1 else fresh.writer(limitmb=256)
        count = 0
        try:
            for batch in batches:
                for document in batch:
                    writer.add_document(**_fields(document))
                count += len(batch)
        except BaseException:
            writer.cancel()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        writer.commit()
        previous = self._target() if self.link.is_symlink() else None
        self._point_link_at(folder)
        if previous is not None and previous != folder:
            shutil.rmtree(previous, ignore_errors=True)
        return count

    # Reading --------------------------------------------------------------------------

    def _searcher(self) -> Searcher:
        """This thread's searcher, kept open between searches (opening one reads the
        segments' term files: a fifth of a second at 200,000 posts) until the index
        changes or a rebuilt one is swapped in."""
        ix = self._ix()
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and self._local.index is ix and searcher.up_to_date():
            return searcher
        if searcher is not None:
            # Opened anew rather than refreshed: Whoosh's refresh keeps stale readers of
            # segments that gained deletions, and fails on an empty index.
            searcher.close()
        searcher = ix.searcher()
        self._local.searcher, self._local.index = searcher, ix
        return searcher

    def count(self) -> int:
        return self._searcher().doc_count()

    def schema_is_current(self) -> bool:
        """False for an index built by an earlier version: it needs `search reindex`."""
        return set(self._ix().schema.names()) == set(SCHEMA.names())

    def size_on_disk(self) -> int:
        return sum(path.stat().st_size for path in self._target().iterdir() if path.is_file())

    def _parse(self, query: Query):
        parser = QueryParser(_field(query), SCHEMA)
        parsed = parser.parse(query.text)
        if _unusable(parsed):
            raise QuerySyntaxError(query.text)
        return parsed

    def _plain_words(self, query: Query):
        words = [token.text for token in ANALYZER(query.text)]
        if not words:
            return None
        parser = QueryParser(_field(query), SCHEMA, group=OrGroup.factory(0.9))
        quoted = " ".join(f'"{word}"' for word in words)
        return parser.parse(quoted)

    def search(self, query: Query) -> Results:
        fell_back = False
        try:
            parsed = self._parse(query)
        except QuerySyntaxError:
            parsed = self._plain_words(query)
            fell_back = True
        if parsed is None:
            return Results(post_ids=[], total=0, fell_back_to_words=fell_back)
        first = (query.page - 1) * query.per_page
        searcher = self._searcher()
        restricted = _restricted(parsed, query)
        results = searcher.search(
            restricted,
            limit=first + query.per_page,
            sortedby="created" if query.newest_first else None,
            reverse=query.newest_first,
        )
        post_ids = [int(hit["post_id"]) for hit in results[first : first + query.per_page]]
        if results.has_exact_length():
            total, more = len(results), False
        else:
            counted = sum(1 for _ in islice(searcher.docs_for_query(restricted), COUNT_LIMIT + 1))
            total, more = min(counted, COUNT_LIMIT), counted > COUNT_LIMIT
        terms = sorted({_text(text) for field, text in parsed.all_terms() if field in TEXT_FIELDS})
        return Results(
            post_ids=post_ids,
            total=total,
            more_than_total=more,
            fell_back_to_words=fell_back,
            terms=terms,
        )

    def highlight(self, text: str, terms: list[str], *, length: int = 300) -> str:
        """An excerpt of `text` around the matched terms, marked with <mark>, HTML-escaped."""
        fragmenter = highlight.ContextFragmenter(maxchars=length, surround=80)
        formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
        return highlight.highlight(text, frozenset(terms), ANALYZER, fragmenter, formatter, top=2)


def _day(moment: datetime) -> int:
    """Days since 1970 (UTC); earlier dates count as its first day."""
    return max((moment.astimezone(UTC).date() - _EPOCH).days, 0)


def _field(query: Query) -> str:
    return "title" if query.titles_only else "content"


def _text(term: str | bytes) -> str:
    return term.decode() if isinstance(term, bytes) else term


def _unusable(parsed) -> bool:
    """A query that would match everything (`*`) or that the parser turned into nothing."""
    if isinstance(parsed, Every) or parsed is None:
        return True
    for node in parsed.leaves():
        if isinstance(node, Every) or (isinstance(node, Wildcard) and node.text.strip("*?") == ""):
            return True
    return parsed.is_leaf() and not list(parsed.terms())


def _restricted(parsed, query: Query):
    """The query with the facets ANDed in and the reader's hidden boards taken out.

    Written into the query rather than passed as Whoosh `filter`/`mask`: on 200,000
    posts a common word took 4 s with a filter and over a minute with a mask, against
    under 0.1 s as an intersection of postings."""
    facets = [
        Term(field, str(value))
        for field, value in (
            ("board_id", query.board_id),
            ("section_id", query.section_id),
            ("group", query.group),
            ("author_id", query.author_id),
        )
        if value is not None
    ]
    if query.date_from or query.date_to:
        start = _day(query.date_from) if query.date_from else None
        end = _day(query.date_to) if query.date_to else None
        facets.append(NumericRange("day", start, end))
    restricted = And([parsed, *facets]) if facets else parsed
    if query.hidden_board_ids:
        hidden = Or([Term("board_id", str(board_id)) for board_id in query.hidden_board_ids])
        restricted = AndNot(restricted, hidden)
    return restricted
