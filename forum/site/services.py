"""Site pages (the text for a reader's language, admins' edits, each one recorded, and
the texts the forum ships with) and site settings."""

from pathlib import Path

from flask import current_app
from sqlalchemy import select

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.markup import render_markdown
from forum.permissions import Action, require
from forum.site.models import DeletedPosts, PageSlug, SitePage, SitePageEdit, SiteSetting

DEFAULTS_DIR = Path(__file__).parent / "defaults"
FALLBACK_LANGUAGE = "en"
DELETED_POSTS = "deleted_posts"


def page_for(slug: PageSlug, language: str) -> SitePage | None:
    """The page in the reader's language, else in English."""
    pages = db.session.scalars(
        select(SitePage).where(
            SitePage.slug == slug, SitePage.language.in_({language, FALLBACK_LANGUAGE})
        )
    ).all()
    by_language = {page.language: page for page in pages}
    return by_language.get(language) or by_language.get(FALLBACK_LANGUAGE)


def pages_by_language(slug: PageSlug) -> dict[str, SitePage]:
    pages = db.session.scalars(select(SitePage).where(SitePage.slug == slug))
    return {page.language: page for page in pages}


def edits_of(page: SitePage) -> list[SitePageEdit]:
    """The page's versions, newest first."""
    return list(
        db.session.scalars(
            select(SitePageEdit)
            .where(SitePageEdit.page_id == page.id)
            .order_by(SitePageEdit.edited_at.desc(), SitePageEdit.id.desc())
        )
    )


def save_page(
    slug: PageSlug, language: str, editor: User | None, *, title: str, body: str
) -> SitePage:
    """Write a page in one language (an admin's edit, or a default text when `editor` is
    None) and record the version with who wrote it and when."""
    if editor is not None:
        require(editor, Action.EDIT_SITE_PAGES)
    if language not in current_app.config["LANGUAGES"]:
        raise ValueError(f"not a language of the forum: {language}")
    page = db.session.scalar(
        select(SitePage).where(SitePage.slug == slug, SitePage.language == language)
    )
    if page is None:
        page = SitePage(slug=str(slug), language=language)
        db.session.add(page)
    page.title = title.strip()
    page.body_source = body
    page.body_html = render_markdown(body)
    page.updated_at = utcnow()
    page.updated_by_id = editor.id if editor is not None else None
    db.session.flush()
    db.session.add(
        SitePageEdit(
            page_id=page.id,
            edited_at=page.updated_at,
            edited_by_id=page.updated_by_id,
            title=page.title,
            body_source=body,
        )
    )
    db.session.flush()
    return page


def default_text(slug: PageSlug, language: str) -> tuple[str, str] | None:
    """The title and Markdown the forum ships for a page, from `defaults/<slug>/<lang>.md`
    (a first line `# Title`, then the text), with `{mail_domain}` filled in."""
    path = DEFAULTS_DIR / slug / f"{language}.md"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    text = text.replace("{mail_domain}", current_app.config["MAIL_DOMAIN"])
    heading, _, body = text.partition("\n")
    return heading.removeprefix("# ").strip(), body.strip() + "\n"


def load_default_pages() -> list[tuple[str, str]]:
    """Store the shipped text of every page in every language that has none yet; an
    admin's text is never replaced. Returns the (page, language) pairs written."""
    written = []
    for slug in PageSlug:
        stored = pages_by_language(slug)
        for language in current_app.config["LANGUAGES"]:
            text = default_text(slug, language)
            if language in stored or text is None:
                continue
            save_page(slug, language, None, title=text[0], body=text[1])
            written.append((str(slug), language))
    return written


# Site settings --------------------------------------------------------------------------


def deleted_posts_policy() -> DeletedPosts:
    """What becomes of a deleted account's posts: the person's choice unless admins fixed it."""
    value = db.session.scalar(select(SiteSetting.value).where(SiteSetting.key == DELETED_POSTS))
    try:
        return DeletedPosts(value)
    except ValueError:
        return DeletedPosts.CHOOSE


def set_deleted_posts_policy(policy: DeletedPosts, admin: User) -> None:
    require(admin, Action.ADMINISTER)
    setting = db.session.get(SiteSetting, DELETED_POSTS)
    if setting is None:
        setting = SiteSetting(key=DELETED_POSTS)
        db.session.add(setting)
    setting.value = policy.value
    setting.updated_at = utcnow()
    setting.updated_by_id = admin.id
    db.session.flush()
