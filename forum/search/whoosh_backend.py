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
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate, chain, islice, pairwise
from pathlib import Path

from whoosh import highlight, index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, TEXT, Schema
from whoosh.formats import Positions, tokens
from whoosh.index import LockError
from whoosh.matching import ReadTooFar
from whoosh.qparser import OrGroup, QueryParser
from whoosh.query import (
    And,
    AndNot,
    Every,
    Not,
    NullQuery,
    Or,
    Phrase,
    Prefix,
    Term,
    TermRange,
    Wildcard,
)
from whoosh.reading import SegmentReader
from whoosh.scoring import BaseScorer, WeightingModel
from whoosh.searching import Searcher

from forum.search.backend import Document, Query, QuerySyntaxError, Results

# Words in any script; Chinese, Japanese and Korean ideographs one by one, since those
# scripts do not separate words with spaces.
_TOKENS = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+(?:['\u2019][^\W_]+)*"
ANALYZER = RegexTokenizer(_TOKENS) | LowercaseFilter() | StemFilter(lang="en")

# BM25's constants, and the length (in words) of a typical post, which stands in for
# the average length when a word's weight in a post is worked out at indexing time.
K1, B, TYPICAL_LENGTH = 1.2, 0.75, 100


# Each pair of neighbouring common words is indexed too, as one term that no word can be
# (words never hold "_" or a space): a phrase of two common words is then one posting
# list to read instead of the positions of every post holding both (0.3 s at 200,000
# posts). Pairs with a rarer word are left out: such a phrase is cheap by positions, and
# pairs of every two words took four times the indexing time and five times the disk.
PAIR = "_"
# Common words: those of at least this share of the posts a rebuild samples (at most
# COMMON_LIMIT of them, the most frequent).
COMMON_SHARE = 0.02
COMMON_LIMIT = 1000


def pair_term(first: str, second: str) -> str:
    return f"{PAIR}{first} {second}"


def common_words(texts: Iterable[str]) -> frozenset[str]:
    """The words in at least COMMON_SHARE of these texts (and in two of them at least)."""
    counts: Counter[str] = Counter()
    sampled = 0
    for text in texts:
        counts.update({token.text for token in ANALYZER(text)})
        sampled += 1
    floor = max(2, COMMON_SHARE * sampled)
    frequent = [word for word, count in counts.most_common(COMMON_LIMIT) if count >= floor]
    return frozenset(frequent)


class ImpactPositions(Positions):
    """Positions, with each word's weight its BM25 term-frequency factor in the post
    (tf / (tf + K1 * (1 - B + B * length / TYPICAL_LENGTH)), between 0 and 1).

    Worked out once when the post is indexed, a search scores a post by multiplying
    stored weights by the words' idf, without reading the post's length; and each
    block of postings records its highest weight, an exact bound that lets a search
    skip whole blocks that cannot reach the top results (at 200,000 posts a common word
    scored 30,000 posts by plain BM25F). Pairs of neighbouring common words are terms
    too; the common words travel with the schema, inside the index."""

    def __init__(self, common: frozenset[str] = frozenset(), **options) -> None:
        super().__init__(**options)
        self.common = common

    def word_values(self, value, analyzer, **kwargs):
        positions: dict[str, list[int]] = {}
        common, previous = self.common, None
        for token in tokens(value, analyzer, {**kwargs, "positions": True}):
            word = token.text
            positions.setdefault(word, []).append(token.pos)
            if previous in common and word in common:
                positions.setdefault(pair_term(previous, word), []).append(token.pos - 1)
            previous = word
        length = sum(len(found) for word, found in positions.items() if word[0] != PAIR)
        norm = K1 * (1 - B + B * length / TYPICAL_LENGTH)
        for word, found in positions.items():
            frequency = len(found)
            yield word, frequency, frequency / (frequency + norm), self.encode(found)

    def encode(self, positions: list[int]) -> bytes:
        """The gaps between positions as 32-bit integers, cheaper to write and to read
        back than the pickled lists Whoosh stores."""
        return array("I", [b - a for a, b in pairwise([0, *positions])]).tobytes()

    def decode_positions(self, value: bytes) -> list[int]:
        return list(accumulate(array("I", value)))

    def decode_frequency(self, value: bytes) -> int:
        return len(value) // 4

    def decode_position_boosts(self, value: bytes) -> list[tuple[int, float]]:
        return [(position, 1.0) for position in self.decode_positions(value)]


class ImpactText(TEXT):
    """A text field whose postings carry `ImpactPositions` weights."""

    def __init__(self, common: frozenset[str] = frozenset(), **options) -> None:
        super().__init__(**options)
        self.format = ImpactPositions(common)


class BisectingLeafMatcher(W3LeafMatcher):
    """Whoosh's reader of a posting list, finding a document within a block by
    bisection rather than one posting at a time: intersections (two words, a word on
    one board) skip to a document thousands of times a search."""

    def skip_to(self, targetid: int) -> None:
        if not self.is_active():
            raise ReadTooFar
        if targetid <= self.id():
            return
        while targetid > self._maxid:
            if self._lastblock:
                self._atend = True
                return
            self._next_block()
        if self._ids is None:
            self._read_ids()
        self._i = bisect_left(self._ids, targetid, self._i)

    def id_blocks(self) -> Iterator[tuple[int, ...]]:
        """The remaining document numbers a block at a time, for building sets."""
        while self.is_active():
            if self._ids is None:
                self._read_ids()
            yield self._ids[self._i :]
            self._next_block()


class ImpactCodec(W3Codec):
    """Whoosh's codec, without the per-block length statistics that only BM25F's
    bounds read (a quarter of the indexing time), and with the bisecting reader."""

    length_stats = False

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return BisectingLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class ImpactScorer(BaseScorer):
    """Scores a post by a stored weight times a factor (idf), bounds blocks likewise."""

    def __init__(self, factor: float, max_weight: float = 1.0) -> None:
        self.factor = factor
        self.max_weight = max_weight

    def supports_block_quality(self) -> bool:
        return True

    def score(self, matcher) -> float:
        return self.factor * matcher.weight()

    def max_quality(self) -> float:
        return self.factor * self.max_weight

    def block_quality(self, matcher) -> float:
        return self.factor * matcher.block_max_weight()


class ImpactWeighting(WeightingModel):
    """BM25 over the weights `ImpactPositions` stored; filters (ID fields) score 0."""

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return ImpactScorer(0.0)
        # The term's highest stored weight bounds it (below 1, or above it in an index
        # from an earlier version, whose weights are counts).
        max_weight = searcher.term_info(fieldname, text).max_weight()
        return ImpactScorer(searcher.idf(fieldname, text) * (K1 + 1) * qf, max_weight)


def schema(common: frozenset[str] = frozenset()) -> Schema:
    return Schema(
        post_id=ID(stored=True, unique=True),
        thread_id=ID,
        board_id=ID,
        section_id=ID,
        author_id=ID,
        group=ID,
        country=ID,
        # Microseconds since 1970, for sorting only: a column, no terms to index.
        created=COLUMN(NumericColumn("q")),
        # The post's year, month and day (UTC), for date filters: a range of dates is
        # read as whole years, whole months and the days left at either end. (Whoosh's
        # numeric ranges, split the same way by bits, missed or added days in a third
        # of the ranges tried; one term a day cost 0.2 s for six months.)
        year=ID,
        month=ID,
        day=ID,
        # Everything a search reads (title, body, author's name and organisation) in one
        # field: a word is one posting list to intersect, not three to merge for each.
        content=ImpactText(common, analyzer=ANALYZER),
        title=ImpactText(common, analyzer=ANALYZER),
    )


# For an index's first, empty version (no common words yet: the first rebuild finds
# them).
SCHEMA = schema()
# What a query may name (`title:word`): the text fields only, so that `board_id:2` or
# `created:5` are read as words, never as filters around the reader's permissions.
QUERY_SCHEMA = Schema(content=SCHEMA["content"], title=SCHEMA["title"])

TEXT_FIELDS = ["content", "title"]
# Changes with the schema or the weights: an index built under another version must be
# rebuilt. Written into the index's folder.
SCHEMA_VERSION = 7
VERSION_FILE = "forum-schema-version"
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


_EPOCH = date(1970, 1, 1)
_EPOCH_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)


class IndexBusy(RuntimeError):
    """Another process is writing the index; try again later."""


def _fields(document: Document) -> dict:
    created = document.created_at.astimezone(UTC) - _EPOCH_MOMENT
    return {
        "post_id": str(document.post_id),
        "thread_id": str(document.thread_id),
        "board_id": str(document.board_id),
        "section_id": str(document.section_id),
        "author_id": str(document.author_id),
        "group": document.group,
        "country": document.country or "",
        "created": created // timedelta(microseconds=1),
        **_date_fields(_date(document.created_at)),
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
                writer.update_document(**_fields(document))
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
        sample = (" ".join([document.title, document.body]) for document in first)
        folder = self._new_folder()
        fresh = self._create_in(folder, schema(common_words(sample)))
        count, pending, writer = 0, 0, None
        try:
            for batch in chain([first], batches):
                if writer is None:
                    writer = _rebuild_writer(fresh, processes)
                for document in batch:
                    writer.add_document(**_fields(document))
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

    def _parse(self, query: Query):
        parser = QueryParser(_field(query), QUERY_SCHEMA)
        parsed = _exclusions_last(parser.parse(query.text))
        if _unusable(parsed):
            raise QuerySyntaxError(query.text)
        return parsed

    def _plain_words(self, query: Query):
        words = [token.text for token in ANALYZER(query.text)]
        if not words:
            return None
        parser = QueryParser(_field(query), QUERY_SCHEMA, group=OrGroup.factory(0.9))
        quoted = " ".join(f'"{word}"' for word in words)
        return parser.parse(quoted)

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
            parsed = self._parse(query)
        except QuerySyntaxError:
            parsed = self._plain_words(query)
            fell_back = True
        if parsed is None:
            return Results(post_ids=[], total=0, fell_back_to_words=fell_back)
        first = (query.page - 1) * query.per_page
        searcher = self._searcher()
        restricted = _restricted(parsed, query, searcher.schema)
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


def _date(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _date_fields(day: date) -> dict[str, str]:
    return {"year": f"{day:%Y}", "month": f"{day:%Y-%m}", "day": day.isoformat()}


def _date_terms(first: date, last: date) -> Iterator[tuple[str, str]]:
    """The fewest year, month and day terms that cover the dates from first to last."""
    day = first
    while day <= last:
        next_year = date(day.year + 1, 1, 1)
        next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        if day.month == 1 and day.day == 1 and next_year - timedelta(days=1) <= last:
            yield "year", _date_fields(day)["year"]
            day = next_year
        elif day.day == 1 and next_month - timedelta(days=1) <= last:
            yield "month", _date_fields(day)["month"]
            day = next_month
        else:
            yield "day", _date_fields(day)["day"]
            day += timedelta(days=1)


def _field(query: Query) -> str:
    return "title" if query.titles_only else "content"


def _text(term: str | bytes) -> str:
    return term.decode() if isinstance(term, bytes) else term


def _unusable(parsed) -> bool:
    """A query the parser turned into nothing, or one that would match (nearly) every
    post: `*`, a one-letter prefix, a range of words, or a NOT that excludes from
    everything rather than from other words (`NOT a`, `a OR NOT b`)."""
    if parsed is None or parsed is NullQuery:
        return True
    if any(isinstance(node, Not) for node in _nodes(parsed)):
        return True
    for node in parsed.leaves():
        if isinstance(node, Every | TermRange):
            return True
        if isinstance(node, Wildcard | Prefix) and len(node.text.strip("*?")) < 2:
            return True
    return False


def _nodes(parsed) -> Iterator:
    yield parsed
    if not parsed.is_leaf():
        for child in parsed.children():
            yield from _nodes(child)


def _exclusions_last(parsed):
    """`a NOT b` as AndNot(a, b) rather than And(a, Not(b)): Whoosh reads a Not as "every
    other document", visiting all of them, and scores every match (no block skipping)."""
    if not parsed.is_leaf():
        parsed = parsed.apply(_exclusions_last)
    if not isinstance(parsed, And):
        return parsed
    kept = [part for part in parsed.subqueries if not isinstance(part, Not)]
    excluded = [part.query for part in parsed.subqueries if isinstance(part, Not)]
    if not kept or not excluded:
        return parsed
    return AndNot(_joined(And, kept), _joined(Or, excluded))


def _joined(kind, parts: list):
    return parts[0] if len(parts) == 1 else kind(parts)


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
    first = max(_date(query.date_from), _EPOCH) if query.date_from else _EPOCH
    last = min(_date(query.date_to), latest) if query.date_to else latest
    terms = list(_date_terms(first, last))
    found: set[int] = set()
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        for fieldname, text in terms:
            if (fieldname, text) in reader:
                for block in _id_blocks(reader.postings(fieldname, text)):
                    found.update(map(offset.__add__, block) if offset else block)
    return found


def _id_blocks(postings) -> Iterator[tuple[int, ...]]:
    """A posting list's document numbers in blocks; one block for lists that Whoosh
    keeps in memory or filters for deletions."""
    if isinstance(postings, BisectingLeafMatcher):
        return postings.id_blocks()
    return iter([tuple(postings.all_ids())])


def _phrases_as_pairs(parsed, fields: Schema):
    """A phrase read through the pair terms of its common words: two common words are
    one term; other phrases are the posts holding their pairs, checked word by word."""
    if not parsed.is_leaf():
        return parsed.apply(lambda part: _phrases_as_pairs(part, fields))
    if not isinstance(parsed, Phrase) or parsed.slop != 1 or parsed.fieldname not in fields:
        return parsed
    common = getattr(fields[parsed.fieldname].format, "common", frozenset())
    pairs = [
        Term(parsed.fieldname, pair_term(first, second), boost=parsed.boost)
        for first, second in pairwise(parsed.words)
        if first in common and second in common
    ]
    if not pairs:
        return parsed
    return pairs[0] if len(parsed.words) == 2 else And([*pairs, parsed])


def _restricted(parsed, query: Query, fields: Schema):
    """The query with the facets ANDed in and the reader's hidden boards taken out.

    Written into the query rather than passed as Whoosh `filter`/`mask` (which gathers
    a set from a query the slow way): on 200,000 posts a common word took 4 s with a
    filter and over a minute with a mask, against under 0.1 s as an intersection."""
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
    parsed = _phrases_as_pairs(parsed, fields)
    restricted = And([parsed, *facets]) if facets else parsed
    if query.hidden_board_ids:
        hidden = Or([Term("board_id", str(board_id)) for board_id in query.hidden_board_ids])
        restricted = AndNot(restricted, hidden)
    return restricted
