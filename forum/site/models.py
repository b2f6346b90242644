"""Site pages, each in the languages it was written in, their edits, and site settings."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.accounts.models import User


class PageSlug(enum.StrEnum):
    """The pages the forum has, in the order of the footer; each slug is its address."""

    ABOUT = "about"
    CODE_OF_CONDUCT = "code-of-conduct"
    PRIVACY = "privacy"
    TERMS = "terms"
    CONTACT = "contact"


# How the footer and the admin area name each page.
PAGE_LABELS = {
    PageSlug.ABOUT: _l("About"),
    PageSlug.CODE_OF_CONDUCT: _l("Code of conduct"),
    PageSlug.PRIVACY: _l("Privacy"),
    PageSlug.TERMS: _l("Terms"),
    PageSlug.CONTACT: _l("Contact"),
}


class SitePage(db.Model):
    """One page in one language; a reader whose language has none reads the English."""

    __tablename__ = "site_pages"
    __table_args__ = (UniqueConstraint("slug", "language", name="uq_site_pages_slug_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40))
    # One of the codes of LANGUAGES (zh_Hans, not zh-Hans).
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None for the text the forum ships with, loaded by `flask forum load-pages`.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    updated_by: Mapped["User | None"] = relationship()


class SitePageEdit(db.Model):
    """Every version of a page, who wrote it and when: the page's history."""

    __tablename__ = "site_page_edits"
    __table_args__ = (Index("ix_site_page_edits_page", "page_id", "edited_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("site_pages.id", ondelete="CASCADE"))
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    body_source: Mapped[str] = mapped_column(Text)

    edited_by: Mapped["User | None"] = relationship()


class DeletedPosts(enum.StrEnum):
    """What becomes of a deleted account's posts, as the admins allow."""

    CHOOSE = "choose"
    KEEP = "keep"
    REMOVE = "remove"


DELETED_POSTS_LABELS = {
    DeletedPosts.CHOOSE: _l("The person chooses: kept or removed"),
    DeletedPosts.KEEP: _l("Always kept, under “a former participant”"),
    DeletedPosts.REMOVE: _l("Always removed"),
}


class SiteSetting(db.Model):
    """A setting of the whole forum that admins change in the admin area."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
