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


# Tables that migrations make and no model maps: PostgreSQL's search documents (see
# forum/search/pg_backend.py), which exist on PostgreSQL only.
UNMAPPED_TABLES = frozenset({"search_documents"})


def include_object(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic's filter: what autogenerate and the schema test compare to the models."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return getattr(table, "name", name) not in UNMAPPED_TABLES
