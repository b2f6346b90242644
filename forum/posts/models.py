"""Threads, posts and the earlier revisions of edited posts."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import str_enum, utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.accounts.models import User
    from forum.boards.models import Board


class PostStatus(enum.StrEnum):
    PUBLISHED = "published"
    PENDING = "pending"
    HIDDEN = "hidden"
    DELETED = "deleted"
    REJECTED = "rejected"


# A post's state, as moderators see it.
POST_STATUS_LABELS = {
    PostStatus.PUBLISHED: lazy_pgettext("post state", "Published"),
    PostStatus.PENDING: lazy_pgettext("post state", "Awaiting moderation"),
    PostStatus.HIDDEN: lazy_pgettext("post state", "Hidden"),
    PostStatus.DELETED: lazy_pgettext("post state", "Deleted"),
    PostStatus.REJECTED: lazy_pgettext("post state", "Rejected"),
}


class PostSource(enum.StrEnum):
    WEB = "web"
    EMAIL = "email"


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (
        # A board's listing in its order, with every column the listing tests: a deep
        # page skips index entries, never rows.
        Index(
            "ix_threads_board_listing",
            "board_id",
            "is_pinned",
            "last_activity_at",
            "id",
            "post_count",
            "is_deleted",
            "merged_into_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="RESTRICT"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moves on every change that its page shows: the version under which pages are cached.
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    post_count: Mapped[int] = mapped_column(default=0)
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_locked: Mapped[bool] = mapped_column(default=False)
    is_deleted: Mapped[bool] = mapped_column(default=False)
    # A consultation (forum.consultations), which other boards may list too: the rules
    # look further than `board` only for these.
    is_consultation: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set when merged into another thread, whose address then stands in for this one.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL")
    )
    first_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL", use_alter=True)
    )
    last_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL", use_alter=True)
    )

    board: Mapped["Board"] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    first_post: Mapped["Post | None"] = relationship(foreign_keys=[first_post_id], post_update=True)
    last_post: Mapped["Post | None"] = relationship(foreign_keys=[last_post_id], post_update=True)

    def __repr__(self) -> str:
        return f"<Thread {self.id} {self.title!r}>"


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_thread_listing", "thread_id", "status", "created_at", "id"),
        Index("ix_posts_author_listing", "author_id", "status", "created_at"),
        # The few held posts, found without reading every post of a moderator's boards
        # (the count in the header of each of their pages).
        Index("ix_posts_status_thread", "status", "thread_id"),
        UniqueConstraint("author_id", "submission_token", name="uq_posts_author_submission"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[PostStatus] = mapped_column(str_enum(PostStatus), default=PostStatus.PUBLISHED)
    source: Mapped[PostSource] = mapped_column(str_enum(PostSource), default=PostSource.WEB)
    # The language it is written in: one of the codes of LANGUAGES (zh_Hans, not zh-Hans).
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    revision_count: Mapped[int] = mapped_column(default=0)
    # The Message-ID a post that arrived by email came with; web posts derive theirs
    # from their id (forum.mail.ids), so it is stored only when it came from outside.
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The one-time token of the form it was written in: the same form sent twice (a double
    # click, the back button) finds this post instead of writing another.
    submission_token: Mapped[str | None] = mapped_column(String(64))
    # The post this one answers (None for a thread's first post): Reply and Quote on the
    # web, In-Reply-To in mail. Threading in mail and the archives follows this tree.
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), index=True
    )
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # Why a post was rejected or hidden; shown to its author.
    moderation_reason: Mapped[str] = mapped_column(Text, default="")

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    reply_to: Mapped["Post | None"] = relationship(remote_side=[id], foreign_keys=[reply_to_id])
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    moderated_by: Mapped["User | None"] = relationship(foreign_keys=[moderated_by_id])
    edited_by: Mapped["User | None"] = relationship(foreign_keys=[edited_by_id])
    revisions: Mapped[list["PostRevision"]] = relationship(
        back_populates="post", order_by="PostRevision.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Post {self.id} in thread {self.thread_id}>"


class PostRevision(db.Model):
    """A body as it stood before an edit replaced it."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # When this version was written, and by whom (the author, or a moderator).
    written_at: Mapped[datetime]
    written_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a moderator redacted this version: only the board's moderators read it.
    redacted_at: Mapped[datetime | None]

    post: Mapped[Post] = relationship(back_populates="revisions")
    written_by: Mapped["User"] = relationship()
