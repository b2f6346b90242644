"""What search needs from an engine: index, remove, search. Whoosh implements it today
(forum/search/whoosh_backend.py); a PostgreSQL full-text backend can implement the same."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Document:
    """One published post as the index sees it: ids to filter on, text to match."""

    post_id: int
    thread_id: int
    board_id: int
    section_id: int
    author_id: int
    group: str
    country: str
    title: str
    body: str
    author_name: str
    organisation: str
    created_at: datetime
    # One of the forum's language codes (zh_Hans, not zh-Hans); any other is analysed as
    # a text of unknown language.
    language: str


@dataclass(frozen=True)
class Query:
    text: str
    # Boards whose posts the reader may not see (usually few: the private ones).
    hidden_board_ids: Sequence[int] = ()
    # Consultations of those boards that the reader reads through another board.
    reachable_thread_ids: Sequence[int] = ()
    board_id: int | None = None
    # Consultations of other boards that the chosen board lists: in its facet too.
    listed_thread_ids: Sequence[int] = ()
    section_id: int | None = None
    group: str | None = None
    author_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    titles_only: bool = False
    newest_first: bool = False
    page: int = 1
    per_page: int = 20


@dataclass
class Results:
    post_ids: list[int]
    total: int
    # Set when there are more matches than were counted (`total` is then a lower bound).
    more_than_total: bool = False
    # Set when the query could not be parsed and was run as plain words instead.
    fell_back_to_words: bool = False
    terms: list[str] = field(default_factory=list)


class QuerySyntaxError(ValueError):
    """The engine could not understand the query."""


class Backend(Protocol):
    def index(self, documents: Iterable[Document]) -> None: ...

    def remove(self, post_ids: Iterable[int]) -> None: ...

    def search(self, query: Query) -> Results: ...

    def highlight(
        self, text: str, terms: list[str], *, language: str | None = None, length: int = 300
    ) -> str: ...

    def count(self) -> int: ...
