"""Mail for people rather than boards: `postmaster@` and `abuse@` (RFC 2142) reach the
admins, a board's `-owner@` address its coordinators, and mail to the forum's own From
address is answered with where to write.

Forwarded mail is kept in Received mail and passed on through the outbox, in words
(headers, the text as sent, and for admins a link to the raw message), with Reply-To set
to its sender. Bounces and automatic mail are forwarded too: they are what postmasters
read. The note for the From address follows RFC 3834: never to automatic mail, lists or
a null return path, at most once a day per address, and only where
`forum.inbound.answers` allows.
"""

from datetime import timedelta
from typing import NoReturn

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from forum.accounts.models import User
from forum.boards.models import BoardRole, Role
from forum.extensions import db
from forum.inbound import answers
from forum.inbound.authenticity import Authenticity
from forum.inbound.errors import Done
from forum.inbound.models import InboundMessage, Outcome
from forum.inbound.parse import Received
from forum.inbound.routing import ROLE_ADDRESSES, Recipient
from forum.mail import addresses, ids, link_for
from forum.mail.language import worded_for
from forum.mail.models import MailKind
from forum.mail.outbox import queue
from forum.permissions import can_administer, can_moderate_board

KINDS = (*ROLE_ADDRESSES, "owner")
NOTE = "mail to the forum's own address, which nobody reads"


def _admins() -> list[tuple[User | None, str]]:
    configured = current_app.config["MAIL_POSTMASTER_ADDRESSES"]
    if configured:
        return [(None, address.strip()) for address in configured if address.strip()]
    people = db.session.scalars(select(User).where(User.is_admin.is_(True)).order_by(User.id))
    return [(person, person.email) for person in people if can_administer(person)]


def _coordinators(target: Recipient) -> list[tuple[User | None, str]]:
    people = db.session.scalars(
        select(User)
        .join(BoardRole, BoardRole.user_id == User.id)
        .where(BoardRole.board_id == target.board.id, BoardRole.role == Role.COORDINATOR)
        .order_by(User.id)
    )
    found = [(p, p.email) for p in people if can_moderate_board(p, target.board)]
    return found or _admins()


def _outside(address: str) -> bool:
    """Never forward to an address of the forum's own domain (a loop)."""
    return address.rpartition("@")[2].lower() != addresses.domain().lower()


def _from_the_forum(received: Received) -> bool:
    """Mail the forum sent itself (a forward that a mailbox passed on, an alias that
    points back here): From its own address, or with a Message-ID of its own domain."""
    own = addresses.forum_address().lower()
    return received.from_address == own or ids.is_forum_message_id(received.message_id)


def forward(record: InboundMessage, received: Received, target: Recipient) -> NoReturn:
    """Pass the message on to the people its address stands for."""
    if received.list_id.endswith(f".{addresses.domain().lower()}>"):
        raise Done(Outcome.IGNORED, "the forum's own list mail came back (a loop)")
    if _from_the_forum(received):
        raise Done(Outcome.IGNORED, "the forum's own mail came back (a loop)")
    people = _coordinators(target) if target.kind == "owner" else _admins()
    people = [(person, address) for person, address in people if _outside(address)]
    if not people:
        current_app.logger.warning("mail to %s kept: nobody to forward it to", record.recipient)
        raise Done(Outcome.IGNORED, "kept here: nobody to forward it to")
    db.session.flush()
    for person, address in people:
        admin = person is None or can_administer(person)
        with worded_for(person):
            text = render_template(
                "mail/forwarded.txt",
                record=record,
                received=received,
                date=received.message.get("Date", "") if received.message else "",
                link=link_for("admin.received_message", message_id=record.id) if admin else "",
            )
            subject = f"[{record.recipient}] {received.subject or _('(no subject)')}"
        queue(
            MailKind.ACCOUNT,
            user=person,
            to_address=address if person is None else None,
            subject=subject,
            payload={"text": text, "reply_to": received.from_address or None},
        )
    raise Done(Outcome.FORWARDED, f"forwarded to {len(people)} people")


def point_elsewhere(
    record: InboundMessage, received: Received, envelope_from: str, sender: Authenticity
) -> NoReturn:
    """Answer mail to the forum's From address with where to write, once a day at most."""
    record.reason = NOTE
    text = render_template(
        "mail/forum_address.txt",
        site_name=current_app.config["SITE_NAME"],
        address=record.recipient,
        domain=addresses.domain(),
        postmaster=f"postmaster@{addresses.domain()}",
        home=link_for("boards.home"),
        settings=link_for("mail.preferences"),
    )
    answers.send_answer(
        record,
        to=answers.answer_address(received, envelope_from, sender),
        subject=_("This address is not read: %(subject)s",
                  subject=received.subject or _("your message")),
        text=text,
        in_reply_to=received.message_id,
        once_per=timedelta(days=1),
    )  # fmt: skip
    raise Done(Outcome.IGNORED, NOTE)
