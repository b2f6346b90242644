"""Reading a search as a Whoosh query: parsing it (or its plain words), analysing its
words in every language, keeping out what would match every post, and writing the
reader's filters and hidden boards into it."""

from collections.abc import Iterable, Iterator
from itertools import pairwise

from whoosh.fields import Schema
from whoosh.matching import AndNotMatcher
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

from forum.search import analysis
from forum.search.backend import Query, QuerySyntaxError
from forum.search.whoosh_schema import QUERY_SCHEMA, TEXT_FIELDS
from forum.search.whoosh_weighting import pair_term


class _ExcludingMatcher(AndNotMatcher):
    """Whoosh's matcher of "a, less b", which reads a's current post even after a ran out
    while skipping blocks: an IndexError once a is an OR of a word's forms."""

    def _find_next(self):
        return self.a.is_active() and super()._find_next()


class Excluding(AndNot):
    """ "a, less b", with the matcher above."""

    def matcher(self, searcher, context=None):
        found = self.a.matcher(searcher, context)
        return _ExcludingMatcher(found, self.b.matcher(searcher, searcher.boolean_context()))


def parse(query: Query):
    """The query as written, in every language; QuerySyntaxError when it cannot be read
    or matches (nearly) everything."""
    return in_every_language(read(query))


def read(query: Query):
    """The query as written, its words as typed (the forum's syntax, for any engine);
    QuerySyntaxError when it cannot be read or matches (nearly) everything."""
    parser = QueryParser(_field(query), QUERY_SCHEMA)
    parsed = _exclusions_last(parser.parse(query.text))
    if _unusable(parsed):
        raise QuerySyntaxError(query.text)
    return parsed


def plain_words(query: Query):
    """The query's words, any of them, each as a phrase, in every language; None when it
    has no words."""
    words = read_plain_words(query)
    return None if words is None else in_every_language(words)


def read_plain_words(query: Query):
    """The query's words as typed, any of them, each as a phrase; None when it has no
    words."""
    words = [word for word, _start, _end in analysis.words(query.text)]
    if not words:
        return None
    parser = QueryParser(_field(query), QUERY_SCHEMA, group=OrGroup.factory(0.9))
    return parser.parse(" ".join(f'"{word}"' for word in words))


def in_every_language(parsed):
    """Each word and phrase of the text fields as any of its analyses (see
    `forum.search.analysis.query_forms`): "libraries" is English "librari", French and
    Spanish "librari" and plain "libraries", two terms; a run of ideographs is the phrase
    of its words; prefixes and wildcards are folded, not stemmed. NullQuery when no
    word is left (one of diacritics alone)."""
    if not parsed.is_leaf():
        return parsed.apply(in_every_language).normalize()
    if parsed.field() not in TEXT_FIELDS:
        return parsed
    if isinstance(parsed, Prefix | Wildcard):
        return type(parsed)(parsed.fieldname, analysis.normalised(parsed.text), parsed.boost)
    if isinstance(parsed, Phrase):
        text, slop = " ".join(parsed.words), parsed.slop
    elif isinstance(parsed, Term):
        text, slop = _text(parsed.text), 1
    else:
        return parsed
    forms = [
        Term(parsed.fieldname, words[0], boost=parsed.boost)
        if len(words) == 1
        else Phrase(parsed.fieldname, list(words), slop=slop, boost=parsed.boost)
        for words in analysis.query_forms(text)
    ]
    if not forms:
        return NullQuery
    return forms[0] if len(forms) == 1 else Or(forms)


def without_absent_forms(parsed, reader):
    """The query without the alternatives of an OR that hold a term the index does not
    have (most of a word's forms in the other languages): they could match nothing, and
    every alternative costs a posting list to merge."""
    if parsed.is_leaf():
        return parsed
    parsed = parsed.apply(lambda part: without_absent_forms(part, reader))
    if not isinstance(parsed, Or):
        return parsed
    # With none left, one stays: it matches nothing, as the whole OR would.
    kept = [part for part in parsed.subqueries if not _absent(part, reader)]
    kept = kept or parsed.subqueries[:1]
    return kept[0] if len(kept) == 1 else Or(kept, boost=parsed.boost)


def _absent(part, reader) -> bool:
    if isinstance(part, Term):
        return (part.fieldname, part.text) not in reader
    if isinstance(part, Phrase):
        return any((part.fieldname, word) not in reader for word in part.words)
    return False


def matched_terms(parsed) -> list[str]:
    """The words of the text fields a parsed query looks for, for highlighting."""
    return sorted({_text(text) for field, text in parsed.all_terms() if field in TEXT_FIELDS})


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
    return Excluding(_joined(And, kept), _joined(Or, excluded))


def _joined(kind, parts: list):
    return parts[0] if len(parts) == 1 else kind(parts)


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


def restricted(parsed, query: Query, fields: Schema):
    """The query with the facets ANDed in and the reader's hidden boards taken out.

    Written into the query rather than passed as Whoosh `filter`/`mask` (which gathers
    a set from a query the slow way): on 200,000 posts a common word took 4 s with a
    filter and over a minute with a mask, against under 0.1 s as an intersection."""
    facets = [
        Term(field, str(value))
        for field, value in (
            ("section_id", query.section_id),
            ("group", query.group),
            ("author_id", query.author_id),
        )
        if value is not None
    ]
    if query.board_id is not None:
        facets.append(_on_board(query.board_id, query.listed_thread_ids))
    parsed = _phrases_as_pairs(parsed, fields)
    restricted = And([parsed, *facets]) if facets else parsed
    if query.hidden_board_ids:
        hidden = Or([Term("board_id", str(board_id)) for board_id in query.hidden_board_ids])
        if query.reachable_thread_ids:
            hidden = AndNot(hidden, _in_threads(query.reachable_thread_ids))
        restricted = Excluding(restricted, hidden)
    return restricted


def _in_threads(thread_ids: Iterable[int]):
    return Or([Term("thread_id", str(thread_id)) for thread_id in thread_ids])


def _on_board(board_id: int, listed_thread_ids: Iterable[int]):
    """A board's facet: its posts, and those of the consultations it lists."""
    own = Term("board_id", str(board_id))
    return Or([own, _in_threads(listed_thread_ids)]) if listed_thread_ids else own
