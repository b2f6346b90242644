"""The board catalogue in the forum's six languages: every board and section named in
each, shown to readers (pages, feeds, mail) in theirs, English where none is chosen."""

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from forum.boards.models import Board, Section
from forum.boards.services import load_boards, read_catalogue
from forum.extensions import db
from forum.mail import digests, mail_context, subscriptions
from forum.mail.models import MailMode
from forum.settings import CONFIG_DIR
from tests.conftest import deliver
from tests.helpers import board, text_of

CATALOGUE = CONFIG_DIR / "boards.toml"
C1_TITLES = {
    "en": "The role of public governance authorities and all stakeholders in the promotion "
    "of ICTs for development",
    "fr": "Rôle des autorités publiques et de toutes les parties prenantes dans la promotion "
    "des TIC pour le développement",
    "ar": "دور السلطات العامة وجميع أصحاب المصلحة في النهوض بتكنولوجيا المعلومات والاتصالات "
    "من أجل التنمية",
}
C5 = "/b/c5-building-confidence-and-security"
C5_FRENCH = "C5 Établir la confiance et la sécurité dans l'utilisation des TIC"
C5_RUSSIAN = "C5 Укрепление доверия и безопасности при использовании ИКТ"


def _read(client, url: str, language: str) -> str:
    """A page as its reader sees the text (entities decoded), asked for in a language."""
    return html.unescape(text_of(client.get(url, headers={"Accept-Language": language})))


def _other_languages(app) -> list[str]:
    return [code for code in app.config["LANGUAGES"] if code != "en"]


def test_the_catalogue_names_every_board_and_section_in_every_language(app):
    entries = []
    for section in read_catalogue(CATALOGUE):
        entries.append((f"section {section['slug']}", section))
        entries += [(f"board {entry['code']}", entry) for entry in section["boards"]]
    missing = [
        f"{where}: {name} in {code}"
        for where, entry in entries
        for code in _other_languages(app)
        for name in ("title", "description")
        if not entry.get("translations", {}).get(code, {}).get(name, "").strip()
    ]
    assert missing == []
    stored = list(db.session.scalars(select(Board))) + list(db.session.scalars(select(Section)))
    assert all(set(item.translations) == set(_other_languages(app)) for item in stored)


def test_a_catalogue_missing_a_language_is_refused_and_changes_nothing(app, tmp_path: Path):
    text = CATALOGUE.read_text(encoding="utf-8")
    start = text.index("[sections.boards.translations.ru]", text.index('code = "C9"'))
    end = text.index("\n\n", start)
    path = tmp_path / "boards.toml"
    path.write_text(text[:start] + text[end:].replace('title = "Media"', 'title = "Press"'))

    result = app.test_cli_runner().invoke(args=["forum", "load-boards", "--file", str(path)])

    assert result.exit_code != 0
    assert "board C9: no title or description in ru" in result.output
    db.session.expire_all()
    assert board("C9").title == "Media"
    assert board("C9").translations["ru"]["title"] == "Средства массовой информации"


def test_loading_the_catalogue_twice_changes_nothing(ctx):
    first = load_boards(CATALOGUE)
    translations = board("C1").translations
    second = load_boards(CATALOGUE)

    assert not first.changed
    assert not second.changed
    assert board("C1").translations == translations
    assert translations["fr"]["title"] == C1_TITLES["fr"]


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_the_home_page_names_the_boards_in_the_readers_language(client, language):
    page = _read(client, "/", language)

    assert C1_TITLES[language] in page
    others = [title for code, title in C1_TITLES.items() if code != language]
    assert not any(title in page for title in others)


def test_the_home_page_shows_sections_and_descriptions_in_french(client):
    page = _read(client, "/", "fr")

    assert "<h2>Grandes orientations</h2>" in page
    assert "Connectivité, réseaux d'accès et accès universel et abordable aux TIC." in page


def test_a_board_page_title_and_heading_follow_the_readers_language(client):
    page = _read(client, C5, "ru")

    assert re.search(r"<title>\s*" + C5_RUSSIAN, page)
    assert f"<h1>{C5_RUSSIAN}</h1>" in page
    assert "Информационная безопасность, безопасность сетей" in page


def test_a_board_without_a_translation_falls_back_to_english(client):
    c9 = board("C9")
    c9.translations = {code: names for code, names in c9.translations.items() if code != "es"}
    db.session.commit()

    page = _read(client, "/b/c9-media", "es")

    assert "<h1>C9 Media</h1>" in page


def test_the_sub_boards_and_thread_crumbs_follow_the_readers_language(client, make_thread):
    thread = make_thread("C7-EHEALTH")

    c7 = _read(client, "/b/c7-ict-applications", "es")
    crumbs = _read(client, f"/t/{thread.id}", "zh-CN")

    assert ">Cibersalud</a>" in c7
    assert ">电子卫生</a>" in crumbs


def test_search_offers_sections_and_boards_in_the_readers_language(client):
    page = _read(client, "/search", "es")

    assert ">Líneas de acción</option>" in page
    assert ">C5 Creación de confianza y seguridad en la utilización de las TIC</option>" in page


def test_a_board_feed_is_titled_in_the_readers_language(client, make_thread):
    make_thread()

    feed = _read(client, f"{C5}/posts.atom", "fr")

    assert f"<title>{C5_FRENCH}</title>" in feed


def _follow_c5(app, make_user, *, email: str, language: str, mode: MailMode) -> None:
    reader = make_user(email=email)
    reader.locale = language
    with app.test_request_context():
        subscriptions.set_board_mode(reader, board("C5"), mode)
        db.session.commit()


def test_a_copy_by_mail_names_the_board_in_the_recipients_language(
    app, smtp, make_user, make_thread
):
    _follow_c5(app, make_user, email="lecteur@example.org", language="fr", mode=MailMode.EVERY_POST)
    make_thread(title="Sécurité")

    deliver(app)

    [message] = smtp.received
    assert message["Subject"].startswith("[C5]")
    assert message["List-Id"].startswith('"C5 Building confidence and security')
    text = message.get_body(("plain",)).get_content()
    assert C5_FRENCH in text


def test_a_digest_names_sections_and_boards_in_each_recipients_language(
    app, smtp, make_user, make_thread
):
    _follow_c5(app, make_user, email="chitatel@example.org", language="ru", mode=MailMode.DAILY)
    _follow_c5(app, make_user, email="reader@example.org", language="en", mode=MailMode.DAILY)
    make_thread(title="Security")
    with mail_context(app):
        digests.queue_due("daily", force=True)

    deliver(app)

    texts = {m["To"]: m.get_body(("plain",)).get_content() for m in smtp.received}
    assert "==== Направления деятельности ====" in texts["chitatel@example.org"]
    assert f"== {C5_RUSSIAN} ==" in texts["chitatel@example.org"]
    assert "==== Action lines ====" in texts["reader@example.org"]
    assert (
        "== C5 Building confidence and security in the use of ICTs =="
        in texts["reader@example.org"]
    )
