"""Forms for writing threads and posts; limits come from the configuration."""

import re
import secrets

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from forum.pagination import as_id


class _MaxLength:
    """Length limit read from config at validation time, with a message giving the numbers."""

    def __init__(self, setting: str) -> None:
        self.setting = setting

    def __call__(self, form: FlaskForm, field: StringField) -> None:
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


class PostForm(FlaskForm):
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(_l("Write a message.")), _MaxLength("BODY_MAX_LENGTH")],
        description=_l("Markdown: **bold**, *italic*, [link](https://…), lists, > quotes, `code`."),
    )


_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_submission_token() -> str:
    return secrets.token_urlsafe(24)


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


class ReplyForm(NewPostForm):
    """A reply, with the post it answers (the thread's first post when empty or unknown)."""

    reply_to = HiddenField()

    def answered_id(self) -> int | None:
        return as_id(self.reply_to.data)
