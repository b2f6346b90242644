"""Sections, boards and the roles people hold on a board."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from forum.db import str_enum, utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.accounts.models import User
    from forum.posts.models import Post


class BoardKind(enum.StrEnum):
    ACTION_LINE = "action_line"
    BUREAU = "bureau"
    COORDINATION = "coordination"


class ReadPolicy(enum.StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "signed_in"
    MEMBERS = "members"


class PostPolicy(enum.StrEnum):
    VERIFIED = "verified"
    ACCREDITED_OR_MEMBERS = "accredited_or_members"
    MEMBERS = "members"
    COORDINATORS = "coordinators"


class Role(enum.StrEnum):
    COORDINATOR = "coordinator"
    MEMBER = "member"
    # Not a team role: barred by the coordinators from posting on this board.
    BANNED = "banned"


ROLE_LABELS = {
    Role.COORDINATOR: _l("Coordinator"),
    Role.MEMBER: _l("Member"),
    Role.BANNED: _l("Banned"),
}

TEAM_ROLES = frozenset({Role.COORDINATOR, Role.MEMBER})


class ModerationMode(enum.StrEnum):
    OPEN = "open"
    NEW_MEMBERS = "new_members"
    ALL = "all"


class OutsideMail(enum.StrEnum):
    """What becomes of mail to a board from people who may not post there."""

    REFUSE = "refuse"
    # From confirmed accounts: held for the coordinators to approve.
    HOLD_ACCOUNTS = "hold_accounts"
    # From accounts and from addresses with no account (Mailman's non-member hold).
    HOLD_ALL = "hold_all"


OUTSIDE_MAIL_LABELS = {
    OutsideMail.REFUSE: _l("Refuse it (the sender is told why)"),
    OutsideMail.HOLD_ACCOUNTS: _l(
        "Hold it for the coordinators when it comes from a confirmed account"
    ),
    OutsideMail.HOLD_ALL: _l(
        "Hold it for the coordinators, also from addresses with no account (accepting such "
        "a post makes an invited, email-only account)"
    ),
}


MODERATION_MODE_LABELS = {
    ModerationMode.OPEN: _l("Open: posts appear at once"),
    ModerationMode.NEW_MEMBERS: _l(
        "New members: the first posts of each person, and posts by new accounts, wait for approval"
    ),
    ModerationMode.ALL: _l("All: every post waits for approval, except coordinators'"),
}


CATALOGUE_LANGUAGE = "en"


def reader_language() -> str:
    """The language pages and mail are being written in (English outside any request)."""
    locale = get_locale()
    return str(locale) if locale else CATALOGUE_LANGUAGE


class Translated:
    """A title and description in English, with their translations from the catalogue:
    `{"fr": {"title": ..., "description": ...}, ...}`; English where one is missing."""

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )

    def title_in(self, language: str) -> str:
        return self.translations.get(language, {}).get("title") or self.title

    def description_in(self, language: str) -> str:
        return self.translations.get(language, {}).get("description") or self.description

    @property
    def shown_title(self) -> str:
        """The title in the reader's language."""
        return self.title_in(reader_language())

    @property
    def shown_description(self) -> str:
        return self.description_in(reader_language())


class Section(Translated, db.Model):
    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    boards: Mapped[list["Board"]] = relationship(
        back_populates="section", order_by="Board.position"
    )


class Board(Translated, db.Model):
    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="RESTRICT"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[BoardKind] = mapped_column(str_enum(BoardKind), default=BoardKind.ACTION_LINE)
    facilitators: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)
    read_policy: Mapped[ReadPolicy] = mapped_column(str_enum(ReadPolicy), default=ReadPolicy.PUBLIC)
    post_policy: Mapped[PostPolicy] = mapped_column(
        str_enum(PostPolicy), default=PostPolicy.VERIFIED
    )
    moderation_mode: Mapped[ModerationMode] = mapped_column(
        str_enum(ModerationMode), default=ModerationMode.OPEN
    )
    # Mail from people who may not post here: refused, or held for the coordinators.
    outside_mail: Mapped[OutsideMail] = mapped_column(
        str_enum(OutsideMail), default=OutsideMail.REFUSE
    )
    # Set by the coordinators: added to every copy and digest of the board's posts.
    mail_footer: Mapped[str] = mapped_column(Text, default="")
    thread_count: Mapped[int] = mapped_column(default=0)
    post_count: Mapped[int] = mapped_column(default=0)
    last_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL", use_alter=True)
    )
    last_activity_at: Mapped[datetime | None]
    # Moves on every change that its page shows: the version under which pages are cached.
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Consultations of other boards listed here, loaded where a query asks for it (the
    # board page, with `board_by_slug`): with `thread_count`, what its pages list.
    listed_elsewhere: Mapped[int | None] = query_expression()

    section: Mapped[Section] = relationship(back_populates="boards")
    parent: Mapped["Board | None"] = relationship(remote_side=[id])
    last_post: Mapped["Post | None"] = relationship(foreign_keys=[last_post_id], post_update=True)
    roles: Mapped[list["BoardRole"]] = relationship(back_populates="board")

    @property
    def shows_code(self) -> bool:
        """Action lines go by their code (C5); e-applications and bureaus by their title."""
        return self.kind == BoardKind.ACTION_LINE and self.parent_id is None

    def label_in(self, language: str) -> str:
        title = self.title_in(language)
        return f"{self.code} {title}" if self.shows_code else title

    @property
    def label(self) -> str:
        """The board's name in the reader's language, after its code for action lines."""
        return self.label_in(reader_language())

    @property
    def english_label(self) -> str:
        """The label in the catalogue's own language, for what must not vary by reader
        (List-Id, notices stored for later reading)."""
        return self.label_in(CATALOGUE_LANGUAGE)

    def __repr__(self) -> str:
        return f"<Board {self.code}>"


class BoardRole(db.Model):
    __tablename__ = "board_roles"
    __table_args__ = (
        UniqueConstraint("board_id", "user_id", "role", name="uq_board_roles_board_user_role"),
        Index("ix_board_roles_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")

    board: Mapped[Board] = relationship(back_populates="roles")
    user: Mapped["User"] = relationship(back_populates="board_roles", foreign_keys=[user_id])
