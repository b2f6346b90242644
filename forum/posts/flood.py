"""Flood control: how often one account, and one address, may post."""

from datetime import timedelta

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import utcnow
from forum.permissions import can_moderate_board
from forum.ratelimit import Refusal, hit

NEW_ACCOUNT_AGE = timedelta(days=7)


def flood_refusal(
    user: User, board: Board, *, new_thread: bool, address: str | None
) -> Refusal | None:
    """Count one post against the limits; a Refusal (with the wait) when one is reached.
    Coordinators are not limited on the boards they moderate. Mail has no client
    address (None): only the account's limits count."""
    if can_moderate_board(user, board):
        return None
    new_account = user.created_at > utcnow() - NEW_ACCOUNT_AGE
    kind = "THREAD_LIMIT" if new_thread else "REPLY_LIMIT"
    account_limit = f"NEW_ACCOUNT_{kind}" if new_account else kind
    refusal = hit(account_limit, str(user.id))
    if refusal is None and address is not None:
        refusal = hit("POST_LIMIT_PER_ADDRESS", address)
    return refusal
