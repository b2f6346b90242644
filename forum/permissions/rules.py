"""The permission rules: small pure functions of an explicit user and object, and `can` /
`require`, which every view, template and service asks."""

import enum
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from werkzeug.exceptions import Forbidden, NotFound

from forum.accounts.models import User
from forum.boards.models import (
    Board,
    ModerationMode,
    OutsideMail,
    PostPolicy,
    ReadPolicy,
)
from forum.db import utcnow
from forum.permissions.people import (
    Viewer,
    account_of,
    can_administer,
    can_delete_account,
    can_edit_site_pages,
    is_banned,
    is_coordinator,
    is_member,
    is_suspended,
    participant_of,
)
from forum.posts.models import Post, PostStatus, Thread


class Action(enum.StrEnum):
    READ_BOARD = "read_board"
    START_THREAD = "start_thread"
    SUBMIT_FOR_REVIEW = "submit_for_review"
    READ_THREAD = "read_thread"
    READ_THREAD_BOARD = "read_thread_board"
    REPLY = "reply"
    READ_POST = "read_post"
    EDIT_POST = "edit_post"
    REDACT_POST = "redact_post"
    READ_REDACTED = "read_redacted"
    FLAG_POST = "flag_post"
    MODERATE_BOARD = "moderate_board"
    MODERATE_THREAD = "moderate_thread"
    MANAGE_MEMBERS = "manage_members"
    VIEW_SUBSCRIBERS = "view_subscribers"
    MOVE_THREAD = "move_thread"
    MERGE_THREADS = "merge_threads"
    RESTORE = "restore"
    ADMINISTER = "administer"
    EDIT_SITE_PAGES = "edit_site_pages"
    DELETE_ACCOUNT = "delete_account"
    # Meetings (their rules: forum.permissions.meetings).
    READ_MEETING = "read_meeting"
    SCHEDULE_MEETING = "schedule_meeting"
    CHANGE_MEETING = "change_meeting"
    ANSWER_MEETING = "answer_meeting"
    POST_MINUTES = "post_minutes"
    # Reports (their rules: forum.permissions.reports).
    READ_REPORT = "read_report"
    DRAFT_REPORT = "draft_report"
    EDIT_REPORT = "edit_report"
    PUBLISH_REPORT = "publish_report"
    CORRECT_REPORT = "correct_report"
    # Stocktaking entries (their rules: forum.permissions.stocktaking).
    SUBMIT_ENTRY = "submit_entry"
    READ_ENTRY = "read_entry"
    EDIT_ENTRY = "edit_entry"
    REVIEW_ENTRY = "review_entry"
    # Consultations (their rules: forum.permissions.consultations).
    OPEN_CONSULTATION = "open_consultation"
    DECIDE_LISTING = "decide_listing"
    POST_SUMMARY = "post_summary"


# Boards -------------------------------------------------------------------------------


def can_read_board(user: Viewer, board: Board) -> bool:
    """Members-only boards are their team's own: a suspended account (an admin's too)
    reads only what any signed-in person reads until the suspension ends."""
    if board.read_policy == ReadPolicy.PUBLIC:
        return True
    account = account_of(user)
    if account is None:
        return False
    if board.read_policy == ReadPolicy.SIGNED_IN:
        return True
    if is_suspended(account):
        return False
    return account.is_admin or is_member(account, board)


def can_moderate_board(user: Viewer, board: Board) -> bool:
    """Admins and the board's coordinators, as long as their account is in good standing."""
    account = participant_of(user)
    return account is not None and (account.is_admin or is_coordinator(account, board))


def can_manage_members(user: Viewer, board: Board) -> bool:
    """Coordinators add and remove the members of their boards; admins do everything."""
    return can_moderate_board(user, board)


def can_view_subscribers(user: Viewer, board: Board) -> bool:
    """Who follows a board by email (names, never addresses) is for its coordinators and
    admins, as any list's roster is for its owners."""
    return can_moderate_board(user, board)


def can_start_thread(user: Viewer, board: Board) -> bool:
    account = participant_of(user)
    if account is None or not can_read_board(account, board):
        return False
    if account.is_admin:
        return True
    if is_banned(account, board):
        return False
    match board.post_policy:
        case PostPolicy.VERIFIED:
            return True
        case PostPolicy.ACCREDITED_OR_MEMBERS:
            return account.accredited or is_member(account, board)
        case PostPolicy.MEMBERS:
            return is_member(account, board)
        case PostPolicy.COORDINATORS:
            return is_coordinator(account, board)
    return False


def can_submit_for_review(user: Viewer, target: Board | Thread) -> bool:
    """Whether someone who may not post here may still send a post by mail for the
    coordinators to approve: where the board takes such mail, from confirmed accounts
    in good standing that may read it and are not banned from it; into a thread, only
    one that is listed and open to replies."""
    if isinstance(target, Thread):
        if target.is_locked or not is_listed(target):
            return False
        target = target.board
    account = participant_of(user)
    return (
        account is not None
        and target.outside_mail != OutsideMail.REFUSE
        and can_read_board(account, target)
        and not is_banned(account, target)
    )


def new_accounts_may_read(board: Board) -> bool:
    """Whether an account made for an address by email (a subscription, accepted mail)
    could read the board: not where only its team reads."""
    return board.read_policy != ReadPolicy.MEMBERS


def holds_mail_without_account(board: Board) -> bool:
    """Whether mail to this board from an address with no account waits for its
    coordinators (Mailman's non-member hold): where the board chose it, and where an
    account made for the sender could read the board."""
    return board.outside_mail == OutsideMail.HOLD_ALL and new_accounts_may_read(board)


_OPENNESS = {ReadPolicy.PUBLIC: 2, ReadPolicy.SIGNED_IN: 1, ReadPolicy.MEMBERS: 0}


def readers_may_follow(host: Board, mentioned: Board) -> bool:
    """Whether everyone who reads `host` may read `mentioned` too, so that a link from
    one to the other shows nothing to someone who may not see it."""
    if mentioned.id == host.id:
        return True
    if mentioned.read_policy == ReadPolicy.MEMBERS:
        return False
    return _OPENNESS[mentioned.read_policy] >= _OPENNESS[host.read_policy]


def must_hold(
    user: User, board: Board, *, published_on_board: int, first_posts: int, new_account_days: int
) -> bool:
    """Whether a post by this person waits for approval under the board's moderation mode.

    `published_on_board` counts the person's posts already published there; trusted
    authors are not asked about (the caller knows them).
    """
    if can_moderate_board(user, board) or board.moderation_mode == ModerationMode.OPEN:
        return False
    if board.moderation_mode == ModerationMode.ALL:
        return True
    new_account = user.created_at > utcnow() - timedelta(days=new_account_days)
    return new_account or published_on_board < first_posts


# Threads and posts --------------------------------------------------------------------


def _consultations() -> Any:
    """`forum.permissions.consultations`, which decides for threads listed on several
    boards; it builds on the board rules here, so it is imported when first asked."""
    from forum.permissions import consultations

    return consultations


def _is_author(user: Viewer, author_id: int) -> bool:
    account = account_of(user)
    return account is not None and account.id == author_id


def can_read_thread_board(user: Viewer, thread: Thread) -> bool:
    """Whether the viewer may read a board the thread is on: its own, or for a
    consultation one that lists it."""
    if thread.is_consultation:
        return _consultations().can_read_consultation_boards(user, thread)
    return can_read_board(user, thread.board)


def can_moderate_thread(user: Viewer, thread: Thread) -> bool:
    """A thread's moderators: its board's, and a consultation's those of every board
    that lists it."""
    if thread.is_consultation:
        return _consultations().can_moderate_consultation(user, thread)
    return can_moderate_board(user, thread.board)


def may_post_in(user: Viewer, thread: Thread) -> bool:
    """Whether the viewer may write in a thread's board (any board of a consultation)."""
    if thread.is_consultation:
        return _consultations().can_post_in_consultation(user, thread)
    return can_start_thread(user, thread.board)


def can_read_thread(user: Viewer, thread: Thread) -> bool:
    if not can_read_thread_board(user, thread):
        return False
    if thread.is_deleted:
        return can_administer(user)
    if thread.post_count == 0:
        return _is_author(user, thread.author_id) or can_moderate_thread(user, thread)
    return True


def can_reply(user: Viewer, thread: Thread) -> bool:
    """Not in deleted or merged threads; in a locked thread, or one whose first post still
    waits for approval, only moderators."""
    if thread.is_deleted or thread.merged_into_id is not None:
        return False
    if not may_post_in(user, thread):
        return False
    closed = thread.is_locked or thread.post_count == 0
    return not closed or can_moderate_thread(user, thread)


def can_read_post(user: Viewer, post: Post) -> bool:
    if not can_read_thread(user, post.thread):
        return False
    match post.status:
        case PostStatus.PUBLISHED:
            return True
        case PostStatus.PENDING | PostStatus.HIDDEN:
            return _is_author(user, post.author_id) or can_moderate_thread(user, post.thread)
        case PostStatus.REJECTED:
            return _is_author(user, post.author_id) or can_administer(user)
    return can_administer(user)


def can_edit_post(user: Viewer, post: Post) -> bool:
    account = participant_of(user)
    if account is None or post.status in (PostStatus.DELETED, PostStatus.REJECTED):
        return False
    if can_moderate_thread(account, post.thread):
        return True
    return (
        account.id == post.author_id
        and not post.thread.is_locked
        and may_post_in(account, post.thread)
    )


def can_read_redacted(user: Viewer, post: Post) -> bool:
    """The earlier versions of a post that a moderator redacted: its thread's moderators."""
    return can_moderate_thread(user, post.thread)


def can_redact_post(user: Viewer, post: Post) -> bool:
    """Hiding a post's earlier versions (personal data, say) is a moderator's edit."""
    return can_read_redacted(user, post) and can_edit_post(user, post)


def can_flag_post(user: Viewer, post: Post) -> bool:
    account = participant_of(user)
    return (
        account is not None
        and post.status == PostStatus.PUBLISHED
        and account.id != post.author_id
        and can_read_post(account, post)
    )


def can_move_thread(user: Viewer, move: tuple[Thread, Board]) -> bool:
    """Out of a board one moderates, into a board one also moderates (any, for admins)."""
    thread, target = move
    return can_moderate_board(user, thread.board) and can_moderate_board(user, target)


def can_merge_threads(user: Viewer, merge: tuple[Thread, Thread]) -> bool:
    source, target = merge
    return (
        source.id != target.id
        and can_moderate_board(user, source.board)
        and can_moderate_board(user, target.board)
    )


_RULES: dict[Action, Callable[[Viewer, Any], bool]] = {
    Action.READ_BOARD: can_read_board,
    Action.START_THREAD: can_start_thread,
    Action.SUBMIT_FOR_REVIEW: can_submit_for_review,
    Action.READ_THREAD: can_read_thread,
    Action.READ_THREAD_BOARD: can_read_thread_board,
    Action.REPLY: can_reply,
    Action.READ_POST: can_read_post,
    Action.EDIT_POST: can_edit_post,
    Action.REDACT_POST: can_redact_post,
    Action.READ_REDACTED: can_read_redacted,
    Action.FLAG_POST: can_flag_post,
    Action.MODERATE_BOARD: can_moderate_board,
    Action.MODERATE_THREAD: can_moderate_thread,
    Action.MANAGE_MEMBERS: can_manage_members,
    Action.VIEW_SUBSCRIBERS: can_view_subscribers,
    Action.MOVE_THREAD: can_move_thread,
    Action.MERGE_THREADS: can_merge_threads,
    Action.RESTORE: lambda user, _target: can_administer(user),
    Action.ADMINISTER: lambda user, _target: can_administer(user),
    Action.EDIT_SITE_PAGES: lambda user, _target: can_edit_site_pages(user),
    Action.DELETE_ACCOUNT: can_delete_account,
    Action.OPEN_CONSULTATION: lambda user, board: _consultations().can_open_consultation(
        user, board
    ),
    Action.DECIDE_LISTING: lambda user, listing: _consultations().can_decide_listing(user, listing),
    Action.POST_SUMMARY: lambda user, thread: _consultations().can_post_summary(user, thread),
}

_READ_ACTIONS = {
    Action.READ_BOARD,
    Action.READ_THREAD,
    Action.READ_POST,
    Action.READ_MEETING,
    Action.READ_REPORT,
    Action.READ_ENTRY,
    Action.READ_THREAD_BOARD,
}


def add_rules(rules: dict[Action, Callable[[Viewer, Any], bool]]) -> None:
    """Rules written in a module of their own (one per feature) join the table here."""
    _RULES.update(rules)


def can(user: Viewer, action: Action | str, target: Any = None) -> bool:
    return _RULES[Action(action)](user, target)


def require(user: Viewer, action: Action | str, target: Any = None) -> None:
    """Raise 404 where the viewer may not even know the target exists, 403 otherwise.

    Reading something unreadable is a 404 for signed-in users (no leak of private boards);
    the error handler turns a Forbidden for an anonymous user into a sign-in redirect.
    """
    if can(user, action, target):
        return
    if Action(action) in _READ_ACTIONS and account_of(user) is not None:
        raise NotFound
    raise Forbidden


def is_listed(thread: Thread) -> bool:
    """`listed_threads_clause` for one loaded thread."""
    return thread.post_count > 0 and not thread.is_deleted and thread.merged_into_id is None


def can_receive_list_mail(user: User, board: Board) -> bool:
    """Copies of posts and digests go to verified accounts in good standing that may
    read the board; whatever changes one of these stops the mail at once."""
    return user.is_verified and not is_suspended(user) and can_read_board(user, board)
