"""Forms for writing threads and posts; limits come from the configuration."""

import re
import secrets
from functools import lru_cache

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forum.accounts.forms import language_choices
from forum.forms import ForumForm
from forum.markup import render_markdown
from forum.pagination import as_id
from forum.posts.services import UNKNOWN_LANGUAGE


class _MaxLength:
    """Length limit read from config at validation time, with a message giving the numbers."""

    def __init__(self, setting: str) -> None:
        self.setting = setting

    def __call__(self, form: ForumForm, field: StringField) -> None:
        limit = current_app.config[self.setting]
        length = len(field.data or "")
        if length > limit:
            raise ValidationError(
                _(
                    "This is %(length)d characters long; the limit is %(limit)d.",
                    length=length,
                    limit=limit,
                )
            )


def writer_language() -> str:
    """The language a post is first assumed to be in: the writer's account setting, else
    the page's."""
    languages = current_app.config["LANGUAGES"]
    locale = getattr(current_user, "locale", None)
    page = str(get_locale())
    return locale if locale in languages else page if page in languages else "en"


def _known_language(form: ForumForm, field: SelectField) -> None:
    if field.data not in current_app.config["LANGUAGES"]:
        raise ValidationError(UNKNOWN_LANGUAGE)


def formatting_examples() -> tuple[tuple[str, str], ...]:
    """The formatting help of post forms, in the reader's language: each example as
    written and as the forum shows it (sanitised HTML)."""
    return _formatting_examples(str(get_locale()))


@lru_cache(maxsize=16)
def _formatting_examples(locale: str) -> tuple[tuple[str, str], ...]:
    sources = [
        "**" + _("bold") + "**",
        "*" + _("italic") + "*",
        "[" + _("a link") + "](https://example.org)",
        "> " + _("a quotation"),
        "- " + _("a list item"),
        "`" + _("code") + "`",
    ]
    # Without the line breaks between tags: the help is on every post form, kept light.
    return tuple((source, render_markdown(source).replace("\n", "")) for source in sources)


class PostForm(ForumForm):
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(_l("Write a message.")), _MaxLength("BODY_MAX_LENGTH")],
        description=_l("Markdown: **bold**, *italic*, [link](https://…), lists, > quotes, `code`."),
    )
    language = SelectField(
        _l("Language of this post"),
        choices=language_choices,
        default=writer_language,
        validate_choice=False,
        validators=[_known_language],
    )
    # Pressed instead of the form's own button: the text comes back rendered, unposted.
    preview = SubmitField(_l("Preview"))

    def wants_preview(self) -> bool:
        return self.is_submitted() and bool(self.preview.data)


_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_submission_token() -> str:
    """96 random bits: a token tells apart the forms of one person, in 16 characters."""
    return secrets.token_urlsafe(12)


class NewPostForm(PostForm):
    """A form that writes a new post: it carries a one-time token, so that sending it twice
    (a double click, the back button) shows the post written the first time."""

    submission = HiddenField(default=new_submission_token)

    def submission_token(self) -> str | None:
        """The form's token; a damaged one is ignored rather than refused (the post goes
        through, just without the protection against a second click)."""
        token = self.submission.data or ""
        return token if _TOKEN.fullmatch(token) else None


class ThreadForm(NewPostForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the thread a title.")), _MaxLength("TITLE_MAX_LENGTH")],
    )


class EditForm(PostForm):
    """Editing a post; a moderator may mark the edit as a redaction (shown to them only)."""

    redact = BooleanField(
        _l("Hide the earlier versions from everyone but the board's moderators "
           "(personal data, for instance)")
    )  # fmt: skip
    reason = StringField(
        _l("Why (shown in the moderation log)"), validators=[Optional(), Length(max=500)]
    )


class ReplyForm(NewPostForm):
    """A reply, with the post it answers (the thread's first post when empty or unknown)."""

    reply_to = HiddenField()

    def answered_id(self) -> int | None:
        return as_id(self.reply_to.data)
