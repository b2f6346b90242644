"""The Whoosh search backend. It and the whoosh_* modules beside it (weighting, codec,
schema, query) are the only ones that import whoosh.

Schema choices (against what made other Whoosh setups slow): only the post id is
stored (pages load the rest from the database), filters are untokenised ID fields
matched by Term, dates are sortable, writes come in batches from one writer at a time,
and full rebuilds use the multiprocessing writer and are swapped in atomically.
"""

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from itertools import chain, islice
from pathlib import Path

from whoosh import highlight, index
from whoosh.fields import Schema
from whoosh.index import LockError
from whoosh.query import NullQuery
from whoosh.reading import SegmentReader
from whoosh.searching import Searcher

from forum.search import whoosh_query
from forum.search.backend import Document, Query, QuerySyntaxError, Results
from forum.search.whoosh_codec import ImpactCodec, id_blocks
from forum.search.whoosh_schema import (
    EPOCH,
    SCHEMA,
    SCHEMA_VERSION,
    VERSION_FILE,
    date_fields,
    document_fields,
    schema,
    utc_date,
)

# Whoosh pickles an index's schema and segments, and indexes written before these
# classes had modules of their own name them here: they stay importable from here.
from forum.search.whoosh_weighting import ImpactPositions as ImpactPositions
from forum.search.whoosh_weighting import ImpactText as ImpactText
from forum.search.whoosh_weighting import ImpactWeighting, Marked, common_words
from forum.search.whoosh_weighting import pair_term as pair_term  # the name of a pair's term

# Matches are counted up to this many: counting every one of 100,000 matches of a
# common word takes half a second, and nobody reads past this many.
COUNT_LIMIT = 1000
# Posts a rebuild gives its writers before committing (see `WhooshBackend.rebuild`).
REBUILD_CHUNK = 20_000
# Segments as separate files, which a searcher reads as it needs them: Whoosh copies
# every part of a compound segment file onto the heap when it opens it (1.5 GB and half
# a second for a searcher over 200,000 posts, against a few MB and a few ms).
WRITER_OPTIONS = {"codec": ImpactCodec(), "compound": False, "limitmb": 256}
# Segments of fewer posts than this are merged as new posts come (see
# `_merge_small_segments`); bigger ones wait for the next rebuild.
SMALL_SEGMENT = 1_000


class IndexBusy(RuntimeError):
    """Another process is writing the index; try again later."""


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
        self._create_in(folder)
        self._point_link_at(folder)

    def _new_folder(self) -> Path:
        folder = self.link.parent / f"{self.link.name}-{time.time_ns()}"
        folder.mkdir(parents=True)
        return folder

    @staticmethod
    def _create_in(folder: Path, fields: Schema = SCHEMA) -> index.Index:
        (folder / VERSION_FILE).write_text(str(SCHEMA_VERSION))
        return index.create_in(str(folder), fields)

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

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Those who bring the index up to date take turns, across threads and processes
        (a lock file beside the index): each reads what changed, writes it and clears it
        as one step, so that a slower one never writes older text over newer text.
        IndexBusy when the turn does not come within the write timeout."""
        self.link.parent.mkdir(parents=True, exist_ok=True)
        path = self.link.parent / f".{self.link.name}.turn"
        with path.open("a") as lock:
            deadline = time.monotonic() + self.write_timeout
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise IndexBusy("another process is updating the index") from None
                    time.sleep(0.01)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _writer(self):
        if not self.schema_is_current():
            # Its fields differ: changes wait in the queue until `search reindex`.
            raise IndexBusy("the index was built by another version: run `search reindex`")
        try:
            return self._ix().writer(timeout=self.write_timeout, **WRITER_OPTIONS)
        except LockError as error:
            raise IndexBusy(str(error)) from error

    def index(self, documents: Iterable[Document]) -> None:
        self.apply(documents, ())

    def remove(self, post_ids: Iterable[int]) -> None:
        self.apply((), post_ids)

    def apply(self, documents: Iterable[Document], removals: Iterable[int]) -> None:
        """Index and remove in one commit (one writer, one new segment)."""
        writer = self._writer()
        try:
            for post_id in removals:
                writer.delete_by_term("post_id", str(post_id))
            for document in documents:
                writer.update_document(**document_fields(document))
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=_merge_small_segments)

    def rebuild(self, batches: Iterable[list[Document]], *, processes: int = 2) -> int:
        """Build a new index aside from every batch, then swap it in; returns the count.
        The first batch is the sample that common words are counted in.

        Committed every `REBUILD_CHUNK` posts, a segment per process each time: a
        writer's postings then stay in memory, where a writer given everything spills
        them to disk and merges them back one by one (about 1,400 against 2,400 posts
        a second)."""
        batches = iter(batches)
        first = next(batches, [])
        sample = ((d.language, " ".join([d.title, d.body])) for d in first)
        folder = self._new_folder()
        fresh = self._create_in(folder, schema(common_words(sample)))
        count, pending, writer = 0, 0, None
        try:
            for batch in chain([first], batches):
                if writer is None:
                    writer = _rebuild_writer(fresh, processes)
                for document in batch:
                    writer.add_document(**document_fields(document))
                count += len(batch)
                pending += len(batch)
                if pending >= REBUILD_CHUNK:
                    writer.commit(merge=False)
                    writer, pending = None, 0
            if writer is not None:
                writer.commit(merge=False)
        except BaseException:
            if writer is not None:
                with suppress(Exception):  # a writer that failed to commit may be closed
                    writer.cancel()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        previous = self._target() if self.link.is_symlink() else None
        self._point_link_at(folder)
        if previous is not None and previous != folder:
            shutil.rmtree(previous, ignore_errors=True)
        return count

    # Reading --------------------------------------------------------------------------

    def _searcher(self) -> Searcher:
        """This thread's searcher, kept open between searches (it caches what it has
        read, such as idf) until the index changes or a rebuilt one is swapped in."""
        ix = self._ix()
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and self._local.index is ix and searcher.up_to_date():
            return searcher
        if searcher is not None:
            # Opened anew rather than refreshed: Whoosh's refresh keeps stale readers of
            # segments that gained deletions, and fails on an empty index.
            searcher.close()
        searcher = ix.searcher(weighting=ImpactWeighting())
        self._local.searcher, self._local.index = searcher, ix
        return searcher

    def close(self) -> None:
        """Close this thread's searcher (and the files it holds open)."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None

    def count(self) -> int:
        return self._searcher().doc_count()

    def schema_is_current(self) -> bool:
        """False for an index built by an earlier version: it needs `search reindex`."""
        marker = self._target() / VERSION_FILE
        return marker.exists() and marker.read_text().strip() == str(SCHEMA_VERSION)

    def size_on_disk(self) -> int:
        return sum(path.stat().st_size for path in self._target().iterdir() if path.is_file())

    def search(self, query: Query) -> Results:
        try:
            return self._search(query)
        except FileNotFoundError:
            # Another process merged away segments whose files this searcher had not
            # opened yet: search again with a searcher of the index as it is now.
            self.close()
            return self._search(query)

    def _search(self, query: Query) -> Results:
        fell_back = False
        try:
            parsed = whoosh_query.parse(query)
        except QuerySyntaxError:
            parsed = whoosh_query.plain_words(query)
            fell_back = True
        if parsed is None or parsed is NullQuery:
            return Results(post_ids=[], total=0, fell_back_to_words=fell_back)
        first = (query.page - 1) * query.per_page
        searcher = self._searcher()
        parsed = whoosh_query.without_absent_forms(parsed, searcher.reader())
        restricted = whoosh_query.restricted(parsed, query, searcher.schema)
        days = _posted_within(searcher, query)
        if days is not None and not days:
            return Results(post_ids=[], total=0, fell_back_to_words=fell_back)
        results = searcher.search(
            restricted,
            limit=first + query.per_page,
            filter=days,
            sortedby="created" if query.newest_first else None,
            reverse=query.newest_first,
        )
        post_ids = [int(hit["post_id"]) for hit in results[first : first + query.per_page]]
        total, more = _total(searcher, results, restricted, days, first + query.per_page)
        return Results(
            post_ids=post_ids,
            total=total,
            more_than_total=more,
            fell_back_to_words=fell_back,
            terms=whoosh_query.matched_terms(parsed),
        )

    def highlight(
        self, text: str, terms: list[str], *, language: str | None = None, length: int = 300
    ) -> str:
        return excerpt(text, terms, language=language, length=length)


def excerpt(text: str, terms: list[str], *, language: str | None = None, length: int = 300) -> str:
    """An excerpt of `text` (written in `language`) around the words whose analysis gives
    these terms, marked with <mark>, HTML-escaped."""
    fragmenter = highlight.ContextFragmenter(maxchars=length, surround=80)
    formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
    wanted = frozenset(terms)
    marked = Marked(language, wanted)
    return highlight.highlight(text, wanted, marked, fragmenter, formatter, top=2)


def _total(
    searcher: Searcher, results, restricted, days: set[int] | None, wanted: int
) -> tuple[int, bool]:
    """How many posts match, exactly or up to COUNT_LIMIT (and whether there are more),
    for results that asked for the `wanted` best."""
    if results.scored_length() < wanted:
        # Fewer matches than the page asked for: none was skipped, all were counted.
        return results.scored_length(), False
    if days is None and results.has_exact_length():
        return len(results), False
    matches = searcher.docs_for_query(restricted)
    if days is not None:
        matches = (docnum for docnum in matches if docnum in days)
    counted = sum(1 for _ in islice(matches, COUNT_LIMIT + 1))
    return min(counted, COUNT_LIMIT), counted > COUNT_LIMIT


def _merge_small_segments(writer, segments: list) -> list:
    """Merge the small segments that indexing new posts leaves, ten of a size at a time
    (sizes told apart by their number of digits), and never the big ones of a rebuild.

    Whoosh's own policy merges everything once the segments' sizes sum below a Fibonacci
    number: with a rebuild's twenty segments, one new post set off a merge of the whole
    index, minutes long."""
    tiers: dict[int, list] = {}
    for segment in segments:
        size = segment.doc_count_all()
        if size < SMALL_SEGMENT:
            tiers.setdefault(len(str(size)), []).append(segment)
    merged = [segment for tier in tiers.values() if len(tier) >= 10 for segment in tier]
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment not in merged]


def _rebuild_writer(fresh: index.Index, processes: int):
    options = dict(WRITER_OPTIONS)
    if processes > 1:
        options |= {"procs": processes, "multisegment": True}
    return fresh.writer(**options)


def _date_terms(first: date, last: date) -> Iterator[tuple[str, str]]:
    """The fewest year, month and day terms that cover the dates from first to last."""
    day = first
    while day <= last:
        next_year = date(day.year + 1, 1, 1)
        next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        if day.month == 1 and day.day == 1 and next_year - timedelta(days=1) <= last:
            yield "year", date_fields(day)["year"]
            day = next_year
        elif day.day == 1 and next_month - timedelta(days=1) <= last:
            yield "month", date_fields(day)["month"]
            day = next_month
        else:
            yield "day", date_fields(day)["day"]
            day += timedelta(days=1)


def _posted_within(searcher: Searcher, query: Query) -> set[int] | None:
    """The index's numbers of the posts of the query's dates, or None for any date.

    A set the search checks each match against: as a query ANDed in, Whoosh gathers the
    range's documents in a list it scans one by one and scores every match (0.4 s for a
    common word over six months of 200,000 posts)."""
    if not (query.date_from or query.date_to):
        return None
    # No post is older than 1970 or dated past next year: a range is cut to those years,
    # which keeps its terms few and its ends within the calendar (9999-12-31 has no
    # next day).
    latest = date(datetime.now(UTC).year + 1, 12, 31)
    first = max(utc_date(query.date_from), EPOCH) if query.date_from else EPOCH
    last = min(utc_date(query.date_to), latest) if query.date_to else latest
    terms = list(_date_terms(first, last))
    found: set[int] = set()
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        for fieldname, text in terms:
            if (fieldname, text) in reader:
                for block in id_blocks(reader.postings(fieldname, text)):
                    found.update(map(offset.__add__, block) if offset else block)
    return found
