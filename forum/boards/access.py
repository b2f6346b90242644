"""The board an address names, for the views of every feature."""

from flask import abort
from flask_login import current_user

from forum.boards.models import Board
from forum.boards.queries import board_by_slug
from forum.permissions import Action, require


def board_or_404(slug: str, action: Action = Action.READ_BOARD) -> Board:
    """The board of this slug, if the current user may read it and do `action` there:
    404 for no such board, else as `require` answers."""
    board = board_by_slug(slug) or abort(404)
    require(current_user, Action.READ_BOARD, board)
    if action != Action.READ_BOARD:
        require(current_user, action, board)
    return board
