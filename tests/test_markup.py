"""Post bodies: Markdown rendered, and every XSS vector made harmless."""

from html.parser import HTMLParser

import pytest

from forum.markup import ALLOWED_TAGS, excerpt, html_to_text, render_markdown

XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="position:fixed;top:0">overlay</p>',
    "<style>body{display:none}</style>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "<object data=x></object><embed src=x>",
    "<form action=https://evil.example><input name=p></form>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "![x](https://tracker.example/pixel.gif)",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "``` \n</code><script>alert(1)</script>\n```",
]


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("source", XSS_VECTORS)
def test_xss_vectors_are_harmless(source):
    html = render_markdown(source)
    for tag, attrs in _Elements(html).found:
        assert tag in ALLOWED_TAGS, (source, html)
        assert set(attrs) <= {"href", "title", "rel", "start"}, (source, html)
        href = (attrs.get("href") or "https:").strip().lower()
        assert href.split(":", 1)[0] in {"http", "https", "mailto"}, (source, html)


def test_links_get_rel_and_bare_urls_are_linked():
    html = render_markdown("See https://www.itu.int/wsis and [UNESCO](https://unesco.org).")
    assert html.count('rel="nofollow ugc noopener"') == 2
    assert 'href="https://www.itu.int/wsis"' in html


def test_markdown_features():
    html = render_markdown(
        "# Title\n\n- one\n- two\n\n> quoted\n\n`code` and ~~gone~~\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    for tag in (
        "<h1>",
        "<li>one</li>",
        "<blockquote>",
        "<code>code</code>",
        "<s>gone</s>",
        "<td>1</td>",
    ):
        assert tag in html


def test_code_blocks_are_not_linkified():
    html = render_markdown("```\ncurl https://example.org\n```")
    assert "<a " not in html


def test_plain_text_and_excerpt():
    html = render_markdown("Para **one** &amp; more.\n\nPara two.")
    assert html_to_text(html) == "Para one & more.\nPara two."
    assert excerpt(render_markdown("word " * 100), length=20).endswith("…")
