"""A board's email commands, as Mailman 3's: `c5-request@` reads commands in the subject
and the body, `c5-join@` subscribes and `c5-leave@` unsubscribes, whatever the message
says.

Commands: `subscribe` (or `join`) for every post, `subscribe digest daily|weekly` for a
digest, `unsubscribe` (or `leave`), `help`. Quoted text and signatures are skipped;
reading stops at `end` and after three lines that are not commands.

A change is made at once when the From is a confirmed account and the message was
authenticated (a DMARC or DKIM pass, as for posting). Otherwise the address is asked to
confirm it, by reply or link (Mailman's one-step confirmation, used for leaving too):
the account's registered address, or the From address when it has no account, which
then becomes an invited, email-only account following the board. A forged message thus
changes nothing. The results are answered where `forum.inbound.answers` allows.
"""

from dataclasses import dataclass
from typing import NoReturn

from flask import current_app, render_template
from flask_babel import gettext as _

from forum.accounts.models import User
from forum.accounts.services import email_only_account, find_user_by_email
from forum.boards.models import Board
from forum.inbound import answers, confirmations
from forum.inbound.authenticity import Authenticity
from forum.inbound.errors import Done
from forum.inbound.models import InboundMessage, Outcome
from forum.inbound.parse import Received
from forum.inbound.routing import Recipient, list_command_address
from forum.mail import addresses, link_for, subscriptions
from forum.mail.models import MailMode
from forum.permissions import new_accounts_may_read

KINDS = ("request", "join", "leave")
_CHANGES = frozenset({"subscribe", "unsubscribe"})
_UNKNOWN_LINES = 3
_MAX_COMMANDS = 10
_PERIODS = {"daily": MailMode.DAILY, "weekly": MailMode.WEEKLY}


@dataclass(frozen=True)
class Command:
    line: str
    verb: str  # "subscribe", "unsubscribe", "help", or "" for a line that is none
    mode: MailMode = MailMode.OFF


def _parse(line: str) -> Command:
    words = line.lower().replace("=", " ").split()
    if not words:
        return Command(line, "")
    verb, rest = words[0], words[1:]
    if verb in {"subscribe", "join"}:
        if rest and rest[0] == "digest":
            mode = _PERIODS.get(rest[1] if len(rest) > 1 else "daily")
            return Command(line, "subscribe", mode) if mode else Command(line, "")
        return Command(line, "subscribe", MailMode.EVERY_POST)
    if verb in {"unsubscribe", "leave"}:
        return Command(line, "unsubscribe")
    if verb == "help":
        return Command(line, "help")
    return Command(line, "")


def read(target: Recipient, received: Received) -> list[Command]:
    """The commands a message gives (its subject counts only when it is one)."""
    if target.kind == "join":
        return [Command("join", "subscribe", MailMode.EVERY_POST)]
    if target.kind == "leave":
        return [Command("leave", "unsubscribe")]
    subject = _parse(received.title) if received.title.strip() else None
    commands = [subject] if subject and subject.verb else []
    unknown = 0
    for line in (line.strip() for line in received.text.splitlines()):
        if not line:
            continue
        if line.lower() in {"end", "stop", "thanks", "thank you"}:
            break
        command = _parse(line)
        commands.append(command)
        unknown += not command.verb
        if unknown == _UNKNOWN_LINES or len(commands) == _MAX_COMMANDS:
            break
    return commands or [Command("help", "help")]


def _mode_text(mode: MailMode, board: Board) -> str:
    if mode == MailMode.EVERY_POST:
        return _("You now get every post of %(board)s by email.", board=board.label)
    if mode == MailMode.DAILY:
        return _("You now get the daily digest of %(board)s.", board=board.label)
    return _("You now get the weekly digest of %(board)s.", board=board.label)


def _carry_out(command: Command, person: User, board: Board) -> str:
    try:
        if command.verb == "subscribe":
            subscriptions.settings_of(person)
            subscriptions.set_board_mode(person, board, command.mode)
            return _mode_text(command.mode, board)
        if subscriptions.board_mode(person, board) == MailMode.OFF:
            return _("You did not follow %(board)s by email.", board=board.label)
        subscriptions.set_board_mode(person, board, MailMode.OFF)
        return _("You will get no more email from %(board)s.", board=board.label)
    except subscriptions.SubscriptionError as error:
        return str(error)


def help_text(board: Board) -> str:
    return render_template(
        "mail/list_help.txt",
        board=board,
        post=addresses.posting_address(board),
        request=list_command_address(board, "request"),
        join=list_command_address(board, "join"),
        leave=list_command_address(board, "leave"),
        owner=list_command_address(board, "owner"),
        page=link_for("boards.board", slug=board.slug),
        settings=link_for("mail.preferences"),
    )


def _result(command: Command, board: Board, sender: User | None, *, at_once: bool) -> str:
    """What one command did, or will do once confirmed."""
    if command.verb == "help":
        return help_text(board)
    if not command.verb:
        return _('This is not a command. Send "help" to %(address)s for the commands.',
                 address=list_command_address(board, "request"))  # fmt: skip
    if at_once:
        return _carry_out(command, sender, board)
    if sender is None and command.verb == "unsubscribe":
        return _("This address does not follow %(board)s by email.", board=board.label)
    return _("Waiting for your confirmation: see the message sent to your address.")


def take(
    record: InboundMessage,
    received: Received,
    target: Recipient,
    envelope_from: str,
    sender: Authenticity,
) -> NoReturn:
    """Carry out (or ask to confirm) a message's commands, and answer with the results."""
    board = target.board
    if not received.from_address:
        raise Done(Outcome.REFUSED, "no From address")
    account = find_user_by_email(received.from_address)
    if account is not None and not account.is_verified:
        raise Done(
            Outcome.REFUSED,
            _("Your account is not confirmed yet: open the link the forum sent you when you "
              "registered, then send your request again."),
            tell_sender=True,
        )  # fmt: skip
    record.user_id = account.id if account is not None else None
    commands = read(target, received)
    subscribes = any(command.verb == "subscribe" for command in commands)
    if account is None and subscribes and not new_accounts_may_read(board):
        raise Done(
            Outcome.REFUSED,
            _("This list is open to the members of its team only. Write to its coordinators "
              "at %(owner)s to ask to join.", owner=list_command_address(board, "owner")),
            tell_sender=True,
        )  # fmt: skip
    at_once = account is not None and bool(sender.method)
    results = [(c, _result(c, board, account, at_once=at_once)) for c in commands]
    waiting = [c for c in commands if c.verb in _CHANGES and not at_once]
    waiting = [c for c in waiting if account is not None or c.verb == "subscribe"]
    if waiting:
        _ask(record, received, board, account, waiting)
    record.reason = _summary(results, waiting=bool(waiting))
    answers.send_answer(
        record,
        to=answers.answer_address(received, envelope_from, sender),
        subject=_("The results of your email commands"),
        text=_results_text(results),
        in_reply_to=received.message_id,
    )
    raise Done(Outcome.UNCONFIRMED if waiting else Outcome.ANSWERED, record.reason)


def _ask(
    record: InboundMessage,
    received: Received,
    board: Board,
    account: User | None,
    waiting: list[Command],
) -> None:
    address = account.email if account is not None else received.from_address
    confirmations.refuse_if_too_many(user=account, address=address)
    confirmations.start_waiting(record)
    text = render_template(
        "mail/confirm_commands.txt",
        site_name=current_app.config["SITE_NAME"],
        address=address,
        board=board,
        lines=[command.line for command in waiting],
        link=confirmations.link(record),
        new_account=account is None,
    )
    subject = _("Confirm your request about %(board)s", board=board.label)
    confirmations.ask(record, to=address, user=account, subject=subject, text=text)


def confirmed(record: InboundMessage, received: Received, target: Recipient) -> NoReturn:
    """Carry out the changes of a request its sender confirmed, and tell them."""
    board = target.board
    commands = [c for c in read(target, received) if c.verb in _CHANGES]
    person = record.user or find_user_by_email(record.from_address)
    if person is None and any(c.verb == "subscribe" for c in commands):
        person = email_only_account(record.from_address, display_name=received.from_name)
        record.user_id = person.id
    if person is None or not person.is_verified:
        raise Done(Outcome.REFUSED, _("This request can no longer be carried out."))
    results = [(c, _carry_out(c, person, board)) for c in commands]
    record.reason = _summary(results, waiting=False)
    answers.send_answer(record, to=person.email, text=_results_text(results),
                        subject=_("The results of your email commands"))  # fmt: skip
    raise Done(Outcome.ANSWERED, record.reason)


def _summary(results: list[tuple[Command, str]], *, waiting: bool) -> str:
    """One line for Received mail: each command and the first line of what it did."""
    done = "; ".join(f"{command.line[:60]}: {_first_line(text)}" for command, text in results)
    return ("confirmation asked. " if waiting else "") + done


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0]


def _results_text(results: list[tuple[Command, str]]) -> str:
    return render_template(
        "mail/command_results.txt",
        site_name=current_app.config["SITE_NAME"],
        results=results,
    )
