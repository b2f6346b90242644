"""How the Whoosh index weighs words: the analyzer, BM25's term-frequency factor worked
out when a post is indexed (`ImpactPositions`), the pair terms of common words, and
the scorer that multiplies stored weights by idf."""

from array import array
from collections import Counter
from collections.abc import Iterable
from itertools import accumulate, pairwise

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.fields import TEXT
from whoosh.formats import Positions, tokens
from whoosh.scoring import BaseScorer, WeightingModel

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
