"""What the admin area lists."""

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.extensions import db
from forum.posts.models import Post, PostStatus, Thread


def find_people(text: str, limit: int = 50) -> list[User]:
    query = select(User).order_by(User.display_name).limit(limit)
    if text.strip():
        pattern = f"%{text.strip().lower()}%"
        query = query.where(or_(User.email.like(pattern), User.display_name.ilike(pattern)))
    return list(db.session.scalars(query))


def deleted_threads(limit: int = 100) -> list[Thread]:
    return list(
        db.session.scalars(
            select(Thread)
            .where(Thread.is_deleted.is_(True))
            .options(joinedload(Thread.board), joinedload(Thread.author))
            .order_by(Thread.changed_at.desc())
            .limit(limit)
        )
    )


def deleted_posts(limit: int = 100) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.status == PostStatus.DELETED)
            .options(joinedload(Post.thread).joinedload(Thread.board), joinedload(Post.author))
            .order_by(Post.moderated_at.desc())
            .limit(limit)
        )
    )
