"""The admins' forms for site pages and site settings."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from forum.forms import ForumForm, options
from forum.site.models import DELETED_POSTS_LABELS, DeletedPosts


class PageForm(ForumForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        _l("Text"),
        description=_l("Markdown, as in posts: **bold**, *italic*, [link](https://…), lists."),
        validators=[DataRequired(), Length(max=60_000)],
    )


class DeletedPostsForm(ForumForm):
    policy = RadioField(
        _l("When people delete their account, their posts are"),
        choices=options((policy.value, label) for policy, label in DELETED_POSTS_LABELS.items()),
        default=DeletedPosts.CHOOSE.value,
    )
