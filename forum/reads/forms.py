"""The "mark as read" buttons."""

from wtforms import HiddenField

from forum.accounts.forms import ActionForm
from forum.pagination import as_id


class ReadForm(ActionForm):
    """Mark a thread read up to the last post of the page it is on."""

    up_to = HiddenField()

    def post_id(self) -> int | None:
        return as_id(self.up_to.data)
