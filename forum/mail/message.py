"""The forum's email message: Flask-Mail's, written the way mail software reads best.

- A Message-ID on the forum's mail domain (Flask-Mail's own names the machine).
- Text in UTF-8 and 8bit, readable raw, when every line fits SMTP's limit of 998 octets
  (and the server takes 8-bit mail); quoted-printable when one does not, base64 for HTML.
- multipart/alternative on its own, without the multipart/mixed that Flask-Mail puts
  around it even when there is no attachment.
- A MIME digest (RFC 2046): a text part, then a multipart/digest of message/rfc822 parts,
  each marked 8bit when the post inside is (quoted-printable for a server without 8-bit).
- Headers written as given (the compat32 policy, no line length), so that a long
  List-Unsubscribe URL is never cut into encoded words that clients would not read; the
  forum folds long headers itself, between their items (see `folded`). The newer policy
  would also parse every header again (5 ms a message).
"""

from collections.abc import Iterable
from datetime import datetime
from email import policy
from email.charset import BASE64, QP, Charset
from email.message import Message as MimeMessage
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid
from typing import Any

from flask import current_app, render_template
from flask_mail import Message

from forum.accounts.models import User
from forum.i18n import format_moment, zone
from forum.mail import addresses
from forum.mail.models import MailFormat, MailSettings
from forum.text import one_line

POLICY = policy.compat32.clone(linesep="\r\n", max_line_length=0)
# RFC 5321: a line of at most 998 octets, without its CRLF.
MAX_LINE_OCTETS = 998
_MIME_HEADERS = {"content-type", "mime-version", "content-transfer-encoding"}


def _utf8(body_encoding: int | None) -> Charset:
    """UTF-8 with this body encoding (set on the instance: Flask-Mail registers UTF-8
    with none, for every user of the email package)."""
    charset = Charset("utf-8")
    charset.body_encoding = body_encoding
    return charset


_EIGHT_BIT, _QUOTED_PRINTABLE, _BASE64 = _utf8(None), _utf8(QP), _utf8(BASE64)


def _lines_fit(text: str) -> bool:
    longest = max(map(len, text.splitlines()), default=0)
    if longest * 4 <= MAX_LINE_OCTETS:  # no character takes more than 4 octets
        return True
    return all(len(line.encode()) <= MAX_LINE_OCTETS for line in text.splitlines())


def text_part(text: str, subtype: str = "plain", *, eight_bit: bool = True) -> MIMEText:
    """A UTF-8 part: 7bit or 8bit when its lines allow (and the server takes 8-bit mail),
    else quoted-printable for plain text and base64 for HTML."""
    if _lines_fit(text) and (eight_bit or text.isascii()):
        charset = _EIGHT_BIT
    else:
        charset = _QUOTED_PRINTABLE if subtype == "plain" else _BASE64
    return MIMEText(text, _subtype=subtype, _charset=charset)  # type: ignore[arg-type]


def part_size(text: str, subtype: str = "plain") -> int:
    """Octets a part's body takes as sent (8-bit transport), CRLF line ends included."""
    payload = text_part(text, subtype).get_payload()
    return len(payload) + payload.count("\n")


def folded(items: Iterable[str], separator: str = "") -> str:
    """A header value with each item on a line of its own (a References list, several
    URLs), so that no header line grows past SMTP's limit."""
    return f"{separator}\r\n ".join(items)


def display_address(name: str, address: str) -> str:
    """`"Name" <address>`, quoted so that commas and non-ASCII names survive; Flask-Mail
    encodes the name (RFC 2047) when it builds the message."""
    quoted = one_line(name).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'


def _move_headers(source: MIMEBase, target: MIMEBase) -> MIMEBase:
    """`target` with the message headers of `source` (not its MIME ones), which loses them."""
    for name, value in source.items():
        if name.lower() not in _MIME_HEADERS:
            target[name] = value
    for name in {name for name in source if name.lower() not in _MIME_HEADERS}:
        del source[name]
    return target


def _is_8bit(message: MimeMessage) -> bool:
    return str(message.get("Content-Transfer-Encoding", "")).lower() == "8bit"


def _without_8bit(message: MimeMessage) -> MimeMessage:
    """A one-part text message as `text_part` writes it for a server without 8BITMIME (a
    copy: the message is shared by every digest of a batch)."""
    charset = message.get_content_charset() or "utf-8"
    text = message.get_payload(decode=True).decode(charset, errors="replace")
    copy = text_part(text, message.get_content_subtype(), eight_bit=False)
    for name, value in message.items():
        if name.lower() not in _MIME_HEADERS:
            copy[name] = value
    return copy


def _enclosed(message: MimeMessage, *, eight_bit: bool) -> MIMEMessage:
    """A message/rfc822 part of a MIME digest: 8bit when it holds 8-bit text (RFC 2046
    implies 7bit otherwise), and without 8-bit text for a server that does not take it."""
    if not eight_bit and _is_8bit(message):
        message = _without_8bit(message)
    part = MIMEMessage(message)
    if _is_8bit(message):
        part["Content-Transfer-Encoding"] = "8bit"
    return part


class ForumMessage(Message):
    """Flask-Mail's message, written as the module docstring says.

    `digest` holds the messages of a MIME digest; `eight_bit` is cleared for a server
    that does not announce 8BITMIME (its text then goes quoted-printable)."""

    def __init__(self, *args: Any, digest: list[MimeMessage] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.msgId = make_msgid(domain=current_app.config["MAIL_DOMAIN"])
        self.digest = digest or []
        self.eight_bit = True
        # The iTIP method of a text/calendar alternative (RFC 6047: its `method` parameter).
        self.calendar_method = ""

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        part = text_part(text or "", subtype, eight_bit=self.eight_bit)
        if subtype == "calendar" and self.calendar_method:
            part.set_param("method", self.calendar_method)
        return part

    def _message(self) -> MIMEBase:
        message = super()._message()
        message.policy = POLICY  # headers read back as written, not decoded
        if not self.attachments and message.get_content_subtype() == "mixed":
            [alternative] = message.get_payload()
            message = _move_headers(message, alternative)
        if self.digest:
            message = self._with_digest(message)
        message.policy = POLICY
        return message

    def _with_digest(self, body: MIMEBase) -> MIMEBase:
        digest = MIMEMultipart("digest")
        for item in self.digest:
            digest.attach(_enclosed(item, eight_bit=self.eight_bit))
        outer = _move_headers(body, MIMEMultipart("mixed"))
        outer.attach(body)
        outer.attach(digest)
        return outer


def new_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    sender_name: str,
    headers: dict[str, str],
    message_id_header: str | None = None,
    reply_to: str | None = None,
    digest: list[MimeMessage] | None = None,
    calendar: tuple[str, str] | None = None,
) -> ForumMessage:
    """A message; `calendar` is (iTIP method, iCalendar text), sent as a text/calendar
    alternative after the text (and HTML)."""
    message = ForumMessage(
        subject=one_line(subject),
        recipients=[to],
        body=text,
        html=html,
        sender=display_address(sender_name, addresses.forum_address()),
        reply_to=reply_to,
        extra_headers=headers,
        digest=digest,
    )
    if message_id_header:
        message.msgId = message_id_header
    if calendar is not None:
        message.calendar_method, text_calendar = calendar
        message.alts["calendar"] = text_calendar
    return message


# What every kind of mail words the same way ----------------------------------------------


def site_name() -> str:
    return current_app.config["SITE_NAME"]


def local_time(moment: datetime, user: User) -> str:
    """A moment in the person's time zone, written for the language of the message
    being worded, with the zone named."""
    timezone = zone(user.timezone)
    return format_moment(moment, timezone)


def html_if_wanted(settings: MailSettings, template: str, context: dict) -> str | None:
    if settings.format == MailFormat.TEXT:
        return None
    return render_template(template, **context)
