"""What the admin area lists of received mail."""

from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload

from forum.db import utcnow
from forum.extensions import db
from forum.inbound.models import InboundMessage, Outcome
from forum.posts.models import Post, PostSource


def recent_messages(limit: int = 100) -> list[InboundMessage]:
    return list(
        db.session.scalars(
            select(InboundMessage)
            .options(
                defer(InboundMessage.raw),
                defer(InboundMessage.full_text),
                joinedload(InboundMessage.user),
            )
            .order_by(InboundMessage.id.desc())
            .limit(limit)
        )
    )


def email_of(post: Post) -> InboundMessage | None:
    """The message a post came in, for its moderators (None for web posts)."""
    if post.source != PostSource.EMAIL:
        return None
    return db.session.scalar(
        select(InboundMessage)
        .where(InboundMessage.post_id == post.id)
        .options(defer(InboundMessage.raw))
        .limit(1)
    )


def awaiting_confirmation(limit: int = 100) -> list[InboundMessage]:
    """Messages waiting for their senders' confirmation, the soonest to lapse first."""
    return list(
        db.session.scalars(
            select(InboundMessage)
            .where(
                InboundMessage.outcome == Outcome.UNCONFIRMED,
                InboundMessage.confirm_by > utcnow(),
            )
            .options(defer(InboundMessage.raw), defer(InboundMessage.full_text))
            .order_by(InboundMessage.confirm_by)
            .limit(limit)
        )
    )
