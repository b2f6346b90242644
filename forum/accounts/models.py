"""People who take part in the forum."""

import enum
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import str_enum, utcnow
from forum.extensions import db


class StakeholderGroup(enum.StrEnum):
    GOVERNMENT = "government"
    CIVIL_SOCIETY = "civil_society"
    PRIVATE_SECTOR = "private_sector"
    INTERGOVERNMENTAL = "intergovernmental"
    ACADEMIC_TECHNICAL = "academic_technical"

    @property
    def label(self) -> str:
        return str(STAKEHOLDER_GROUP_LABELS[self])


STAKEHOLDER_GROUP_LABELS = {
    StakeholderGroup.GOVERNMENT: _l("Government"),
    StakeholderGroup.CIVIL_SOCIETY: _l("Civil society"),
    StakeholderGroup.PRIVATE_SECTOR: _l("Private sector"),
    StakeholderGroup.INTERGOVERNMENTAL: _l("Intergovernmental / UN agency"),
    StakeholderGroup.ACADEMIC_TECHNICAL: _l("Academic and technical community"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The name as the person wrote it; pages show `display_name`. Indexed for mentions,
    # which name people by it (forum.notices.mentions).
    stored_name: Mapped[str] = mapped_column("display_name", String(100), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    stakeholder_group: Mapped[StakeholderGroup] = mapped_column(str_enum(StakeholderGroup))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    accredited: Mapped[bool] = mapped_column(default=False)
    email_verified_at: Mapped[datetime | None]
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_suspended: Mapped[bool] = mapped_column(default=False)
    # A suspension with an end date lifts itself then.
    suspended_until: Mapped[datetime | None]
    suspension_reason: Mapped[str] = mapped_column(Text, default="")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    unread_notices: Mapped[int] = mapped_column(default=0)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    post_count: Mapped[int] = mapped_column(default=0)
    # When the person last marked something read: part of their pages' validators, so a
    # page the browser kept is not confirmed with its old "new" marks.
    reads_marked_at: Mapped[datetime | None]
    # Set when the person deleted their account: its personal data is gone, and what it
    # wrote (if kept) stands under "a former participant".
    deleted_at: Mapped[datetime | None]

    board_roles: Mapped[list["BoardRole"]] = relationship(  # noqa: F821
        back_populates="user", cascade="all, delete-orphan", foreign_keys="BoardRole.user_id"
    )

    # The secret of the UserSession this object was loaded through or has just started
    # (see forum.accounts.sessions); not a column.
    session_token = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember-me cookies."""
        return f"{self.id}:{self.session_token}"

    @hybrid_property
    def display_name(self) -> str:
        """The name shown wherever the person appears, in the reader's language for a
        deleted account; in queries, the stored name (empty for a deleted account)."""
        return shown_name(self.stored_name, self.deleted_at)

    @display_name.inplace.setter
    def _display_name_setter(self, value: str) -> None:
        self.stored_name = value

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls):
        return cls.stored_name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def suspended_at(self, moment: datetime) -> bool:
        return self.is_suspended and (self.suspended_until is None or self.suspended_until > moment)

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def group_label(self) -> str:
        return self.stakeholder_group.label

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


def shown_name(stored_name: str, deleted_at: datetime | None) -> str:
    """`User.display_name` from the columns alone (pages that read rows, not accounts)."""
    if deleted_at is not None:
        return gettext("a former participant")
    return stored_name


def email_key(email: str) -> str:
    """Emails are unique case-insensitively: we store and look them up in this form."""
    return email.strip().lower()


class UserSession(db.Model):
    """One signed-in browser. Its session and remember-me cookies name this row, so that
    signing out ends them on the server: a copied cookie opens nothing afterwards."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the secret the cookies carry: the database alone opens no session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
