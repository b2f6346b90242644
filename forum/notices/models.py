"""Notices: what the forum tells one person on the web."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import utcnow
from forum.extensions import db


class Notice(db.Model):
    """Something the forum tells one person on the web (why a post was rejected, what
    became of a flag). Kept as a kind and parameters, worded when shown."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_user", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    # The post a reply or mention notice is about: it is told once per person and post.
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    read_at: Mapped[datetime | None]
