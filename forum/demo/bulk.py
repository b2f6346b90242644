"""A large data set built fast with bulk inserts, for benchmarks.

Bodies are plain words in paragraphs, so their sanitised HTML is built directly in the
exact form `render_markdown` gives (checked on a sample before inserting)."""

import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, text, update

from forum.accounts.models import StakeholderGroup, User
from forum.boards.models import Board, PostPolicy
from forum.db import utcnow
from forum.demo.bulk_stocktaking import insert_entries
from forum.demo.vocabulary import LANGUAGE_SHARES, SYLLABLES, VOCABULARIES
from forum.extensions import db
from forum.markup import render_markdown
from forum.posts.models import Post, PostSource, PostStatus, Thread

CHUNK = 20_000
SPAN = timedelta(days=3 * 365)

FIRST_NAMES = (
    "Amina Ana Chen David Elena Fatima Gabriel Hana Ibrahim Jun Kofi Laila Marta Nadia "
    "Olu Pablo Qiu Rosa Samir Tanvi Uma Viktor Wei Yara Zainab Aleksei Bich Chidi Dana"
).split()
LAST_NAMES = (
    "Abebe Banda Castro Dubois Essien Farah García Haddad Ivanova Jensen Kim Lopez Moreau "
    "Nguyen Okafor Petrov Quispe Rahman Santos Tanaka Umarov Vargas Wang Yilmaz Zulu"
).split()
COUNTRIES = "AR BD BR CA CH CN DE EG ET FR GH ID IN JP KE MA MX NG PE PH RU SN TN UA US ZA".split()
# The English words about the information society (benchmarks' queries draw on them).
VOCABULARY = VOCABULARIES["en"].split()


@dataclass
class BulkFigures:
    users: int
    threads: int
    posts: int
    seconds: float

    def summary(self) -> str:
        return json.dumps(asdict(self))


def _lexicon(language: str, size: int = 4000) -> tuple[list[str], list[float]]:
    """Words with the frequencies of real text (Zipf's law): the language's own words
    among the common ones, then made-up words in its script down to rare ones, so that
    searches meet common, middling and rare words as they would in a real archive."""
    syllables = SYLLABLES[language].split()
    vocabulary = VOCABULARIES[language].split()
    if language == "zh_Hans":
        # Chinese rare words as two of its words: made-up ideographs would be read one by
        # one, as no real text is.
        made_up = [a + b for a in vocabulary for b in vocabulary if a != b]
    else:
        made_up = [a + b + c for a in syllables for b in syllables for c in syllables if a != b]
    invented = [word for word in dict.fromkeys(made_up) if word not in vocabulary]
    invented = invented[: size - len(vocabulary)]
    words = invented[:20] + vocabulary + invented[20:]
    cumulative, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1 / rank**1.07
        cumulative.append(total)
    return words, cumulative


LEXICONS = {language: _lexicon(language) for language in LANGUAGE_SHARES}
WORDS, CUMULATIVE = LEXICONS["en"]


def words_of(language: str, rng: random.Random, count: int) -> str:
    """`count` words of the language, as it writes them (Chinese without spaces)."""
    words, cumulative = LEXICONS[language]
    separator = "" if language == "zh_Hans" else " "
    return separator.join(rng.choices(words, cum_weights=cumulative, k=count))


def _body(rng: random.Random, language: str = "en") -> tuple[str, str]:
    stop = "。" if language == "zh_Hans" else "."
    paragraphs = [
        words_of(language, rng, rng.randint(12, 60)).capitalize() + stop
        for _ in range(rng.randint(1, 4))
    ]
    source = "\n\n".join(paragraphs)
    html = "".join(f"<p>{paragraph}</p>\n" for paragraph in paragraphs)
    return source, html


def _check_bodies(rng: random.Random) -> None:
    for number in range(24):
        source, html = _body(rng, list(LANGUAGE_SHARES)[number % len(LANGUAGE_SHARES)])
        if render_markdown(source) != html:
            raise RuntimeError("bulk bodies no longer match render_markdown")


def _next_id(model: type) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _insert(model: type, rows: list[dict], progress: Callable[[str], None], label: str) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start : start + CHUNK])
        progress(f"{label}: {min(start + CHUNK, len(rows))}/{len(rows)}")


def build(
    *,
    users: int,
    threads: int,
    posts: int,
    seed: int,
    progress: Callable[[str], None],
    board_code: str | None = None,
    posts_per_thread: int | None = None,
) -> BulkFigures:
    """Users, threads and posts spread over the boards open to verified members (or all in
    the board `board_code`); with `posts_per_thread`, every thread that long."""
    started = time.perf_counter()
    rng = random.Random(seed)
    _check_bodies(rng)
    posts = threads * posts_per_thread if posts_per_thread else max(posts, threads)
    chosen = Board.code == board_code if board_code else Board.post_policy == PostPolicy.VERIFIED
    boards = list(db.session.scalars(select(Board).where(chosen)))
    if not boards:
        raise RuntimeError("Load the boards first: flask forum load-boards")
    now = utcnow()

    user_ids = _insert_users(users, rng, now, progress)
    thread_rows, post_rows, thread_ends = _plan_threads_and_posts(
        threads, posts, boards, user_ids, rng, now, even=bool(posts_per_thread)
    )
    _insert(Thread, thread_rows, progress, "threads")
    _insert(Post, post_rows, progress, "posts")
    db.session.execute(update(Thread), thread_ends)
    insert_entries(max(1, threads // 10), user_ids, rng, now, SPAN, progress)
    _log_publications()
    _recount(now)
    _sync_sequences()
    db.session.flush()
    return BulkFigures(users, threads, posts, round(time.perf_counter() - started, 1))


def _insert_users(count: int, rng: random.Random, now: datetime, progress: Callable) -> list[int]:
    first_id = _next_id(User)
    groups = list(StakeholderGroup)
    rows = []
    for offset in range(count):
        user_id = first_id + offset
        group = groups[offset % len(groups)]
        rows.append(
            {
                "id": user_id,
                "email": f"person{user_id}@bulk.example.org",
                "stored_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "password_hash": None,
                "stakeholder_group": group,
                "organisation": f"Organisation {rng.randint(1, 500)}",
                "country": rng.choice(COUNTRIES),
                "accredited": group == StakeholderGroup.CIVIL_SOCIETY,
                "email_verified_at": now,
                "is_admin": False,
                "is_suspended": False,
                "locale": "en",
                "timezone": "UTC",
                "created_at": now - SPAN - timedelta(days=1),
                "post_count": 0,
            }
        )
    _insert(User, rows, progress, "users")
    return [row["id"] for row in rows]


def _plan_threads_and_posts(
    threads: int,
    posts: int,
    boards: list[Board],
    user_ids: list[int],
    rng: random.Random,
    now: datetime,
    *,
    even: bool = False,
) -> tuple[list[dict], list[dict], list[dict]]:
    """Rows for threads and posts, and each thread's first and last post ids to set after.
    Threads are as long as each other (`even`), or of random lengths but the first."""
    counts = [posts // threads] * threads
    if not even:
        counts = [1] * threads
        extra = posts - threads
        counts[0] += min(299, extra)  # one long thread, for the thread-page benchmark
        for _ in range(extra - min(299, extra)):
            counts[rng.randrange(threads)] += 1
    thread_id, post_id = _next_id(Thread), _next_id(Post)
    thread_rows, post_rows, thread_ends = [], [], []
    languages = rng.choices(list(LANGUAGE_SHARES), weights=LANGUAGE_SHARES.values(), k=threads)
    for count, language in zip(counts, languages, strict=True):
        start = now - SPAN + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        times = sorted(
            min(now, start + timedelta(seconds=rng.randrange(30 * 24 * 3600)))
            for _ in range(count - 1)
        )
        times.insert(0, start)
        first_post_id = post_id
        for when in times:
            source, html = _body(rng, language)
            post_rows.append(
                {
                    "id": post_id,
                    "thread_id": thread_id,
                    "author_id": rng.choice(user_ids),
                    "body_source": source,
                    "body_html": html,
                    "created_at": when,
                    "edited_at": None,
                    "edited_by_id": None,
                    "status": PostStatus.PUBLISHED,
                    "source": PostSource.WEB,
                    "revision_count": 0,
                    "language": language,
                }
            )
            post_id += 1
        thread_rows.append(
            {
                "id": thread_id,
                "board_id": rng.choice(boards).id,
                "author_id": post_rows[-count]["author_id"],
                "title": words_of(language, rng, rng.randint(3, 9)).capitalize(),
                "created_at": start,
                "last_activity_at": times[-1],
                "changed_at": times[-1],
                "post_count": count,
                "is_pinned": False,
                "is_locked": False,
                "first_post_id": None,
                "last_post_id": None,
            }
        )
        thread_ends.append(
            {"id": thread_id, "first_post_id": first_post_id, "last_post_id": post_id - 1}
        )
        thread_id += 1
    return thread_rows, post_rows, thread_ends


def _recount(now: datetime) -> None:
    """Counters and last posts of boards and people, from what the tables now hold."""
    db.session.execute(
        text(
            """
            UPDATE boards SET
              changed_at = :now,
              thread_count = (SELECT count(*) FROM threads t WHERE t.board_id = boards.id
                              AND t.post_count > 0),
              post_count = (SELECT coalesce(sum(t.post_count), 0) FROM threads t
                            WHERE t.board_id = boards.id),
              last_activity_at = (SELECT max(t.last_activity_at) FROM threads t
                                  WHERE t.board_id = boards.id),
              last_post_id = (SELECT t.last_post_id FROM threads t WHERE t.board_id = boards.id
                              ORDER BY t.last_activity_at DESC, t.id DESC LIMIT 1)
            """
        ),
        {"now": now},
    )
    db.session.execute(
        text(
            "UPDATE users SET post_count = (SELECT count(*) FROM posts p "
            "WHERE p.author_id = users.id AND p.status = 'published')"
        )
    )


def _log_publications() -> None:
    """The publication log, as if each post had been published when it was written."""
    db.session.execute(
        text(
            "INSERT INTO publications (post_id, published_at) SELECT p.id, p.created_at "
            "FROM posts p WHERE p.status = 'published' "
            "AND NOT EXISTS (SELECT 1 FROM publications x WHERE x.post_id = p.id) "
            "ORDER BY p.created_at, p.id"
        )
    )


def _sync_sequences() -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("users", "threads", "posts", "publications", "stocktaking_entries",
                  "stocktaking_revisions"):  # fmt: skip
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )
