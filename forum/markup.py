"""The only place that turns Markdown into sanitised HTML, and into plain text (for
mail and the archives), and HTML into plain text."""

import re
from collections.abc import Mapping
from functools import partial
from html import unescape

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
        "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "abbr": ["title"], "ol": ["start"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|pre|blockquote|tr)>|<br\s*/?>")

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)

# A mention: `@[` a person's name as their profile shows it `]`, which any name fits
# (spaces, any script); not inside a word or an address, not a link's text (`@[a](url)`).
MENTION = re.compile(r"(?<![\w@.])@\[([^\[\]\n]{1,100})\](?!\()")


def mention_key(name: str) -> str:
    """A mentioned name as it is looked up: its spaces made single."""
    return " ".join(name.split())


def _mention_texts(tokens: list[Token]) -> list[Token]:
    """The inline text tokens where a mention counts: outside links and code."""
    texts = []
    for block in tokens:
        depth = 0
        for token in block.children or ():
            depth += (token.type == "link_open") - (token.type == "link_close")
            if token.type == "text" and depth == 0 and "@[" in token.content:
                texts.append(token)
    return texts


def _split_mentions(token: Token, links: Mapping[str, str]) -> list[Token]:
    """A text token as text and links to the profiles of the people it mentions."""
    pieces, start = [], 0
    for match in MENTION.finditer(token.content):
        url = links.get(mention_key(match[1]))
        if url is None:
            continue
        before = Token("text", "", 0, content=token.content[start : match.start()])
        opening = Token("link_open", "a", 1, attrs={"href": url})
        name = Token("text", "", 0, content="@" + mention_key(match[1]))
        pieces += [before, opening, name, Token("link_close", "a", -1)]
        start = match.end()
    if not pieces:
        return [token]
    return [*pieces, Token("text", "", 0, content=token.content[start:])]


def _link_mentions(state: StateCore) -> None:
    links = state.env.get("mentions")
    if not links:
        return
    for block in state.tokens:
        if block.type == "inline" and block.children:
            texts = {id(token) for token in _mention_texts([block])}
            block.children = [
                piece
                for token in block.children
                for piece in (_split_mentions(token, links) if id(token) in texts else [token])
            ]


_markdown.core.ruler.push("mentions", _link_mentions)


def _set_rel(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"})],
)


def render_markdown(source: str, *, mentions: Mapping[str, str] | None = None) -> str:
    """Markdown source to HTML safe to show as is: raw HTML is escaped by the parser,
    and bleach keeps only the tags, attributes and URL schemes listed above. `mentions`
    maps the names mentioned (see `mentioned_names`) to the addresses they link to."""
    return _cleaner.clean(_markdown.render(source, {"mentions": mentions or {}}))


def mentioned_names(source: str) -> list[str]:
    """The names a post mentions with `@[Name]`, in order, each once; not those in code
    or in a link's text."""
    if "@[" not in source:
        return []
    names: dict[str, None] = {}
    inline = [token for token in _markdown.parse(source) if token.type == "inline"]
    for token in _mention_texts(inline):
        for match in MENTION.finditer(token.content):
            names.setdefault(mention_key(match[1]), None)
    return list(names)


# An inline code span, or a link or image outside one: `[text](url "title")`, a URL
# with balanced parentheses in it as Markdown allows (Wikipedia's), and no escaped `\[`.
_INLINE = re.compile(
    r"(?P<code>(`+).*?(?<!`)\2(?!`))"
    r"|(?<!\\)!?\[(?P<text>[^\]\n]*)\]"
    r"\(\s*<?(?P<url>(?:[^()\s<>]|\([^()\s]*\))+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)


def _plain_link(match: re.Match[str]) -> str:
    if match["code"]:
        return match["code"]
    text, url = match["text"].strip(), match["url"]
    return f"<{url}>" if text in ("", url) else f"{text} <{url}>"


def _code_lines(source: str) -> set[int]:
    """Numbers of the lines that fenced or indented code blocks take, quoted ones too."""
    lines: set[int] = set()
    for token in _markdown.parse(source):
        if token.type in ("fence", "code_block") and token.map:
            lines.update(range(*token.map))
    return lines


def markdown_to_text(source: str) -> str:
    """A post as plain text, for mail and the archives: its Markdown source as written
    (paragraphs, lists, `> ` quotes and code read as text already), with inline links
    spelled `text <url>`; code is left exactly as it is."""
    source = source.replace("\r\n", "\n").replace("\r", "\n").lstrip("\n").rstrip()
    if "](" not in source:
        return source
    code = _code_lines(source)
    lines = source.split("\n")
    for number, line in enumerate(lines):
        if number not in code and "](" in line:
            lines[number] = _INLINE.sub(_plain_link, line)
    return "\n".join(lines)


def html_to_text(html: str) -> str:
    """Plain text of sanitised HTML, one line a block, for excerpts, search and mail."""
    text = bleach.clean(_BLOCK_END.sub("\n", html), tags=set(), strip=True)
    lines = (" ".join(line.split()) for line in unescape(text).splitlines())
    return "\n".join(line for line in lines if line)


def excerpt(html: str, length: int = 200) -> str:
    text = " ".join(html_to_text(html).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
