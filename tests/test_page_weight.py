"""A thread page stays light (README, "Light on the wire"): the markup around each post,
for the person who sees the most of it (a coordinator of the board, with every post new
to them), stays within a few hundred bytes, so that a 30-post page of 650 characters a
post stays within 40 KB of HTML and CSS (`make bench-weight` measures the page itself)."""

import re

from forum.boards.models import Role
from forum.extensions import db
from forum.posts import services as posting
from tests.helpers import board, text_of

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
