"""Thread pages, writing and editing posts, post history and permalinks."""

from collections.abc import Callable
from functools import partial
from itertools import pairwise

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from forum.boards.access import board_or_404
from forum.boards.models import Board
from forum.extensions import db
from forum.mail.forms import thread_mail_form
from forum.mail.language import language_of_text
from forum.moderation.acts import ModerationError
from forum.moderation.posts_acts import redact_post
from forum.notices.mentions import render_body
from forum.pagecache import cached
from forum.pagination import Page, as_id, page_of
from forum.permissions import (
    Action,
    board_shown_to,
    can,
    post_rights,
    require,
)
from forum.posts import queries, services
from forum.posts.diff import Change, text_changes
from forum.posts.flood import flood_refusal
from forum.posts.forms import EditForm, ReplyForm, ThreadForm
from forum.posts.fragments import articles, fragments
from forum.posts.models import Post, PostStatus, Thread
from forum.posts.reader import ReaderState, new_posts_of, reader_state
from forum.posts.services import Origin
from forum.ratelimit import Refusal, client_address
from forum.reads.forms import ReadForm

bp = Blueprint("posts", __name__)


def _thread_or_404(thread_id: int) -> Thread:
    thread = queries.thread_with_board(thread_id) or abort(404)
    require(current_user, Action.READ_THREAD, thread)
    return thread


def _post_or_404(post_id: int) -> Post:
    post = queries.post_with_thread(post_id) or abort(404)
    require(current_user, Action.READ_POST, post)
    return post


def post_url(post: Post) -> str:
    page = queries.post_page(post, current_user, current_app.config["POSTS_PER_PAGE"])
    args = {"page": page} if page > 1 else {}
    return url_for("posts.thread", thread_id=post.thread_id, **args, _anchor=f"p{post.id}")


@bp.get("/t/<int:thread_id>")
def thread(thread_id: int) -> object:
    thread = queries.thread_with_board(thread_id) or abort(404)
    require(current_user, Action.READ_THREAD_BOARD, thread)
    if thread.merged_into_id is not None:
        return redirect(url_for("posts.thread", thread_id=thread.merged_into_id), code=301)
    require(current_user, Action.READ_THREAD, thread)
    state = reader_state(current_user, thread)
    page = page_of(state.total, current_app.config["POSTS_PER_PAGE"])
    return cached(thread.changed_at, lambda: _render_thread(thread, page, state))


def _render_thread(thread: Thread, page: Page, state: ReaderState) -> str:
    viewer = current_user._get_current_object()
    posts = queries.page_posts(thread, viewer, page=page.number, per_page=page.per_page)
    rights = post_rights(viewer, thread)
    new_posts = new_posts_of(viewer, state, posts)
    # Every post new (a first visit): said once above them rather than on each.
    all_new = bool(new_posts) and len(new_posts) == len(posts)
    signed_in = viewer.is_authenticated
    return render_template(
        "posts/thread.html",
        thread=thread,
        board=board_shown_to(viewer, thread),
        page=page,
        # Called by the page, which adds what a consultation marks (its summary).
        articles=partial(
            articles,
            posts,
            fragments(posts),
            rights=rights,
            first_number=(page.number - 1) * page.per_page,
            new_posts=set() if all_new else new_posts,
            answered=queries.answered_posts(thread, viewer, posts),
        ),
        moderator=rights.moderator,
        can_reply=rights.reply,
        why_not=services.why_cannot_post(viewer, thread.board, thread)
        if signed_in and not rights.reply
        else None,
        # Forms only for those who can send them: a reader who cannot reply gets no
        # reply form, nor (not signed in) a CSRF token in their cookie.
        form=ReplyForm(formdata=None) if rights.reply else None,
        all_new=all_new,
        read_form=ReadForm(formdata=None, prefix="read", up_to=posts[-1].id) if new_posts else None,
        mail_form=thread_mail_form(state.watch) if signed_in else None,
    )


def _too_fast(refusal: Refusal) -> None:
    flash(
        ngettext("You are posting faster than this forum allows. Wait %(num)d minute and "
                 "send again: your text is kept below.",
                 "You are posting faster than this forum allows. Wait %(num)d minutes and "
                 "send again: your text is kept below.", refusal.minutes),
        "error",
    )  # fmt: skip


def _preview(form: ThreadForm | ReplyForm | EditForm, board: Board) -> str | None:
    """The body as readers will see it (sanitised HTML, mentions linked), when the
    Preview button sent a valid form."""
    if not form.wants_preview() or form.errors:
        return None
    return render_body(form.body.data, board)


def _after_posting(url: str, *, held: bool) -> Response:
    if held:
        flash(_("Thank you. Your post waits for approval by the board's coordinators."), "info")
    return redirect(url)


def _already_posted(post: Post) -> Response:
    flash(_("You sent this form before: here is what it posted."), "info")
    return redirect(post_url(post))


def _submit(
    form: ThreadForm | ReplyForm, board: Board, *, new_thread: bool, write: Callable[[Origin], Post]
) -> tuple[Response | None, int]:
    """Flood control, the posting service and one commit for a submitted form.

    Returns the redirect to the new post (or to the one this same form wrote before), or
    None and the status with which to show the form again (the user's text is in it)."""
    if not form.is_submitted():
        return None, 200
    if not form.validate_on_submit():
        return None, 400
    if form.wants_preview():
        return None, 200
    token = form.submission_token()
    earlier = queries.submitted_post(current_user, token)
    if earlier is not None:
        return _already_posted(earlier), 302
    refusal = flood_refusal(current_user, board, new_thread=new_thread, address=client_address())
    if refusal:
        _too_fast(refusal)
        return None, 429
    try:
        post = write(Origin(submission_token=token))
        # Where to send the writer, worked out before the commit expires what is loaded.
        url, held = post_url(post), post.status == PostStatus.PENDING
        db.session.commit()
    except services.PostingError as error:
        flash(str(error), "error")
        return None, 400
    except IntegrityError:
        db.session.rollback()
        earlier = queries.submitted_post(current_user, token)
        if earlier is None:
            raise
        return _already_posted(earlier), 302
    return _after_posting(url, held=held), 302


@bp.route("/b/<slug>/new", methods=["GET", "POST"])
@login_required
def new_thread(slug: str) -> object:
    board = board_or_404(slug)
    form = ThreadForm()

    def write(origin: Origin) -> Post:
        thread = services.create_thread(
            board,
            current_user,
            title=form.title.data,
            body=form.body.data,
            language=form.language.data,
            origin=origin,
        )
        return thread.first_post

    done, status = _submit(form, board, new_thread=True, write=write)
    if done:
        return done
    page = render_template(
        "posts/new_thread.html", board=board, form=form, preview=_preview(form, board)
    )
    return page, status


def _named_post(thread: Thread, post_id: int | None) -> Post | None:
    """The post a reply form names, if it is one a reply may answer."""
    candidate = queries.post_with_thread(post_id) if post_id else None
    answered = services.answered_post(thread, candidate)
    return answered if candidate is not None and answered is candidate else None


@bp.route("/t/<int:thread_id>/reply", methods=["GET", "POST"])
@login_required
def reply(thread_id: int) -> object:
    """The reply form; `?to=ID` answers that post, `?quote=ID` answers it quoting it (as
    does `?to=ID&quote=1`)."""
    return _reply(_thread_or_404(thread_id), request.args.get("to"), request.args.get("quote"))


@bp.get("/p/<int:post_id>/reply")
@login_required
def reply_to_post(post_id: int) -> object:
    """The reply form answering this post: the short address that the Reply link of each
    post of a thread page carries (`/t/ID/reply?to=ID` says the same in more bytes)."""
    post = _post_or_404(post_id)
    return _reply(_thread_or_404(post.thread_id), str(post.id), request.args.get("quote"))


def _reply(thread: Thread, to: str | None, quote: str | None) -> object:
    form = ReplyForm()
    quoting = bool(quote) and (not to or quote == "1")
    if not form.is_submitted():
        answered = _named_post(thread, as_id(to or quote))
        if answered is not None:
            form.reply_to.data = str(answered.id)
            if quoting:
                form.body.data = services.quoted(answered)
    else:
        answered = _named_post(thread, form.answered_id())
        if form.language.name not in request.form:
            # The reply form under a thread has no list of languages, to keep every
            # thread page light: its text says its language, as mail's does, else the
            # writer's own (Preview shows the reply page, whose list may correct it).
            form.language.data = language_of_text(form.body.data or "") or form.language.data
    done, status = _submit(
        form,
        thread.board,
        new_thread=False,
        write=lambda origin: services.reply(
            thread,
            current_user,
            body=form.body.data,
            language=form.language.data,
            reply_to=answered,
            origin=origin,
        ),
    )
    if done:
        return done
    return render_template(
        "posts/reply.html",
        thread=thread,
        board=thread.board,
        form=form,
        answered=answered,
        quoting=quoting,
        preview=_preview(form, thread.board),
    ), status


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int) -> object:
    post = _post_or_404(post_id)
    require(current_user, Action.EDIT_POST, post)
    form = EditForm(data={"body": post.body_source, "language": post.language})
    valid = form.validate_on_submit()
    status = 200 if (valid and form.wants_preview()) or not form.is_submitted() else 400
    if valid and not form.wants_preview():
        try:
            _save_edit(post, form)
        except (services.PostingError, ModerationError) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Your changes are saved."), "success")
            return redirect(post_url(post))
    return render_template(
        "posts/edit.html",
        post=post,
        thread=post.thread,
        form=form,
        can_redact=can(current_user, Action.REDACT_POST, post),
        preview=_preview(form, post.thread.board),
    ), status


def _save_edit(post: Post, form: EditForm) -> None:
    """Save the body (as a redaction, if asked) and the language."""
    if form.redact.data:
        redact_post(post, current_user, body=form.body.data, reason=form.reason.data or "")
    services.edit_post(post, current_user, body=form.body.data, language=form.language.data)


@bp.get("/p/<int:post_id>/history")
def history(post_id: int) -> str:
    post = _post_or_404(post_id)
    reads_redacted = can(current_user, Action.READ_REDACTED, post)
    return render_template(
        "posts/history.html",
        post=post,
        thread=post.thread,
        reads_redacted=reads_redacted,
        changes=_edits(post, reads_redacted),
    )


def _edits(post: Post, reads_redacted: bool) -> dict[int | None, list[Change]]:
    """What each edit changed, by the version it made (None: the current one); none is
    shown where either side is a version this reader may not read."""
    versions: list[tuple[int | None, str, bool]] = [
        (revision.id, revision.body_source, revision.redacted_at is not None)
        for revision in post.revisions
    ]
    versions.append((None, post.body_source, False))
    return {
        key: text_changes(before, after)
        for (_, before, hidden_before), (key, after, hidden_after) in pairwise(versions)
        if reads_redacted or not (hidden_before or hidden_after)
    }


@bp.get("/p/<int:post_id>")
def permalink(post_id: int) -> object:
    """A stable address for a post, wherever its thread now stands."""
    return redirect(post_url(_post_or_404(post_id)))
