"""What the admin area lists of received mail."""

from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload

from forum.boards.models import Board
from forum.db import utcnow
from forum.extensions import db
from forum.inbound.models import InboundMessage, Outcome
from forum.permissions import Viewer, moderated_board_ids
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


def held_without_account(
    viewer: Viewer, board: Board | None = None, limit: int = 100
) -> list[InboundMessage]:
    """Mail from addresses with no account held for the boards this viewer moderates,
    oldest first."""
    query = (
        select(InboundMessage)
        .where(
            InboundMessage.outcome == Outcome.HELD,
            InboundMessage.post_id.is_(None),
            InboundMessage.board_id.is_not(None),
        )
        .options(defer(InboundMessage.raw), joinedload(InboundMessage.board))
        .order_by(InboundMessage.id)
        .limit(limit)
    )
    board_ids = moderated_board_ids(viewer)
    if board_ids is not None:
        query = query.where(InboundMessage.board_id.in_(board_ids))
    if board is not None:
        query = query.where(InboundMessage.board_id == board.id)
    return list(db.session.scalars(query))


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
