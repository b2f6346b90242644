"""Atom feeds and mboxrd files of posts."""

import re
from collections.abc import Iterable
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from forum.mail.ids import author_address, message_id, references, subject
from forum.markup import markdown_to_text
from forum.posts.models import Post, Thread
from forum.text import one_line, xml_text

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    """An Atom element; its text and attributes cleaned of what XML 1.0 forbids."""
    cleaned = {name: xml_text(value) for name, value in attributes.items()}
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", cleaned)
    if text is not None:
        element.text = xml_text(text)
    return element


def atom_feed(
    *,
    feed_id: str,
    title: str,
    link: str,
    self_link: str,
    entries: Iterable[dict],
    updated: datetime,
) -> bytes:
    """An Atom 1.0 document; each entry: id, title, link, updated, author, html."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    _sub(feed, "updated", updated.isoformat())
    _sub(feed, "link", href=link, rel="alternate", type="text/html")
    _sub(feed, "link", href=self_link, rel="self", type="application/atom+xml")
    for item in entries:
        entry = _sub(feed, "entry")
        _sub(entry, "id", item["id"])
        _sub(entry, "title", item["title"])
        _sub(entry, "updated", item["updated"].isoformat())
        _sub(entry, "published", item["published"].isoformat())
        _sub(entry, "link", href=item["link"], rel="alternate", type="text/html")
        author = _sub(entry, "author")
        _sub(author, "name", item["author"])
        _sub(entry, "content", item["html"], type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def mbox(posts: Iterable[Post], *, code: str) -> bytes:
    """An mboxrd file: one message a post, threaded by Message-ID, In-Reply-To and
    References, each body the post's own text in UTF-8 (see `markdown_to_text`)."""
    posts = list(posts)
    chains = references(posts)
    chunks = []
    for post in posts:
        message = _message(post, code=code, chain=chains.get(post.id, []))
        envelope = (
            f"From {author_address(post)} {post.created_at.strftime('%a %b %d %H:%M:%S %Y')}\n"
        )
        body = _FROM_LINE.sub(rb">\1", message.as_bytes())
        chunks.append(envelope.encode() + body.rstrip(b"\n") + b"\n\n")
    return b"".join(chunks)


def _message(post: Post, *, code: str, chain: list[str]) -> EmailMessage:
    """One post as a message; header values made one clean line, whatever was stored."""
    thread: Thread = post.thread
    message = EmailMessage()
    message["From"] = Address(one_line(post.author.display_name), addr_spec=author_address(post))
    message["Date"] = format_datetime(post.created_at)
    title = one_line(thread.title)
    message["Subject"] = subject(code, title, reply=post.id != thread.first_post_id)
    message["Message-ID"] = one_line(message_id(post))
    if chain:
        message["In-Reply-To"] = one_line(chain[-1])
        message["References"] = " ".join(one_line(reference) for reference in chain)
    message.set_content(markdown_to_text(post.body_source) + "\n", charset="utf-8")
    return message
