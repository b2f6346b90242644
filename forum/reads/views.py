"""Opening a thread at its first new post, and the "mark as read" buttons.

Opening pages writes nothing: positions move only by these POSTs and by posting."""

from flask import Blueprint, abort, redirect, url_for
from flask_login import current_user, login_required
from werkzeug import Response

from forum.accounts.forms import ActionForm
from forum.boards.access import board_or_404
from forum.db import utcnow
from forum.extensions import db
from forum.permissions import Action, can, require
from forum.posts import queries as posts
from forum.posts.views import post_url
from forum.reads import queries, services
from forum.reads.forms import ReadForm

bp = Blueprint("reads", __name__)


@bp.get("/t/<int:thread_id>/unread")
def first_unread(thread_id: int) -> Response:
    """The thread at its first post new to the reader, else at its last post."""
    thread = posts.thread_with_board(thread_id) or abort(404)
    require(current_user, Action.READ_THREAD, thread)
    post = queries.first_unread_post(current_user, thread)
    if post is not None:
        return redirect(post_url(post))
    if thread.last_post_id is not None:
        return redirect(url_for("posts.permalink", post_id=thread.last_post_id))
    return redirect(url_for("posts.thread", thread_id=thread.id))


@bp.post("/t/<int:thread_id>/read")
@login_required
def mark_thread(thread_id: int) -> Response:
    """Mark the thread read up to the post named, then go on to what is still new in it,
    or back to its board when nothing is."""
    thread = posts.thread_with_board(thread_id) or abort(404)
    require(current_user, Action.READ_THREAD, thread)
    form = ReadForm(prefix="read")
    post_id = form.post_id() if form.validate_on_submit() else None
    post = posts.post_with_thread(post_id) if post_id else None
    if post is None or post.thread_id != thread.id or not can(current_user, Action.READ_POST, post):
        return redirect(url_for("posts.thread", thread_id=thread.id))
    services.mark_thread_read(current_user, thread, up_to=post.created_at)
    db.session.commit()
    if queries.first_unread_post(current_user, thread) is not None:
        return redirect(url_for("reads.first_unread", thread_id=thread.id))
    return redirect(url_for("boards.board", slug=thread.board.slug))


@bp.post("/b/<slug>/read")
@login_required
def mark_board(slug: str) -> Response:
    board = board_or_404(slug)
    if ActionForm(prefix="read").validate_on_submit():
        services.mark_board_read(current_user, board, up_to=utcnow())
        db.session.commit()
    return redirect(url_for("boards.board", slug=board.slug))
