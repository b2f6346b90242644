"""The index queue: posts whose entry in the search index must be brought up to date.

Rows are written in the same transaction as the change that needs them, so a crash
or a busy index never loses an update; whoever drains the queue looks at the post as
it is then and indexes or removes it.
"""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import utcnow
from forum.extensions import db


class IndexQueueItem(db.Model):
    __tablename__ = "search_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
