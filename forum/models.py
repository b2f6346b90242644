"""Imports every model module, so that the metadata (and Alembic) sees all tables."""

from forum.accounts.models import User
from forum.boards.models import Board, BoardRole, Section
from forum.posts.models import Post, PostRevision, Thread

__all__ = ["Board", "BoardRole", "Post", "PostRevision", "Section", "Thread", "User"]
