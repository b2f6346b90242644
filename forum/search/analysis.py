"""How text becomes search terms in each of the forum's languages, for any search engine.

Each word is analysed by its script first: Chinese ideographs are segmented into words
(jieba's dictionary, through rjieba), Arabic words normalised and light-stemmed, Cyrillic
words stemmed as Russian (Snowball); only Latin-script words depend on the post's
language: English, French and Spanish are stemmed (Snowball), then their accents folded;
any other language's are only case- and accent-folded. The Whoosh backend indexes these
terms; a PostgreSQL backend can give the same terms, joined by spaces, to
`to_tsvector('simple', ...)`.

A query does not know its language: `query_forms` analyses it in each way a post can
be, so that a word typed in any of the six languages meets its inflected and
differently written forms.
"""

import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import NamedTuple

import snowballstemmer

# Latin-script words are stemmed for these languages; in any other they are only folded.
STEMMED = {"en": "english", "fr": "french", "es": "spanish"}
# The ways a query's Latin-script words are analysed (None: folded, as in a post in
# Arabic, Chinese, Russian or an unknown language). Other scripts have one analysis.
QUERY_LANGUAGES: tuple[str | None, ...] = ("en", "fr", "es", None)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Combining marks, Arabic harakat among them, belong to the word they mark.
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
_LETTER = rf"(?:[^\W_{_HAN}]|[{_MARKS}])"
_WORDS = re.compile(rf"(?P<han>[{_HAN}]+)|{_LETTER}+(?:['\u2019]{_LETTER}+)*")


class Token(NamedTuple):
    """A term, the number of the word it stands for (words found in a longer Chinese word,
    and another spelling of an accented word, share its number) and its characters."""

    text: str
    position: int
    start: int
    end: int


def tokens(text: str, language: str | None, *, query: bool = False) -> Iterator[Token]:
    """The terms of a text written in `language`, in order. A query's have one term per
    word; a post's have, beside, the shorter words within a long Chinese word and the
    unaccented spelling's stem of an accented word."""
    latin = language if language in STEMMED else None
    position = 0
    for match in _WORDS.finditer(text):
        offset = match.start()
        run = match.group("han")
        if run:
            words = 0
            for number, term, start, end in _segmented(run, query=query):
                words = max(words, number + 1)
                yield Token(term, position + number, offset + start, offset + end)
            position += words
            continue
        terms = _terms(match.group(), latin)
        for term in terms[:1] if query else terms:
            yield Token(term, position, offset, match.end())
        if terms:
            position += 1


def query_forms(text: str) -> list[tuple[str, ...]]:
    """The distinct term sequences a query's text may stand for, one per way of analysing
    it (most texts have one or two)."""
    forms: list[tuple[str, ...]] = []
    for language in QUERY_LANGUAGES:
        form = tuple(token.text for token in tokens(text, language, query=True))
        if form and form not in forms:
            forms.append(form)
    return forms


def words(text: str) -> Iterator[tuple[str, int, int]]:
    """A query's words as typed (case folded), and where each starts and ends: every run
    of ideographs is one word here, segmented when the word is analysed."""
    for match in _WORDS.finditer(text):
        yield match.group().casefold(), match.start(), match.end()


def normalised(pattern: str) -> str:
    """A prefix or wildcard pattern written as the terms are (folded, not stemmed)."""
    return "".join(_folded(part) for part in re.split(r"([*?])", pattern))


# Scripts --------------------------------------------------------------------------------


def _script(word: str) -> str:
    """Arabic, Cyrillic, or "latin" for the Latin script and any other alphabet."""
    for character in word:
        point = ord(character)
        if 0x0600 <= point <= 0x06FF or 0x0750 <= point <= 0x08FF or 0xFB50 <= point <= 0xFEFF:
            return "arabic"
        if 0x0400 <= point <= 0x052F:
            return "cyrillic"
        if character.isalpha():
            return "latin"
    return "latin"


def _folded(word: str) -> str:
    """A word written as a term is, before any stemming."""
    script = _script(word)
    if script == "arabic":
        return _fold_arabic(word)
    if script == "cyrillic":
        return word.casefold().replace("ё", "е")
    return _fold_word(word)


@lru_cache(maxsize=200_000)
def _terms(word: str, latin: str | None) -> tuple[str, ...]:
    """A word's terms, the first the one a query uses; `latin` is the language its
    Latin-script words are stemmed for, if any. Cached, as a forum's words are few next
    to its posts (and Snowball in pure Python takes 50 µs a word)."""
    script = _script(word)
    if script == "arabic":
        stem = _light10(_fold_arabic(word))
        return (stem,) if stem else ()
    if script == "cyrillic":
        return (_stem("ru", _folded(word)),)
    folded = _fold_word(word)
    if latin is None:
        return (folded,)
    lowered = word.casefold().replace("\u2019", "'")
    primary = _fold_word(_stem(latin, lowered))
    # An accented word is found by its stem and by the stem of its unaccented spelling,
    # which is what people type without the accents ("universite" for "université",
    # whose stems differ: "universit", "univers").
    plain = _stem(latin, folded)
    return (primary,) if plain == primary else (primary, plain)


# Latin and Cyrillic ----------------------------------------------------------------------

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})
_stemmers = {code: snowballstemmer.stemmer(name) for code, name in STEMMED.items()}
_stemmers["ru"] = snowballstemmer.stemmer("russian")
# Snowball's stemmers keep their state between calls: one thread at a time.
_stemming = threading.Lock()


def _stem(language: str, word: str) -> str:
    with _stemming:
        return _stemmers[language].stemWord(word)


def _fold_word(word: str) -> str:
    """Lower case, without accents ("Éducation" is "education")."""
    lowered = word.casefold().replace("\u2019", "'")
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Arabic ----------------------------------------------------------------------------------

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {
        **dict.fromkeys("أإآٱ", "ا"),
        "ة": "ه",
        "ى": "ي",
        # Persian keyboards' yeh and kaf.
        "ی": "ي",
        "ک": "ك",
        **{chr(0x0660 + n): str(n) for n in range(10)},
        **{chr(0x06F0 + n): str(n) for n in range(10)},
    }
)
# Larkey's light10: one prefix (the article, alone or after "and", "with", "like", "so",
# or "for the"; or "and"), then each of the suffixes in turn (written as normalised:
# taa marbuta is heh), so long as two letters remain (three after "and").
_PREFIXES = ("ال", "وال", "بال", "كال", "فال", "لل", "و")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")


def _fold_arabic(word: str) -> str:
    """Diacritics and tatweel removed, alef with hamza or madda as bare alef, taa
    marbuta as heh, alef maqsura as yeh, Arabic-Indic digits as digits."""
    return _ARABIC_MARKS.sub("", unicodedata.normalize("NFKC", word)).translate(_ARABIC_LETTERS)


def _light10(word: str) -> str:
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= (3 if prefix == "و" else 2):
            word = word[len(prefix) :]
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


# Chinese ---------------------------------------------------------------------------------


@cache
def _jieba():
    """The segmenter, loaded the first time Chinese is met: its dictionary takes 0.6 s
    and 35 MB, which a process that never sees Chinese does without."""
    import rjieba

    return rjieba


def _segmented(run: str, *, query: bool) -> list[tuple[int, str, int, int]]:
    """A run of ideographs as (word number, word, start, end). Without the HMM guesses
    for unknown words, which depend on the text around: a name it does not know is its
    characters, the same in a post and in a query.

    A post's long words also give the dictionary's words within them, at the long word's
    number ("互联网" gives "互联" and "联网"), so that a search for those finds it; a
    query's are its words alone, and a phrase matches the same words in a row."""
    segmenter = _jieba()
    found = segmenter.tokenize(run, "default", False)
    result = [(number, word, start, end) for number, (word, start, end) in enumerate(found)]
    if query or all(end - start <= 2 for _, start, end in found):
        return result
    starts = [start for _, start, _ in found]
    for word, start, end in segmenter.tokenize(run, "search", False):
        number = bisect_right(starts, start) - 1
        if (start, end) != found[number][1:]:
            result.append((number, word, start, end))
    result.sort(key=lambda item: item[0])
    return result
