"""The forum's identity: its name and logo, and its site pages (About, Code of conduct,
Privacy, Terms, Contact) in the reader's language, edited by admins as Markdown."""

import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.permissions import Action, can
from forum.site.models import PageSlug, SitePage, SitePageEdit
from forum.site.services import DEFAULTS_DIR
from tests.helpers import post_form, text_of

PAGES = ["/about", "/code-of-conduct", "/privacy", "/terms", "/contact"]


def test_header_shows_the_name_beside_a_small_logo_kept_by_the_browser(client):
    page = text_of(client.get("/"))
    brand = re.search(r'<a class="brand"[^>]*>(.*?)</a>', page, re.S).group(1)
    logo = re.search(r'<img class="logo" src="([^"]+)"[^>]*>', brand)
    assert 'alt=""' in logo.group(0), "the name beside it is what screen readers read"
    assert brand.split(">", 1)[1].strip() == "WSIS Forum"
    response = client.get(logo.group(1))
    assert "immutable" in response.headers["Cache-Control"]
    svg = response.get_data(as_text=True)
    assert "#0b5cad" in svg
    assert len(svg.encode()) < 400


def test_footer_links_every_site_page_and_each_is_written(client):
    footer = text_of(client.get("/")).split('<footer class="site">', 1)[1]
    for path in PAGES:
        assert f'href="{path}"' in footer
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Last updated" in text_of(response)


def test_about_tells_how_the_follow_up_works(client):
    page = text_of(client.get("/about"))
    for words in ["C1", "C11", "e-agriculture", "e-science", "coordinator",
                  "Governmental Bureau", "Civil Society Bureau", "Business Bureau",
                  "open virtual multi-stakeholder forum"]:  # fmt: skip
        assert words in page, words


def test_privacy_says_how_to_export_and_delete(client):
    page = text_of(client.get("/privacy"))
    assert "a former participant" in page
    assert "mbox" in page
    assert "JSON" in page


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("ar", "عن المنتدى"),
        ("zh-Hans", "关于本论坛"),
        ("fr", "À propos du forum"),
        ("ru", "О форуме"),  # noqa: RUF001
        ("es", "Acerca del foro"),
    ],
)
def test_about_is_in_the_readers_language(client, language, title):
    page = text_of(client.get("/about", headers={"Accept-Language": language}))
    assert f"<h1>{title}</h1>" in page


def _shape(text: str) -> dict[str, list[str]]:
    """What a translation keeps from the English: its headings, list items and paragraphs
    counted, its links and mail addresses as they are."""
    lines = text.splitlines()
    return {
        "headings": [line.split(" ", 1)[0] for line in lines if line.startswith("#")],
        "items": [str(sum(line.startswith("- ") for line in lines))],
        "paragraphs": [str(len([block for block in text.split("\n\n") if block.strip()]))],
        "links": re.findall(r"\]\((/[^)]*)\)", text),
        "addresses": re.findall(r"[\w.-]+@\{mail_domain\}", text),
    }


@pytest.mark.parametrize("slug", list(PageSlug))
def test_every_page_ships_in_the_six_languages_shaped_as_the_english(app, slug):
    english = (DEFAULTS_DIR / slug / "en.md").read_text(encoding="utf-8")
    assert len(app.config["LANGUAGES"]) == 6
    for language in app.config["LANGUAGES"]:
        text = (DEFAULTS_DIR / slug / f"{language}.md").read_text(encoding="utf-8")
        assert text.startswith("# "), (slug, language)
        assert _shape(text) == _shape(english), (slug, language)
        if language != "en":
            assert text.splitlines()[2:] != english.splitlines()[2:], "translated, not copied"


@pytest.mark.parametrize("slug", list(PageSlug))
@pytest.mark.parametrize("language", ["ar", "zh_Hans", "fr", "ru", "es"])
def test_every_page_is_served_in_the_readers_language(app, client, slug, language):
    tag = language.replace("_", "-")
    page = text_of(client.get(f"/{slug}", headers={"Accept-Language": f"{tag},en;q=0.5"}))
    title = (DEFAULTS_DIR / slug / f"{language}.md").read_text(encoding="utf-8").splitlines()[0]
    assert f'<html lang="{tag}"' in page
    assert f'<article class="site-page" lang="{tag}" dir="auto">' in page
    assert f"<h1>{title.removeprefix('# ')}</h1>" in page
    assert "{mail_domain}" not in page
    if slug == PageSlug.CONTACT:
        assert f"postmaster@{app.config['MAIL_DOMAIN']}" in page


def test_a_page_with_no_text_in_the_readers_language_shows_the_english(client):
    db.session.execute(
        SitePage.__table__.delete().where(SitePage.slug == "terms", SitePage.language == "fr")
    )
    db.session.commit()
    page = text_of(client.get("/terms", headers={"Accept-Language": "fr"}))
    assert '<html lang="fr"' in page
    assert '<article class="site-page" lang="en"' in page
    assert "<h1>Terms</h1>" in page


def test_admin_edits_a_page_as_markdown_and_the_edit_is_recorded(app, client, make_user, sign_in):
    admin = make_user(name="Eleni Admin", admin=True)
    sign_in(admin)
    assert "/admin/pages" in text_of(client.get("/admin/"))
    assert 'href="/admin/pages/about/fr"' in text_of(client.get("/admin/pages"))
    form = text_of(client.get("/admin/pages/about/en"))
    assert "open virtual multi-stakeholder forum" in form
    response = post_form(
        client,
        "/admin/pages/about/en",
        {"title": "About us", "body": "We **meet** online.\n\n<script>alert(1)</script>"},
    )
    assert response.status_code == 302
    page = text_of(client.get("/about"))
    assert "<h1>About us</h1>" in page
    assert "We <strong>meet</strong> online." in page
    assert "<script>alert" not in page
    assert "Last updated" in page
    edits = db.session.scalars(
        select(SitePageEdit)
        .join(SitePage, SitePage.id == SitePageEdit.page_id)
        .where(SitePage.slug == "about", SitePage.language == "en")
        .order_by(SitePageEdit.id)
    ).all()
    assert [edit.edited_by_id for edit in edits] == [None, admin.id]
    assert "Eleni Admin" in text_of(client.get("/admin/pages/about/en"))
    # Other languages keep their own text.
    french = app.test_client().get("/about", headers={"Accept-Language": "fr"})
    assert "<h1>À propos du forum</h1>" in text_of(french)


def test_a_page_without_a_title_comes_back_with_its_text(client, make_user, sign_in):
    sign_in(make_user(admin=True))
    response = post_form(client, "/admin/pages/terms/es", {"title": "", "body": "Texto nuevo"})
    assert response.status_code == 400
    assert "Texto nuevo" in text_of(response)
    assert "This field is required." in text_of(response)


def test_unknown_pages_and_languages_are_not_found(client, make_user, sign_in):
    sign_in(make_user(admin=True))
    assert client.get("/admin/pages/faq/en").status_code == 404
    assert client.get("/admin/pages/about/de").status_code == 404


def test_only_admins_edit_site_pages(client, make_user, sign_in):
    member = make_user()
    assert not can(member, Action.EDIT_SITE_PAGES)
    assert can(make_user(admin=True), Action.EDIT_SITE_PAGES)
    assert not can(make_user(admin=True, suspended=True), Action.EDIT_SITE_PAGES)
    assert client.get("/admin/pages/about/en").status_code == 302
    sign_in(member)
    assert client.get("/admin/pages/about/en").status_code == 403
    response = post_form(client, "/admin/pages/about/en", {"title": "Mine", "body": "Mine"})
    assert response.status_code == 403
    assert "<h1>About the forum</h1>" in text_of(client.get("/about"))
    assert "Edit this page" not in text_of(client.get("/about"))


def test_loading_the_default_pages_again_keeps_admins_texts(app, client, make_user, sign_in):
    sign_in(make_user(admin=True))
    post_form(client, "/admin/pages/contact/en", {"title": "Write to us", "body": "Here."})
    db.session.execute(SitePage.__table__.delete().where(SitePage.slug == PageSlug.ABOUT))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["forum", "load-pages"])
    assert result.exit_code == 0, result.output
    assert "Site pages: 6 written" in result.output
    again = app.test_cli_runner().invoke(args=["forum", "load-pages"])
    assert "Site pages: 0 written" in again.output
    assert "<h1>Write to us</h1>" in text_of(client.get("/contact"))
    arabic = app.test_client().get("/about", headers={"Accept-Language": "ar"})
    assert "<h1>عن المنتدى</h1>" in text_of(arabic)


def test_loading_the_default_pages_writes_every_page_in_every_language(app, client):
    db.session.execute(SitePage.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["forum", "load-pages"])
    assert result.exit_code == 0, result.output
    assert "Site pages: 30 written" in result.output
    stored = db.session.execute(select(SitePage.slug, SitePage.language)).all()
    assert len(set(stored)) == 30
    russian = text_of(client.get("/code-of-conduct", headers={"Accept-Language": "ru"}))
    assert "<h1>Кодекс поведения</h1>" in russian
