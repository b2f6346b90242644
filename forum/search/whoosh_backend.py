"""The Whoosh search backend: the only module that imports whoosh.

Schema choices (against what made other Whoosh setups slow): only the post id is
stored (pages load the rest from the database), filters are untokenised ID fields
matched by Term, dates are sortable, writes come in batches from one writer at a time,
and full rebuilds use the multiprocessing writer and are swapped in atomically.
"""

import os
import shutil
import time
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path

from whoosh import highlight, index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.fields import DATETIME, ID, TEXT, Schema
from whoosh.index import LockError
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.query import And, AndNot, DateRange, Every, Or, Term, Wildcard

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
    title=TEXT(analyzer=ANALYZER),
    body=TEXT(analyzer=ANALYZER),
    author=TEXT(analyzer=ANALYZER),
)

TEXT_FIELDS = ["title", "body", "author"]


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
        "title": document.title,
        "body": document.body,
        "author": f"{document.author_name} {document.organisation}",
    }


class WhooshBackend:
    """An index in a folder reached through a symbolic link, so that a rebuilt index can
    replace the live one in one step."""

    def __init__(self, path: Path, *, write_timeout: float = 2.0) -> None:
        self.link = path
        self.write_timeout = write_timeout
        self._index: index.Index | None = None
        self._opened_target: str | None = None

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

    def count(self) -> int:
        with self._ix().searcher() as searcher:
            return searcher.doc_count()

    def size_on_disk(self) -> int:
        return sum(path.stat().st_size for path in self._target().iterdir() if path.is_file())

    def _parse(self, query: Query):
        fields = ["title"] if query.titles_only else TEXT_FIELDS
        parser = MultifieldParser(fields, SCHEMA)
        parsed = parser.parse(query.text)
        if _unusable(parsed):
            raise QuerySyntaxError(query.text)
        return parsed

    def _plain_words(self, query: Query):
        fields = ["title"] if query.titles_only else TEXT_FIELDS
        words = [token.text for token in ANALYZER(query.text)]
        if not words:
            return None
        parser = MultifieldParser(fields, SCHEMA, group=OrGroup.factory(0.9))
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
        with self._ix().searcher() as searcher:
            results = searcher.search(
                _restricted(parsed, query),
                limit=first + query.per_page,
                sortedby="created" if query.newest_first else None,
                reverse=query.newest_first,
            )
            post_ids = [int(hit["post_id"]) for hit in results[first : first + query.per_page]]
            total = len(results)
        terms = sorted({_text(text) for field, text in parsed.all_terms() if field in TEXT_FIELDS})
        return Results(post_ids=post_ids, total=total, fell_back_to_words=fell_back, terms=terms)

    def highlight(self, text: str, terms: list[str], *, length: int = 300) -> str:
        """An excerpt of `text` around the matched terms, marked with <mark>, HTML-escaped."""
        fragmenter = highlight.ContextFragmenter(maxchars=length, surround=80)
        formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
        return highlight.highlight(text, frozenset(terms), ANALYZER, fragmenter, formatter, top=2)


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
        start = query.date_from.astimezone(UTC).replace(tzinfo=None) if query.date_from else None
        end = query.date_to.astimezone(UTC).replace(tzinfo=None) if query.date_to else None
        facets.append(DateRange("created", start, end))
    restricted = And([parsed, *facets]) if facets else parsed
    if query.hidden_board_ids:
        hidden = Or([Term("board_id", str(board_id)) for board_id in query.hidden_board_ids])
        restricted = AndNot(restricted, hidden)
    return restricted
