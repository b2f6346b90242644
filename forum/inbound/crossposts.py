"""One message sent to several boards at once (To: c5@, Cc: c6@): a thread on each.

The MTA hands the forum one copy per address; each is posted on its board under that
board's rules, so nothing is dropped as a duplicate, and a copy that comes again for a
board that has it already is. The posts are linked to each other by a line appended to
their text ("Also posted in …"): the line then goes wherever the post goes (its page,
copies by mail, digests, archives, search) with nothing else to change, and a reader
of one board finds the conversation on the other. A post names another only when all
its readers may read the other's board (see `forum.permissions.readers_may_follow`).
"""

from flask_babel import gettext as _
from sqlalchemy import select

from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.inbound.errors import Done
from forum.inbound.models import InboundMessage, Outcome
from forum.mail import link_for
from forum.notices.mentions import render_body
from forum.permissions import readers_may_follow
from forum.posts.counters import touch
from forum.posts.models import Post, PostStatus, Thread
from forum.search import services as search


def posts_of(message_id: str) -> list[Post]:
    """Every post made of this message: the one that kept its Message-ID, and those of
    its copies to other boards (known by their received messages). Only the first post's
    author's count: a Message-ID is no secret, and someone else's message that claims
    it is not a copy of this one."""
    if not message_id:
        return []
    kept = select(Post.id).where(Post.message_id == message_id)
    copies = select(InboundMessage.post_id).where(
        InboundMessage.message_id == message_id, InboundMessage.post_id.is_not(None)
    )
    posts = list(
        db.session.scalars(
            select(Post).where(Post.id.in_(kept) | Post.id.in_(copies)).order_by(Post.id)
        )
    )
    return [post for post in posts if post.author_id == posts[0].author_id]


def refuse_repeat(message_id: str, board: Board, author: User) -> None:
    """A message already posted on this board by its author (its copy to another of the
    board's addresses, or the same copy again) is not posted twice."""
    for post in posts_of(message_id):
        if post.thread.board_id == board.id and post.author_id == author.id:
            raise Done(Outcome.IGNORED, f"duplicate: {message_id} is post {post.id} already")


def message_id_is_free(message_id: str) -> bool:
    return db.session.scalar(select(Post.id).where(Post.message_id == message_id)) is None


def link(post: Post, message_id: str) -> None:
    """Name each post of the same message in the others, where their readers may follow."""
    group = posts_of(message_id)
    if post.id not in {other.id for other in group}:
        return
    for other in group:
        if other.id == post.id or other.thread.board_id == post.thread.board_id:
            continue
        _mention(post, other.thread)
        _mention(other, post.thread)


def _mention(post: Post, thread: Thread) -> None:
    if not readers_may_follow(post.thread.board, thread.board):
        return
    url = link_for("posts.thread", thread_id=thread.id)
    where = f"[{_escaped(thread.board.label)} — {_escaped(thread.title)}]({url})"
    line = _("Also posted in %(where)s", where=where)
    post.body_source = f"{post.body_source.rstrip()}\n\n*{line}*"
    post.body_html = render_body(post.body_source, post.thread.board)
    touch(post.thread)
    db.session.flush()
    if post.status == PostStatus.PUBLISHED:
        search.enqueue([post.id])


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
