"""The fields of the Whoosh index, its version, and a post's document as those fields."""

from datetime import UTC, date, datetime, timedelta

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, Schema

from forum.search.backend import Document
from forum.search.whoosh_weighting import QUERY_WORDS, ImpactText


def schema(common: frozenset[str] = frozenset()) -> Schema:
    return Schema(
        post_id=ID(stored=True, unique=True),
        thread_id=ID,
        board_id=ID,
        section_id=ID,
        author_id=ID,
        group=ID,
        country=ID,
        # Microseconds since 1970, for sorting only: a column, no terms to index.
        created=COLUMN(NumericColumn("q")),
        # The post's year, month and day (UTC), for date filters: a range of dates is
        # read as whole years, whole months and the days left at either end. (Whoosh's
        # numeric ranges, split the same way by bits, missed or added days in a third
        # of the ranges tried; one term a day cost 0.2 s for six months.)
        year=ID,
        month=ID,
        day=ID,
        # Everything a search reads (title, body, author's name and organisation) in one
        # field: a word is one posting list to intersect, not three to merge for each.
        # Every language's terms share it (see `forum.search.analysis`): a word's
        # analyses in the languages a query may be in are then a few terms of one field.
        content=ImpactText(common, analyzer=QUERY_WORDS),
        title=ImpactText(common, analyzer=QUERY_WORDS),
    )


# For an index's first, empty version (no common words yet: the first rebuild finds
# them).
SCHEMA = schema()
# What a query may name (`title:word`): the text fields only, so that `board_id:2` or
# `created:5` are read as words, never as filters around the reader's permissions.
QUERY_SCHEMA = Schema(content=SCHEMA["content"], title=SCHEMA["title"])

TEXT_FIELDS = ["content", "title"]
# Changes with the schema or the weights: an index built under another version must be
# rebuilt. Written into the index's folder.
SCHEMA_VERSION = 8
VERSION_FILE = "forum-schema-version"

EPOCH = date(1970, 1, 1)
_EPOCH_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)


def document_fields(document: Document) -> dict:
    created = document.created_at.astimezone(UTC) - _EPOCH_MOMENT
    return {
        "post_id": str(document.post_id),
        "thread_id": str(document.thread_id),
        "board_id": str(document.board_id),
        "section_id": str(document.section_id),
        "author_id": str(document.author_id),
        "group": document.group,
        "country": document.country or "",
        "created": created // timedelta(microseconds=1),
        **date_fields(utc_date(document.created_at)),
        # Text with its language, which `ImpactPositions` analyses it in.
        "content": (
            document.language,
            " ".join([document.title, document.body, document.author_name, document.organisation]),
        ),
        "title": (document.language, document.title),
    }


def utc_date(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def date_fields(day: date) -> dict[str, str]:
    return {"year": f"{day:%Y}", "month": f"{day:%Y-%m}", "day": day.isoformat()}
