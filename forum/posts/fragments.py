"""Posts as they read for everyone, rendered once and kept, so that a thread page (a
signed-in reader's, which the page cache does not keep) is put together from them and
the little that is the viewer's own: the post's number, the "new" mark, the answered
post's number and the tools.

A post's fragment holds its author line (name, group, organisation, country), the time
it was written, its state and edit link, and its body. It is kept under everything it
is made of (in Redis, under a digest of it): the post's row and its author's shown
columns as the page's query read them, the language and time zone of the page, and the
release. Whatever
changes a post or its author (an edit, a redaction, a moderator's act, a new name, a
deleted account) changes the digest, so no fragment is ever stale and nothing needs to
be told to drop one: old ones fall out of the cache.

Fragments are kept in this process's memory (the most recently used
FRAGMENT_CACHE_ENTRIES), and in Redis too when REDIS_URL names one, so that one server
renders a post for every other; Redis is a help, never a need (forum.shared).
"""

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import cache
from typing import NamedTuple

import redis
from flask import Flask, current_app
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import Row

from forum.accounts.models import shown_name
from forum.i18n import isolate, language_tag, when_formatter
from forum.permissions import PostRights
from forum.posts.models import PostStatus
from forum.posts.queries import Answered
from forum.shared import KEY_PREFIX, Fallback


class Fragment(NamedTuple):
    """The parts of a post's markup that are the same for every reader."""

    # The author's name, linked to their profile.
    author: Markup
    # Group, organisation and country, a line break, and the time it was written.
    about: Markup
    # Its state and edit link, the end of that paragraph, and its body.
    tail: Markup


# A fragment's key: the page's release, language and time zone, and the post's row.
Key = tuple[tuple[str, ...], tuple]


class FragmentCache:
    """Fragments by key: the most recently used in this process (under the key itself,
    whose hash Python keeps), and in Redis when there is one (under its digest)."""

    def __init__(self, app: Flask) -> None:
        self.max_entries = app.config["FRAGMENT_CACHE_ENTRIES"]
        self.seconds = max(1, int(app.config["FRAGMENT_CACHE_SECONDS"]))
        self.client: redis.Redis | None = app.extensions["redis"]
        self.fallback = Fallback("Redis (post fragments)", redis.RedisError, app.logger)
        self._local: OrderedDict[Key, Fragment] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[Key]) -> dict[Key, Fragment]:
        found: dict[Key, Fragment] = {}
        with self._lock:
            for key in keys:
                fragment = self._local.get(key)
                if fragment is not None:
                    self._local.move_to_end(key)
                    found[key] = fragment
        missing = [key for key in keys if key not in found]
        if missing and self.client is not None:
            client = self.client
            shared = self.fallback.run(lambda: self._shared_get(client, missing), dict)
            self._keep(shared)
            found.update(shared)
        return found

    def put_many(self, fragments: dict[Key, Fragment]) -> None:
        self._keep(fragments)
        if fragments and self.client is not None:
            client = self.client
            self.fallback.run(lambda: self._shared_put(client, fragments), lambda: None)

    def clear(self) -> None:
        with self._lock:
            self._local.clear()

    def _keep(self, fragments: dict[Key, Fragment]) -> None:
        with self._lock:
            self._local.update(fragments)
            for key in fragments:
                self._local.move_to_end(key)
            while len(self._local) > self.max_entries:
                self._local.popitem(last=False)

    @staticmethod
    def _name(key: Key) -> str:
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
        return f"{KEY_PREFIX}post:{digest}"

    def _shared_get(self, client: redis.Redis, keys: list[Key]) -> dict[Key, Fragment]:
        values = client.mget([self._name(key) for key in keys])
        # Markup this forum rendered and put there itself (`_shared_put`).
        return {
            key: Fragment(*(Markup(part) for part in json.loads(value)))  # noqa: S704
            for key, value in zip(keys, values, strict=True)
            if value is not None
        }

    def _shared_put(self, client: redis.Redis, fragments: dict[Key, Fragment]) -> None:
        pipeline = client.pipeline(transaction=False)
        for key, fragment in fragments.items():
            pipeline.set(self._name(key), json.dumps(list(fragment)), ex=self.seconds)
        pipeline.execute()


def init_app(app: Flask) -> None:
    app.extensions["post_fragments"] = FragmentCache(app)


def fragments(rows: Sequence[Row]) -> dict[int, Fragment]:
    """The fragment of each post of a page (rows of `queries.page_posts`), by post id:
    kept ones, and the others rendered and kept."""
    locale = str(get_locale() or "en")
    page = (current_app.extensions["release"], locale, str(get_timezone()))
    keys: dict[int, Key] = {row.id: (page, tuple(row)) for row in rows}
    cache: FragmentCache = current_app.extensions["post_fragments"]
    found = cache.get_many(list(keys.values()))
    missing = [row for row in rows if keys[row.id] not in found]
    if missing:
        made = {keys[post_id]: fragment for post_id, fragment in _render(missing, locale).items()}
        cache.put_many(made)
        found.update(made)
    return {post_id: found[key] for post_id, key in keys.items()}


def _render(rows: list[Row], locale: str) -> dict[int, Fragment]:
    from forum.web import country_name, group_labels, url_maker

    parts = current_app.jinja_env.get_template("posts/_post.html").make_module(
        {
            "lang": language_tag(locale),
            "when": when_formatter(),
            "groups": group_labels(),
            "country_name": country_name,
            "profile_url": url_maker("accounts.profile", "user_id"),
            "history_url": url_maker("posts.history", "post_id"),
        }
    )
    return {
        row.id: Fragment(
            parts.author(row, shown_name(row.author_name, row.author_deleted_at)),
            parts.about(row),
            parts.tail(row),
        )
        for row in rows
    }


# A post on a thread page: its fragment, and the reader's own parts around it (kept in
# as few bytes as they can be said in: the page's stylesheet styles `article > p` and
# `article > div` rather than classes).
_ARTICLE = (
    '<article id="p{id}"{state}><h2><a href="{permalink}">#{number}</a> {author}{new}</h2>'
    "<p>{about}{parent}{tail}{tools}</article>"
)


@cache
def _labels(locale: str) -> tuple[str, ...]:
    """The words around the posts of a thread page, in `locale` (the page's language),
    escaped: translated once a process."""
    reply, edit, flag = escape(_("Reply")), escape(_("Edit")), escape(_("Flag"))
    moderate = escape(_("Moderate"))
    new = f" <mark>{escape(_('New'))}</mark>"
    summary = f' <span class="tag">{escape(_("Summary"))}</span>'
    # A translation is markup, as in templates; only the values put in it are escaped.
    answers = Markup(_("in reply to %(name)s #%(number)d"))  # noqa: S704
    return reply, edit, flag, moderate, new, summary, answers


def articles(
    posts: Sequence[Row],
    kept: dict[int, Fragment],
    *,
    rights: PostRights,
    first_number: int,
    new_posts: AbstractSet[int],
    answered: dict[int, Answered],
    summary_id: int | None = None,
) -> Markup:
    """The posts of a thread page for this reader: each one's fragment, with its number,
    its "new" mark, the post it answers and the tools the reader may use on it (a board's
    moderators edit others' posts from the moderation page of the post, where they act on
    it rather than flag it; quoting is offered on the reply page)."""
    from forum.web import url_maker

    permalink = url_maker("posts.permalink", "post_id")
    edit_url = url_maker("posts.edit", "post_id")
    flag_url = url_maker("moderation.flag", "post_id")
    moderate_url = url_maker("moderation.post_tools", "post_id")
    reply_url = url_maker("posts.reply_to_post", "post_id")
    # Joined as text, not formatted as Markup (five times slower): the labels are
    # escaped once, addresses are made of ids, fragments are markup already.
    reply, edit, flag, moderate, new, summary, answers = _labels(str(get_locale() or "en"))
    on_page = {post.id for post in posts}
    moderator, me = rights.moderator, rights.participant_id
    parts = []
    for number, post in enumerate(posts, first_number + 1):
        published = post.status == PostStatus.PUBLISHED
        tools = []
        if rights.reply and published:
            tools.append(f'<a href="{reply_url(post.id)}">{reply}</a>')
        if (not moderator or post.author_id == me) and rights.may_edit(post.author_id, post.status):
            tools.append(f'<a href="{edit_url(post.id)}">{edit}</a>')
        if not moderator and rights.may_flag(post.author_id, post.status):
            tools.append(f'<a href="{flag_url(post.id)}">{flag}</a>')
        if moderator:
            tools.append(f'<a href="{moderate_url(post.id)}">{moderate}</a>')
        parent = answered.get(post.reply_to_id) if post.reply_to_id else None
        parent_link = ""
        if parent is not None:
            href = f"#p{parent.id}" if parent.id in on_page else permalink(parent.id)
            words = answers % {"name": isolate(parent.author_name), "number": parent.number}
            parent_link = f' · <a href="{href}">{words}</a>'
        fragment = kept[post.id]
        parts.append(
            _ARTICLE.format(
                id=post.id,
                state="" if published else f' class="{post.status}"',
                permalink=permalink(post.id),
                number=number,
                author=fragment.author,
                new=(new if post.id in new_posts else "")
                + (summary if post.id == summary_id else ""),
                about=fragment.about,
                parent=parent_link,
                tail=fragment.tail,
                tools=f"<p>{' '.join(tools)}</p>" if tools else "",
            )
        )
    return Markup("".join(parts))  # noqa: S704  (fragments, escaped values and our markup)
