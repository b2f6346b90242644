"""Reading a search as a PostgreSQL `tsquery`.

The query is parsed by the same parser as the Whoosh backend's (`whoosh_query.read`), so
both engines read the forum's syntax alike; each word and phrase is then analysed in
every way a post can be (PostgreSQL's configurations for posts it analyses, and
`forum.search.analysis` for those analysed here: Arabic and Chinese), and the tsquery is
written from the lexemes that gives, each quoted here: the reader's text never reaches
`to_tsquery`.
"""

from collections.abc import Iterator, Sequence

from whoosh.query import And, AndNot, Not, NullQuery, Or, Phrase, Prefix, Term, Wildcard

from forum.search import analysis
from forum.search.backend import QuerySyntaxError

# A form of a word or phrase: its lexemes, each with its distance from the one before.
Form = tuple[tuple[str, int], ...]

# PostgreSQL refuses lexemes longer than this (in bytes); nobody searches for one.
LONGEST_LEXEME = 2000


def texts_of(parsed) -> list[str]:
    """The words and phrases of a parsed query that must be analysed, in order."""
    found: list[str] = []
    for node in _leaves(parsed):
        if isinstance(node, Term) and not isinstance(node, Prefix | Wildcard):
            found.append(_text(node.text))
        elif isinstance(node, Phrase):
            found.append(" ".join(node.words))
    return list(dict.fromkeys(found))


def forms_here(text: str) -> list[Form]:
    """The form a text has in posts analysed by `forum.search.analysis` (in Arabic or
    Chinese, whose other scripts' words are folded, not stemmed)."""
    found = [(token.text, token.position) for token in analysis.tokens(text, None, query=True)]
    return [_with_gaps(found)] if found else []


def compile_query(parsed, forms: dict[str, list[Form]], *, titles_only: bool) -> str | None:
    """The tsquery (as its text) of a parsed query whose texts have these forms; None
    when nothing is left to search for. QuerySyntaxError for what a tsquery cannot say."""
    return _compiled(parsed, forms, titles_only)


def lexemes(forms: dict[str, list[Form]]) -> list[str]:
    """Every lexeme of these forms, for marking the words found."""
    return sorted({lexeme for found in forms.values() for form in found for lexeme, _ in form})


def _compiled(node, forms: dict[str, list[Form]], titles_only: bool) -> str | None:
    if node is None or node is NullQuery:
        return None
    if isinstance(node, AndNot):
        kept = _compiled(node.a, forms, titles_only)
        excluded = _compiled(node.b, forms, titles_only)
        if kept is None or excluded is None:
            return kept
        return f"({kept}) & !({excluded})"
    if isinstance(node, Not):
        inner = _compiled(node.query, forms, titles_only)
        return None if inner is None else f"!({inner})"
    if isinstance(node, And | Or):
        parts = [_compiled(child, forms, titles_only) for child in node.children()]
        parts = [part for part in parts if part is not None]
        if not parts:
            return None
        joiner = " & " if isinstance(node, And) else " | "
        return "(" + joiner.join(parts) + ")"
    weight = "A" if titles_only or node.field() == "title" else ""
    if isinstance(node, Prefix | Wildcard):
        return _prefix(node.text, weight)
    if isinstance(node, Phrase):
        return _any_form(forms.get(" ".join(node.words), []), weight)
    if isinstance(node, Term):
        return _any_form(forms.get(_text(node.text), []), weight)
    raise QuerySyntaxError(repr(node))


def _any_form(found: list[Form], weight: str) -> str | None:
    written = []
    for form in found:
        if any(len(lexeme.encode()) > LONGEST_LEXEME for lexeme, _ in form):
            continue
        parts = [_quoted(form[0][0], weight)]
        for lexeme, gap in form[1:]:
            parts.append(f"<{gap}> {_quoted(lexeme, weight)}")
        written.append(" ".join(parts) if len(parts) == 1 else "(" + " ".join(parts) + ")")
    if not written:
        return None
    unique = list(dict.fromkeys(written))
    return unique[0] if len(unique) == 1 else "(" + " | ".join(unique) + ")"


def _prefix(pattern: str, weight: str) -> str | None:
    """A prefix (or a wildcard, read as the prefix before its first `*` or `?`)."""
    folded = analysis.normalised(pattern)
    stem = folded.split("*")[0].split("?")[0]
    if len(stem) < 2 or len(stem.encode()) > LONGEST_LEXEME:
        return None
    return _quoted(stem, f"*{weight}")


def _quoted(lexeme: str, flags: str) -> str:
    """A lexeme as tsquery input reads it: in quotes, quotes doubled, backslashes
    escaped."""
    text = lexeme.replace("\\", "\\\\").replace("'", "''")
    return f"'{text}':{flags}" if flags else f"'{text}'"


def _with_gaps(positioned: Sequence[tuple[str, int]]) -> Form:
    """Lexemes at their positions as lexemes with the distance from the one before; of
    lexemes at one position, the first stands for it."""
    form: list[tuple[str, int]] = []
    previous = None
    for lexeme, position in sorted(positioned, key=lambda item: item[1]):
        if position == previous:
            continue
        form.append((lexeme, 0 if previous is None else position - previous))
        previous = position
    return tuple(form)


def positioned_forms(rows: Iterator[tuple[str, str, str, list[int]]]) -> dict[str, list[Form]]:
    """Forms from rows of (text, configuration, lexeme, positions), as PostgreSQL's
    `unnest(to_tsvector(...))` gives them."""
    gathered: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for text, configuration, lexeme, positions in rows:
        found = gathered.setdefault((text, configuration), [])
        found.extend((lexeme, position) for position in positions or [1])
    forms: dict[str, list[Form]] = {}
    for (text, _configuration), positioned in gathered.items():
        form = _with_gaps(positioned)
        if form and form not in forms.setdefault(text, []):
            forms[text].append(form)
    return forms


def _leaves(parsed) -> Iterator:
    if parsed is None or parsed is NullQuery:
        return
    if parsed.is_leaf():
        yield parsed
        return
    for child in parsed.children():
        yield from _leaves(child)


def _text(term: str | bytes) -> str:
    return term.decode() if isinstance(term, bytes) else term
