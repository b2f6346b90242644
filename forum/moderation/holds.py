"""Whether a new post waits for approval: the board's mode applied to one author."""

from flask import current_app
from sqlalchemy import func, select

from forum.accounts.models import User
from forum.boards.models import Board, ModerationMode
from forum.extensions import db
from forum.moderation.models import BoardTrust
from forum.permissions import must_hold
from forum.posts.models import Post, PostStatus, Thread


def is_trusted(user: User, board: Board) -> bool:
    return (
        db.session.scalar(
            select(BoardTrust.id).where(
                BoardTrust.board_id == board.id, BoardTrust.user_id == user.id
            )
        )
        is not None
    )


def published_on_board(user: User, board: Board) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Post)
            .join(Post.thread)
            .where(
                Thread.board_id == board.id,
                Post.author_id == user.id,
                Post.status == PostStatus.PUBLISHED,
            )
        )
        or 0
    )


def needs_approval(user: User, board: Board) -> bool:
    if board.moderation_mode == ModerationMode.OPEN or is_trusted(user, board):
        return False
    config = current_app.config
    return must_hold(
        user,
        board,
        published_on_board=published_on_board(user, board),
        first_posts=config["MODERATION_FIRST_POSTS"],
        new_account_days=config["MODERATION_NEW_ACCOUNT_DAYS"],
    )
