"""Mail to a board from an address with no account, on boards that hold it (Mailman's
non-member policy, "hold").

The message waits in the board's moderation queue, its sender told so. A coordinator
accepts it (the address becomes an invited, email-only account, through the same
invitation service as the team page, and the message is posted as theirs and approved)
or discards it. An account is never made for an address the forum has not heard from:
when the sender could not be authenticated, the address itself is first asked to
confirm the message (see `forum.inbound.confirmations`).
"""

from typing import NoReturn

from flask_babel import gettext as _
from sqlalchemy import select

from forum.accounts.models import StakeholderGroup, User
from forum.accounts.services import find_user_by_email
from forum.boards.models import Board, BoardRole, Role
from forum.extensions import db
from forum.inbound import confirmations
from forum.inbound.authenticity import Authenticity
from forum.inbound.errors import Done
from forum.inbound.models import InboundMessage, Outcome
from forum.inbound.parse import Received, parse
from forum.inbound.publishing import publish
from forum.inbound.routing import Recipient, destination
from forum.moderation import services as moderation
from forum.moderation.acts import record as log
from forum.moderation.acts import require_permission
from forum.moderation.models import LogAction
from forum.notices.services import notify
from forum.permissions import Action, can_moderate_board
from forum.posts.models import Post, PostStatus

HELD = "held for the coordinators: the sender has no account"


def take(
    record: InboundMessage, received: Received, board: Board, sender: Authenticity
) -> NoReturn:
    """Hold the message for the coordinators, once its From is known to be its sender's."""
    if not sender.method:
        confirmations.hold(record, None, received, to=received.from_address)
    hold(record, received, board)


def hold(record: InboundMessage, received: Received, board: Board) -> NoReturn:
    """Put the message in the board's queue, tell the coordinators; the sender is told."""
    record.board_id = board.id
    for coordinator in _coordinators(board):
        notify(coordinator, "mail_waiting", board_slug=board.slug, board_id=board.id,
               board=board.english_label,
               sender=received.from_name or received.from_address)  # fmt: skip
    raise Done(Outcome.HELD, HELD, tell_sender=True)


def _coordinators(board: Board) -> list[User]:
    people = db.session.scalars(
        select(User)
        .join(BoardRole, BoardRole.user_id == User.id)
        .where(BoardRole.board_id == board.id, BoardRole.role == Role.COORDINATOR)
    )
    return [person for person in people if can_moderate_board(person, board)]


def _waiting(record: InboundMessage) -> Board:
    if record.outcome != Outcome.HELD or record.post_id is not None or record.board is None:
        raise moderation.AlreadyHandled(_("This message was dealt with already."))
    return record.board


def accept(record: InboundMessage, moderator: User) -> None:
    """Post a held message from an address with no account, as an invited account's."""
    board = _waiting(record)
    require_permission(moderator, Action.MODERATE_BOARD, board)
    received = parse(record.raw)
    author = find_user_by_email(record.from_address) or moderation.invite_user(
        record.from_address,
        display_name=(received.from_name or record.from_address.partition("@")[0])[:100],
        organisation="",
        stakeholder_group=StakeholderGroup.CIVIL_SOCIETY,
        actor=moderator,
        board=board,
    )
    record.user_id = author.id
    try:
        thread, where = destination(author, Recipient(kind="board", board=board), received)
        publish(record, author, received, thread=thread, board=where)
    except Done as done:
        if done.outcome not in (Outcome.POSTED, Outcome.HELD):
            raise moderation.ModerationError(done.reason) from done
    post = db.session.get(Post, record.post_id)
    if post.status == PostStatus.PENDING:
        moderation.approve_post(post, moderator)
    record.outcome = Outcome.POSTED
    record.reason = f"accepted by {moderator.display_name}"
    log(LogAction.ACCEPT_MAIL, actor=moderator, board=board, post=post, subject=author)
    db.session.flush()


def discard(record: InboundMessage, moderator: User) -> None:
    """Drop a held message from an address with no account (kept in Received mail)."""
    board = _waiting(record)
    require_permission(moderator, Action.MODERATE_BOARD, board)
    record.outcome = Outcome.IGNORED
    record.reason = f"discarded by {moderator.display_name}"
    log(LogAction.DISCARD_MAIL, actor=moderator, board=board)
    db.session.flush()
