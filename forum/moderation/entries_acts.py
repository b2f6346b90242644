"""Reviewing stocktaking entries: a coordinator of any of an entry's action lines (or an
admin) publishes it, asks for changes or rejects it, with a reason for the last two. Each
act is a compare-and-set on the entry's state, logged in the public moderation log on
the reviewer's board, and told to the submitter. Publishing opens the entry's discussion
thread on the board of its first action line."""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import utcnow
from forum.extensions import db
from forum.moderation.acts import AlreadyHandled, ModerationError, record, require_permission
from forum.moderation.models import LogAction
from forum.notices.services import notify
from forum.permissions import Action, can, can_moderate_board
from forum.posts import services as posting
from forum.stocktaking.models import Entry, ReviewState


def _log_board(entry: Entry, reviewer: User) -> Board:
    """The board the act is logged on: the first of the entry's that the reviewer
    coordinates."""
    return next(board for board in entry.boards if can_moderate_board(reviewer, board))


def _decide(entry: Entry, reviewer: User, *, to: ReviewState, reason: str) -> None:
    require_permission(reviewer, Action.REVIEW_ENTRY, entry)
    now = utcnow()
    result = db.session.execute(
        update(Entry)
        .where(Entry.id == entry.id, Entry.review_state == ReviewState.PENDING)
        .values(
            review_state=to,
            review_reason=reason.strip(),
            reviewed_by_id=reviewer.id,
            reviewed_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(entry)
        raise AlreadyHandled(_("Someone has already reviewed this entry."))
    db.session.expire(entry, ["review_state", "review_reason", "reviewed_by_id", "reviewed_at"])


def _discussion_author(entry: Entry, reviewer: User) -> User | None:
    """Who opens the discussion thread: the reviewer, or else the submitter, whoever may
    start a thread on the first action line's board."""
    first = entry.boards[0]
    for person in (reviewer, entry.submitter):
        if person is not None and can(person, Action.START_THREAD, first):
            return person
    return None


def _opening_post(entry: Entry) -> str:
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/stocktaking/{entry.id}"
    title = entry.title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"[{title}]({link})\n\n{entry.summary_source}"


def publish_entry(entry: Entry, reviewer: User) -> None:
    """Publish the entry and open its discussion thread."""
    _decide(entry, reviewer, to=ReviewState.PUBLISHED, reason="")
    entry.published_at = entry.reviewed_at
    author = _discussion_author(entry, reviewer)
    if entry.thread_id is None and author is not None:
        thread = posting.create_thread(
            entry.boards[0], author, title=entry.title, body=_opening_post(entry)
        )
        db.session.flush()
        entry.thread_id = thread.id
    record(LogAction.PUBLISH_ENTRY, actor=reviewer, board=_log_board(entry, reviewer),
           subject=entry.submitter, entry_id=entry.id)  # fmt: skip
    _tell_submitter(entry, "entry_published")


def return_entry(entry: Entry, reviewer: User, *, reason: str) -> None:
    """Send the entry back to its submitter, saying what to change."""
    if not reason.strip():
        raise ModerationError(_("Say what should change."))
    _decide(entry, reviewer, to=ReviewState.CHANGES_REQUESTED, reason=reason)
    record(LogAction.RETURN_ENTRY, actor=reviewer, board=_log_board(entry, reviewer),
           subject=entry.submitter, reason=reason, entry_id=entry.id)  # fmt: skip
    _tell_submitter(entry, "entry_returned", reason=reason.strip())


def reject_entry(entry: Entry, reviewer: User, *, reason: str) -> None:
    if not reason.strip():
        raise ModerationError(_("Give a reason for rejecting it."))
    _decide(entry, reviewer, to=ReviewState.REJECTED, reason=reason)
    record(LogAction.REJECT_ENTRY, actor=reviewer, board=_log_board(entry, reviewer),
           subject=entry.submitter, reason=reason, entry_id=entry.id)  # fmt: skip
    _tell_submitter(entry, "entry_rejected", reason=reason.strip())


def _tell_submitter(entry: Entry, kind: str, **params: str) -> None:
    submitter = entry.submitter
    if submitter is not None and not submitter.is_deleted:
        notify(submitter, kind, entry_id=entry.id, entry=entry.title, **params)
