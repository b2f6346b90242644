"""What is new in a reply: quoted text, attribution lines and signatures taken away.

Handles the styles of the common mail programs: `>` quoting, above, below or between
the new text (top-posted, bottom-posted and interleaved replies); the attribution line
("On … wrote:", "… wrote:", also wrapped over two or three lines, and in a few
languages) wherever it stands just above a removed quote, or at the end; Outlook's
"-----Original Message-----" and its From:/Sent:/To:/Subject: block; Gmail's, Apple
Mail's and Thunderbird's HTML quotes (`gmail_quote`, `blockquote type="cite"`,
`moz-cite-prefix`); and the `-- ` signature separator. Fenced and indented code and
numbered lists are left alone. HTML links keep their address (`[text](url)`).
"""

import re
from html import unescape
from html.parser import HTMLParser

# Checked only just above a removed quote, or at the very end of the new text: "On …
# wrote:" over up to three lines, or any one line that ends "… wrote:".
_ATTRIBUTION = re.compile(
    r"^\s*(On\b.{0,300}\bwrote|Le\b.{0,300}\ba écrit|El\b.{0,300}\bescribió|Am\b.{0,300}"
    r"\bschrieb|Em\b.{0,300}\bescreveu|Il\b.{0,300}\bscritto)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_WROTE = re.compile(
    r"^\s*\S.{0,300}\b(wrote|a écrit|escribió|schrieb|escreveu|scritto)\s*:\s*$",
    re.IGNORECASE,
)
_OUTLOOK_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Message d'origine|Mensaje original|Ursprüngliche "
    r"Nachricht)\s*-{2,}|_{20,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_HEADER = re.compile(r"^\s*\**(From|De|Von|Van)\s*:\**\s", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\**(Sent|Date|Envoyé|Gesendet|Enviado)\s*:", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")


def strip_quotes(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    in_code = after_quote = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_code = not in_code
        if in_code:
            kept.append(line)
            continue
        if line in ("-- ", "--"):
            break
        if _starts_quoted_history(lines, index):
            break
        if line.lstrip().startswith(">"):
            if not after_quote:
                _drop_attribution(kept)
            after_quote = True
            continue
        if after_quote and kept and not kept[-1].strip() and not line.strip():
            continue
        if after_quote and line.strip() and kept and kept[-1].strip():
            kept.append("")
        after_quote = after_quote and not line.strip()
        kept.append(line)
    _drop_attribution(kept)
    return "\n".join(kept).strip()


def _starts_quoted_history(lines: list[str], index: int) -> bool:
    """Outlook puts the earlier message below a separator or a From:/Sent: block."""
    line = lines[index]
    if _OUTLOOK_SEPARATOR.match(line):
        return True
    return bool(
        _OUTLOOK_HEADER.match(line)
        and index + 1 < len(lines)
        and _OUTLOOK_NEXT.match(lines[index + 1])
    )


def _drop_attribution(kept: list[str]) -> None:
    """Remove an "On … wrote:" line (or two or three, when wrapped) that ends the lines
    kept so far, blank lines aside: it introduced a quote that is gone."""
    end = len(kept)
    while end and not kept[end - 1].strip():
        end -= 1
    for span in (1, 2, 3):
        if end >= span and _ATTRIBUTION.match(" ".join(kept[end - span : end])):
            del kept[end - span :]
            return
    if end and _WROTE.match(kept[end - 1]):
        del kept[end - 1 :]


_BLOCKS = {"p", "div", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "ul", "ol"}
_SKIPPED = {"style", "script", "head", "title"}
_LINKED = re.compile(r"^\s*(https?://|mailto:)\S", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    """HTML mail to plain text; with `keep_quotes` off, quoted history is skipped."""

    def __init__(self, *, keep_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_quotes = keep_quotes
        self.parts: list[str] = []
        self.skipping: list[str] = []
        self.lists: list[list[int]] = []
        self.links: list[tuple[int, str]] = []
        self.stopped = False

    def _quote_starts(self, tag: str, attrs: dict[str, str]) -> bool:
        classes = attrs.get("class", "")
        return (
            (tag == "blockquote")
            or "gmail_quote" in classes
            or "moz-cite-prefix" in classes
            or attrs.get("id", "") in {"divRplyFwdMsg", "appendonsend"}
            or "OutlookMessageHeader" in classes
        )

    def handle_starttag(self, tag: str, attributes: list) -> None:
        attrs = {name: value or "" for name, value in attributes}
        if self.skipping:
            if tag not in {"br", "img", "hr", "meta", "link", "input", "wbr"}:
                self.skipping.append(tag)
            return
        if tag in _SKIPPED or (not self.keep_quotes and self._quote_starts(tag, attrs)):
            if attrs.get("id") == "divRplyFwdMsg":
                self.stopped = True
            elif tag not in _SKIPPED:
                self.parts.append("\n>\n")  # where the quote stood, for strip_quotes
            self.skipping.append(tag)
            return
        if tag == "a" and _LINKED.match(attrs.get("href", "")):
            self.links.append((len(self.parts), attrs["href"].strip()))
        if tag in _BLOCKS or tag == "li":
            self.parts.append("\n")
        if tag in {"ul", "ol"}:
            self.lists.append([0 if tag == "ol" else -1])
        elif tag == "li" and self.lists:
            counter = self.lists[-1]
            if counter[0] >= 0:
                counter[0] += 1
                self.parts.append(f"{counter[0]}. ")
            else:
                self.parts.append("- ")
        elif tag == "pre":
            self.parts.append("\n```\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if self.skipping[-1] == tag:
                self.skipping.pop()
            return
        if tag == "a" and self.links:
            self._close_link(*self.links.pop())
        if tag in {"ul", "ol"} and self.lists:
            self.lists.pop()
        if tag == "pre":
            self.parts.append("\n```\n")
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def _close_link(self, start: int, href: str) -> None:
        """The link's text becomes Markdown that keeps its address."""
        text = " ".join("".join(self.parts[start:]).split())
        url = href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        if not text or text == href:
            markdown = f"<{url}>"
        elif href.lower().startswith("mailto:") and text == href[7:]:
            markdown = text
        else:
            label = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
            markdown = f"[{label}]({url})"
        self.parts[start:] = [markdown]

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.stopped:
            self.parts.append(data)

    def text(self) -> str:
        """Spaces tidied line by line, except inside code, which keeps its layout."""
        lines, in_code = [], False
        for line in "".join(self.parts).split("\n"):
            if _FENCE.match(line):
                in_code = not in_code
            lines.append(line.rstrip() if in_code else " ".join(line.split()))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str, *, keep_quotes: bool = False) -> str:
    extractor = _TextExtractor(keep_quotes=keep_quotes)
    try:
        extractor.feed(html)
        extractor.close()
    except (AssertionError, ValueError):
        return unescape(re.sub(r"<[^>]+>", " ", html))
    return extractor.text()
