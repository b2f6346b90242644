"""What a reader may do to the posts of a thread page, decided once a request.

A thread page offers each of its posts' tools (reply, edit, flag, moderate) to its viewer.
Asking `can` for each post repeats, thirty times a page, what does not change from post
to post (the viewer's standing, roles on the board, the thread's state); `post_rights`
asks it once, and leaves to each post what depends on the post alone: its author and
state. The answers are those of `can_edit_post`, `can_flag_post` and `can_reply` for a
post of a thread the viewer may read (the table tests hold them to it)."""

from dataclasses import dataclass

from forum.permissions.people import (
    Viewer,
    participant_of,
)
from forum.permissions.rules import (
    can_moderate_thread,
    can_read_thread,
    can_reply,
    may_post_in,
)
from forum.posts.models import PostStatus, Thread

_NOT_EDITABLE = frozenset({PostStatus.DELETED, PostStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class PostRights:
    """One viewer's rights over the posts of one thread."""

    # The viewer's account, if they may write at all (signed in, verified, not suspended).
    participant_id: int | None
    moderator: bool
    reply: bool
    # Whether the viewer may edit their own posts here (not a locked thread, not banned).
    edit_own: bool
    # Whether the viewer reads the thread (a flag is for what one reads).
    reads: bool

    def may_edit(self, author_id: int, status: PostStatus | str) -> bool:
        """`can_edit_post` for a post of this thread."""
        if self.participant_id is None or status in _NOT_EDITABLE:
            return False
        return self.moderator or (author_id == self.participant_id and self.edit_own)

    def may_flag(self, author_id: int, status: PostStatus | str) -> bool:
        """`can_flag_post` for a post of this thread."""
        return (
            self.participant_id is not None
            and status == PostStatus.PUBLISHED
            and author_id != self.participant_id
            and self.reads
        )


def post_rights(user: Viewer, thread: Thread) -> PostRights:
    account = participant_of(user)
    if account is None:
        return PostRights(None, moderator=False, reply=False, edit_own=False, reads=False)
    return PostRights(
        account.id,
        moderator=can_moderate_thread(account, thread),
        reply=can_reply(account, thread),
        edit_own=not thread.is_locked and may_post_in(account, thread),
        reads=can_read_thread(account, thread),
    )
