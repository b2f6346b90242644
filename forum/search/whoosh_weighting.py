"""How the Whoosh index weighs words: the analysis of queries and highlights (posts are
analysed by `forum.search.analysis` in their language), BM25's term-frequency factor
worked out when a post is indexed (`ImpactPositions`), the pair terms of common words,
and the scorer that multiplies stored weights by idf."""

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import accumulate, pairwise

from whoosh.analysis import Analyzer, Token
from whoosh.fields import TEXT
from whoosh.formats import Positions
from whoosh.scoring import BaseScorer, WeightingModel

from forum.search import analysis


class QueryWords(Analyzer):
    """A query's words as typed, case folded (every run of ideographs one word): the query
    parser reads them, and each is then analysed in every language (see
    `whoosh_query.in_every_language`)."""

    def __call__(
        self, value: str, positions=False, chars=False, tokenize=True, mode="", **options
    ) -> Iterator[Token]:
        start_pos, start_char = options.pop("start_pos", 0), options.pop("start_char", 0)
        found = analysis.words(value) if tokenize else [(value.casefold(), 0, len(value))]
        for number, (word, start, end) in enumerate(found):
            token = Token(positions, chars, mode=mode, **options)
            token.text = token.original = word
            token.pos = start_pos + number
            token.startchar, token.endchar = start_char + start, start_char + end
            yield token


# The analyzer of the text fields; posts' text comes with its language and bypasses it.
QUERY_WORDS = QueryWords()


class Marked(Analyzer):
    """A post's words analysed in its language for highlighting, each one token whose
    text is the first of its terms that a search looked for (so one mark a word), and
    no word marked within one already marked (a long Chinese word and its parts)."""

    def __init__(self, language: str | None, terms: frozenset[str]) -> None:
        self.language, self.terms = language, terms

    def __call__(self, value: str, **options) -> Iterator[Token]:
        spans: dict[tuple[int, int], str] = {}
        for found in analysis.tokens(value, self.language):
            span = (found.start, found.end)
            if span not in spans or (found.text in self.terms and spans[span] not in self.terms):
                spans[span] = found.text
        marked_to = -1
        for (start, end), text in sorted(spans.items()):
            matched = text in self.terms
            if matched and start < marked_to:
                continue
            if matched:
                marked_to = end
            token = Token(chars=True, mode="index")
            token.text, token.startchar, token.endchar = text, start, end
            yield token


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


def common_words(texts: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The terms in at least COMMON_SHARE of these texts, each given with its language
    (and in two of them at least)."""
    counts: Counter[str] = Counter()
    sampled = 0
    for language, text in texts:
        counts.update({token.text for token in analysis.tokens(text, language)})
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
        """Terms of a (language, text) pair, analysed in that language; a plain text is
        of no known language."""
        language, text = value if isinstance(value, tuple) else (None, value)
        positions: dict[str, list[int]] = {}
        common, previous, current, here = self.common, [], -1, []
        for token in analysis.tokens(text, language):
            word, position = token.text, token.position
            if position != current:
                previous, here, current = here, [], position
            found = positions.setdefault(word, [])
            if found and found[-1] == position:
                continue
            found.append(position)
            here.append(word)
            if word in common:
                for first in previous:
                    if first in common:
                        pair = positions.setdefault(pair_term(first, word), [])
                        if not pair or pair[-1] != position - 1:
                            pair.append(position - 1)
        # A post's length in words: its terms of one word share that word's position.
        length = current + 1
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
