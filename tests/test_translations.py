"""The catalogues of the six UN languages: complete, well-formed, and used by the pages."""

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from forum.settings import CONFIG_DIR, PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "forum" / "translations"
LANGUAGES = ["ar", "zh_Hans", "fr", "ru", "es"]
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def _catalog(code: str):
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source)


def _template_ids() -> set[str]:
    with (TRANSLATIONS / "messages.pot").open("rb") as source:
        return {message.id if isinstance(message.id, str) else message.id[0]
                for message in read_po(source) if message.id}  # fmt: skip


def test_every_offered_language_has_a_catalogue():
    offered = set(_offered()) - {"en"}
    assert offered == set(LANGUAGES)
    for code in offered:
        assert (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").exists(), code


def _offered() -> list[str]:
    namespace: dict = {}
    exec((CONFIG_DIR / "defaults.py").read_text(), namespace)  # noqa: S102 (our own file)
    return list(namespace["LANGUAGES"])


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_message_is_untranslated_or_fuzzy(code):
    missing = [
        message.id
        for message in _catalog(code)
        if message.id
        and (
            message.fuzzy
            or not (all(message.string) if isinstance(message.string, tuple) else message.string)
        )
    ]
    assert missing == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_catalogue_holds_every_message_of_the_template(code):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(code) if m.id}
    assert _template_ids() <= ids


@pytest.mark.parametrize("code", LANGUAGES)
def test_translations_keep_every_placeholder(code):
    wrong = []
    for message in _catalog(code):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(_PLACEHOLDER.findall(sources[-1]))
        for text in texts:
            if set(_PLACEHOLDER.findall(text)) - wanted or (
                len(texts) == 1 and wanted - set(_PLACEHOLDER.findall(text))
            ):
                wrong.append((message.id, text))
    assert wrong == []


@pytest.mark.parametrize(
    ("accept", "sign_in"),
    [("ar", "تسجيل الدخول"), ("zh-CN", "登录"), ("fr", "Se connecter"), ("ru", "Войти")],
)
def test_pages_speak_the_readers_language(client, accept, sign_in):
    if not (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo").exists():
        pytest.fail("catalogues are not compiled: run `make translations` (make test does)")
    for path in ("/", "/register", "/search?q=forum", "/b/c5-building-confidence-and-security"):
        response = client.get(path, headers={"Accept-Language": accept})
        assert response.status_code == 200, path
        assert sign_in in response.get_data(as_text=True), path


def test_the_template_is_current():
    """Strings added to the code are extracted (`make messages`): the template lists the
    messages of the templates in _macros (which Babel skips unless told otherwise, and
    cannot parse without the `do` extension)."""
    ids = _template_ids()
    assert {"Language", "When", "Who", "Nothing has been moderated here yet.", "Next"} <= ids


_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
_STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
_WORD = re.compile(r"[A-Za-z]{2,}")
# Words that are the same in every language: a file format, mail header names and the
# list commands, which mail programs and the forum read as written.
_AS_WRITTEN = {
    "mbox", "CSV", "JSON", "Date", "From", "Subject", "Message", "ID", "In", "Reply", "To",
    "subscribe", "unsubscribe", "digest", "daily", "weekly", "help",
}  # fmt: skip


class _VisibleText(HTMLParser):
    """Text a reader sees in a template: text nodes, and the attributes read aloud."""

    SPOKEN = frozenset({"title", "aria-label", "placeholder", "alt"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.text += [value for name, value in attrs if name in self.SPOKEN and value]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _untranslated_words(path, source: str) -> list[str]:
    source = _STATEMENT.sub("", _EXPRESSION.sub(" ", source))
    if path.suffix == ".html":
        parser = _VisibleText()
        parser.feed(source)
        source = " ".join(parser.text)
    return [word for word in _WORD.findall(source) if word not in _AS_WRITTEN]


def test_templates_hold_no_text_outside_translation_calls():
    """Every word a reader sees in a template goes through `_()`: the text left once the
    template's expressions and tags are taken out is markup, or words the same in every
    language."""
    templates = PROJECT_ROOT / "templates"
    found = {
        str(path.relative_to(templates)): words
        for path in sorted(templates.rglob("*"))
        if path.suffix in {".html", ".txt"}
        and (words := _untranslated_words(path, path.read_text()))
    }
    assert found == {}
