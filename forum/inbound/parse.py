"""Reading a received message: its headers, its text, and what of the text is new.

Whatever the message holds (any charset or transfer encoding, broken MIME, broken
encoded words, NUL bytes, HTML only, parts nested past reason), reading it gives a
result: undecodable bytes are replaced, and what cannot be read is said in `unreadable`.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from forum.inbound.quotes import html_to_text, strip_quotes
from forum.text import one_line, without_control_characters

# RFC 5322 msg-id: printable ASCII between angle brackets.
_MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}>")
_SUBJECT_PREFIX = re.compile(r"^\s*((re|aw|sv|fwd?|tr|wg)\s*(\[\d+\])?\s*:\s*|\[[^\]]{1,40}\]\s*)+",
                             re.IGNORECASE)  # fmt: skip
# Headers a message may carry once only (RFC 5322, section 3.6).
_SINGLE_HEADERS = ("From", "Sender", "To", "Cc", "Subject", "Date", "Message-ID")
# Subjects of auto-replies whose senders set no Auto-Submitted header.
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|auto[- ]?response|autosvar|automatische antwort|"
    r"réponse automatique|respuesta automática|risposta automatica|abwesenheitsnotiz|"
    r"out of (the )?office( auto[- ]?reply)?)\s*(:|$)",
    re.IGNORECASE,
)
# Headers that some auto-responders set instead of Auto-Submitted.
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponse")


@dataclass
class Received:
    """What the forum needs of a received message."""

    message_id: str
    from_address: str
    from_name: str
    subject: str
    in_reply_to: list[str]
    references: list[str]
    auto_submitted: str
    precedence: str
    list_id: str
    authentication_results: list[str]
    content_type: str
    # The new text of the message (quotes and signature gone), and the whole of it.
    text: str
    full_text: str
    attachments: list[str] = field(default_factory=list)
    message: Message | None = None
    # How many addresses the From header(s) name (one, in a message that can be posted).
    from_count: int = 1
    # The auto-responder header found (X-Autoreply and the like), if any.
    auto_reply_header: str = ""
    # Why the message's body could not be read, if it could not.
    unreadable: str = ""
    # The addresses in To and Cc; when it says it was written; headers it has twice.
    addressed_to: list[str] = field(default_factory=list)
    sent_at: datetime | None = None
    repeated_headers: list[str] = field(default_factory=list)

    @property
    def first_line(self) -> str:
        return next((line.strip() for line in self.text.splitlines() if line.strip()), "")

    @property
    def title(self) -> str:
        """The subject without Re:, Fwd: and [list] tags: a thread's title."""
        return _SUBJECT_PREFIX.sub("", self.subject).strip()


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the email package cannot even parse
        return ""
    return one_line(str(value)) if value is not None else ""


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """Every (name, address) of all the headers of that name."""
    try:
        values = [str(value) for value in message.get_all(name, [])]
    except Exception:  # a header the email package cannot even parse
        return []
    found = []
    for raw in values:
        raw = one_line(raw)
        pairs = [pair for pair in getaddresses([raw]) if pair[1]] or [parseaddr(raw)]
        found += [(name_part.strip(), address.strip().lower()) for name_part, address in pairs]
    return [pair for pair in found if pair[1]]


def message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def _decoded(part: Message) -> str:
    """A text part's content, in whatever charset it declares; bad bytes replaced."""
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _is_attachment(part: Message) -> bool:
    disposition = (_header(part, "Content-Disposition") or "").lower()
    return disposition.startswith("attachment") or (
        bool(part.get_filename()) and not part.get_content_type().startswith("text/")
    )


def _bodies(message: Message) -> tuple[str | None, str | None, list[str]]:
    """(plain text, HTML, attachment names) of a message, first of each kind."""
    plain = html = None
    attachments: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if _is_attachment(part):
            attachments.append(one_line(part.get_filename() or "unnamed"))
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _decoded(part)
        elif kind == "text/html" and html is None:
            html = _decoded(part)
        elif kind.startswith(("message/", "text/")):
            continue
        else:
            attachments.append(one_line(part.get_filename() or kind))
    return plain, html, attachments


def _read(raw: bytes) -> tuple[Message, tuple[str | None, str | None, list[str]], str]:
    """The message and its bodies; only its headers when its parts nest too deeply for
    the email package (which recurses once per level)."""
    try:
        message = message_from_bytes(raw, policy=policy.compat32)
        return message, _bodies(message), ""
    except RecursionError:
        headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
        return headers, (None, None, []), "The message's parts are nested too deeply to read."


def _auto_reply_header(message: Message) -> str:
    for name in _AUTO_REPLY_HEADERS:
        value = _header(message, name)
        if value and value.lower() not in {"no", "0", "false"}:
            return f"{name}: {value}"
    return ""


def parse(raw: bytes) -> Received:
    message, (plain, html, attachments), unreadable = _read(raw)
    whole = plain if plain is not None else html_to_text(html or "", keep_quotes=True)
    new = strip_quotes(plain) if plain is not None else strip_quotes(html_to_text(html or ""))
    senders = _addresses(message, "From")
    from_name, from_address = senders[0] if senders else ("", "")
    ids = message_ids(_header(message, "Message-ID"))
    return Received(
        message_id=ids[0] if ids else "",
        from_address=from_address,
        from_name=_decode_words(from_name),
        subject=_decode_words(_header(message, "Subject"))[:500],
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        auto_submitted=_header(message, "Auto-Submitted").lower(),
        precedence=_header(message, "Precedence").lower(),
        list_id=_header(message, "List-Id").lower(),
        authentication_results=[
            " ".join(str(value).split()) for value in message.get_all("Authentication-Results", [])
        ],
        content_type=message.get_content_type(),
        text=without_control_characters(new),
        full_text=without_control_characters(whole),
        attachments=attachments,
        message=message,
        from_count=len(senders),
        auto_reply_header=_auto_reply_header(message),
        unreadable=unreadable,
        addressed_to=[address for _name, address in [*_addresses(message, "To"),
                                                     *_addresses(message, "Cc")]],
        sent_at=_date(_header(message, "Date")),
        repeated_headers=[name for name in _SINGLE_HEADERS if len(message.get_all(name, [])) > 1],
    )  # fmt: skip


def _date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words to text; left as it is when they cannot be decoded."""
    try:
        return one_line(str(make_header(decode_header(value))))
    except Exception:  # HeaderParseError, bad base64, unknown charsets: keep it as sent
        return one_line(value)
