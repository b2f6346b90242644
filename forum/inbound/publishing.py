"""Posting a received message through the posting service, as the web posts."""

from typing import NoReturn

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from forum.accounts.models import User
from forum.boards.models import Board
from forum.extensions import db
from forum.inbound import crossposts
from forum.inbound.errors import Done
from forum.inbound.models import InboundMessage, Outcome
from forum.inbound.parse import Received
from forum.inbound.routing import post_answered
from forum.mail import ids
from forum.mail.language import language_of_tags, language_of_text
from forum.permissions import Action, can
from forum.posts import services as posting
from forum.posts.flood import flood_refusal
from forum.posts.models import PostSource, PostStatus, Thread


def _body(received: Received) -> str:
    body = received.text.strip()
    if received.attachments:
        names = ", ".join(received.attachments[:10])
        body += "\n\n" + _("(Attachments are not published; left out: %(names)s)", names=names)
    return body


def _written_language(received: Received) -> str | None:
    """The post's language: the message's Content-Language if it is one of the forum's,
    else the language its text is told to be in (see `language_of_text`), else none (the
    author's account setting, as for a post on the web)."""
    message = received.message
    header = str(message.get("Content-Language", "")) if message is not None else ""
    text = f"{received.title or ''}\n{received.text}"
    return language_of_tags(header) or language_of_text(text)


def _own_message_id(received: Received) -> str | None:
    """The sender's Message-ID for the post, unless it is on the forum's domain or a post
    of the same message on another board has it: then the post takes its own, and the
    sender's stays with the received message."""
    message_id = received.message_id
    if not message_id or ids.is_forum_message_id(message_id):
        return None
    return message_id if crossposts.message_id_is_free(message_id) else None


def publish(
    record: InboundMessage,
    author: User,
    received: Received,
    *,
    thread: Thread | None,
    board: Board | None,
    dmarc_failed: bool = False,
) -> NoReturn:
    """Post the message; always ends in Done (posted, held or refused)."""
    body = _body(received)
    if not received.text.strip():
        raise Done(Outcome.REFUSED, _("The message had no text of its own."), tell_sender=True)
    where = thread.board if thread is not None else board
    crossposts.refuse_repeat(received.message_id, where, author)
    refusal = flood_refusal(author, where, new_thread=thread is None, address=None)
    if refusal:
        raise Done(
            Outcome.REFUSED,
            ngettext("You are posting faster than this forum allows. Wait %(num)d minute "
                     "and send again.",
                     "You are posting faster than this forum allows. Wait %(num)d minutes "
                     "and send again.", refusal.minutes),
            tell_sender=True,
        )  # fmt: skip
    outside = _from_outside(author, thread, where)
    origin = posting.Origin(
        source=PostSource.EMAIL,
        message_id=_own_message_id(received),
        hold=dmarc_failed or outside,
    )
    limit = current_app.config["BODY_MAX_LENGTH"]
    language = _written_language(received)
    try:
        if thread is not None:
            answered = post_answered(received, thread)
            post = posting.reply(
                thread,
                author,
                body=body[:limit],
                language=language,
                reply_to=answered,
                origin=origin,
            )
        else:
            title = (received.title or _("(no subject)"))[: current_app.config["TITLE_MAX_LENGTH"]]
            new = posting.create_thread(
                board, author, title=title, body=body[:limit], language=language, origin=origin
            )
            post = new.first_post
    except posting.PostingError as error:
        raise Done(Outcome.REFUSED, str(error), tell_sender=True) from error
    record.post_id = post.id
    db.session.flush()
    crossposts.link(post, received.message_id)
    held = post.status == PostStatus.PENDING
    reason = (
        "DMARC failed: held" if dmarc_failed
        else "held: the sender may not post here, and the board holds such mail" if outside
        else "held for approval" if held
        else ""
    )  # fmt: skip
    raise Done(Outcome.HELD if held else Outcome.POSTED, reason)


def _from_outside(author: User, thread: Thread | None, board: Board) -> bool:
    """The sender may not post here, but the board holds their mail for review."""
    target, action = (thread, Action.REPLY) if thread else (board, Action.START_THREAD)
    return not can(author, action, target) and can(author, Action.SUBMIT_FOR_REVIEW, target)
