"""Mentions: `@[Name]` in a post names a person by the name their profile shows.

People have no handle here, and names have spaces and every script, so a mention spells
the whole name between brackets. A name counts when exactly one account that may read
the post's board has it: the mention links to that person's profile and tells them.
A name no reader has, or several readers share, stays plain text, so the writer sees in
the preview whom the post will reach.
"""

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.mail import link_for
from forum.markup import mentioned_names, render_markdown
from forum.permissions import can_read_board

# A post tells this many people by name at most (the first ones it names).
MAX_MENTIONS = 20


def mentioned_readers(source: str, board: Board) -> dict[str, User]:
    """The people a post's text mentions who may read its board, by the name used."""
    names = mentioned_names(source)[:MAX_MENTIONS]
    if not names:
        return {}
    holders: dict[str, list[User]] = defaultdict(list)
    accounts = db.session.scalars(
        select(User).where(User.display_name.in_(names)).options(selectinload(User.board_roles))
    )
    for user in accounts:
        if can_read_board(user, board):
            holders[user.display_name].append(user)
    return {name: users[0] for name, users in holders.items() if len(users) == 1}


def render_body(source: str, board: Board) -> str:
    """A post's HTML (see `render_markdown`), its mentions linked to profiles. The links
    are on BASE_URL, as the HTML goes out in mail too."""
    links = {
        name: link_for("accounts.profile", user_id=user.id)
        for name, user in mentioned_readers(source, board).items()
    }
    return render_markdown(source, mentions=links)
