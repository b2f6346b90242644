"""A thread page stays light (README, "Light on the wire"): the markup around each post,
for the person who sees the most of it (a coordinator of the board, with every post new
to them), stays within a few hundred bytes, so that a 30-post page of 650 characters a
post stays within 40 KB of HTML and CSS (`make bench-weight` measures the page itself)."""

import random
import re
from datetime import UTC, datetime

from sqlalchemy import select, update

from forum.boards.models import BoardRole, Role
from forum.extensions import db
from forum.posts import services as posting
from forum.posts.models import Post
from tests.helpers import board, signed_in, text_of

# Bytes of markup around one post's text: its number, author (name, group, organisation,
# country), time, and the links to act on it.
MARKUP_PER_POST = 360
_ARTICLE = re.compile(r"<article.*?</article>", re.DOTALL)
_TEXT = re.compile(r'<div dir="auto"[^>]*><p>(.*?)</p></div>', re.DOTALL)


def test_each_post_carries_little_markup(app, client, sign_in, make_user):
    author = make_user(name="Amina Diallo")
    author.organisation = "Réseau Africain pour le Développement"
    coordinator = make_user(name="Kwame Mensah", roles={"C5": Role.COORDINATOR})
    body = ("Capacity building remains the first need in least developed countries. " * 9)[:650]
    with app.test_request_context():
        thread = posting.create_thread(board("C5"), author, title="Checklists", body=body)
        for _number in range(9):
            posting.reply(thread, author, body=body)
        db.session.commit()
    sign_in(coordinator)
    page = text_of(client.get(f"/t/{thread.id}"))
    articles = _ARTICLE.findall(page)
    assert len(articles) == 10
    for article in articles:
        for part in ("Reply</a>", "Moderate</a>", "Civil society"):
            assert part in article
        text = _TEXT.search(article).group(1)
        markup = len(article.encode()) - len(text.encode())
        assert markup <= MARKUP_PER_POST, f"{markup} bytes of markup: {article.replace(text, '…')}"


# The page weight goal of a 30-post thread page of 650 characters a post, HTML and CSS
# as sent uncompressed (`make bench-weight` measures it on a fresh forum).
GOAL_RAW = 40_000


def _as_on_a_fresh_forum(page: str, ids: dict[str, list[int]]) -> str:
    """The page with the ids of its posts, people and thread numbered from 1, as on the
    benchmark's fresh forum (a shared test database numbers them on)."""
    patterns = {
        "post": (r'(/p/|id="p|#p|name="read-up_to" type="hidden" value=")(\d+)'),
        "user": r"(/people/)(\d+)",
        "thread": r"(/t/)(\d+)",
    }
    for kind, pattern in patterns.items():
        rank = {str(found): str(number) for number, found in enumerate(ids[kind], 1)}
        page = re.sub(
            pattern,
            lambda match, rank=rank: match.group(1) + rank.get(match.group(2), match.group(2)),
            page,
        )
    return page


def test_a_30_post_thread_page_stays_within_40_kb_for_members_and_coordinators(app, make_user):
    """The page of the benchmark (`tests/bench/weight.py`): the demo's people writing,
    a member and the board's coordinator reading, every post new to them."""
    from forum.demo.content import PEOPLE
    from tests.bench.weight import POST_LENGTH, _text

    people = []
    for name, group, organisation, country in PEOPLE:
        person = make_user(name=name, group=group)
        person.organisation, person.country = organisation, country
        people.append(person)
    member = make_user(name="Nadia Rahman")
    member.organisation = ""
    member.country = None
    coordinator = people[10]
    db.session.add(BoardRole(board=board("C5"), user=coordinator, role=Role.COORDINATOR))
    db.session.commit()
    rng = random.Random(15)
    with app.test_request_context():
        thread = posting.create_thread(
            board("C5"), people[0], title="Incident response checklists for national teams",
            body=_text(rng), language="en",
        )  # fmt: skip
        for number in range(29):
            posting.reply(thread, people[number % len(people)], body=_text(rng), language="en")
        db.session.commit()
    written = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    db.session.execute(update(Post).where(Post.thread_id == thread.id).values(created_at=written))
    db.session.commit()
    posts = db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.id))
    assert {len(post.body_source) for post in posts} <= set(
        range(POST_LENGTH - 30, POST_LENGTH + 1)
    )
    ids = {
        "post": list(db.session.scalars(select(Post.id).order_by(Post.id))),
        "user": [person.id for person in [*people, member]],
        "thread": [thread.id],
    }
    for reader in (member, coordinator):
        client = signed_in(app, reader)
        page = text_of(client.get(f"/t/{thread.id}"))
        stylesheet = re.search(r'rel="stylesheet" href="([^"]+)"', page).group(1)
        css = client.get(stylesheet).get_data()
        weight = len(_as_on_a_fresh_forum(page, ids).encode()) + len(css)
        assert page.count("<article") == 30
        assert weight <= GOAL_RAW, f"{reader.display_name}: {weight} bytes"
