"""What is new for a signed-in person, and the Latest page: threads and boards with posts
since their last visit are marked, a thread opens at its first unread post, positions move
only by a POST (or by posting), and Latest lists only boards the reader may read."""

import re

from sqlalchemy import func, select

from forum.boards.models import Role
from forum.extensions import db
from forum.posts import services as posting
from forum.posts.models import Post, Thread
from forum.reads.models import BoardRead, ThreadRead
from tests.helpers import board, post_form, text_of

C5 = "/b/c5-building-confidence-and-security"
NEW_TAG = re.compile(r'<a class="tag new" href="/t/(\d+)/unread">New</a>')


def _post_ids(thread) -> list[int]:
    return list(
        db.session.scalars(select(Post.id).where(Post.thread_id == thread.id).order_by(Post.id))
    )


def _marked(client, url: str) -> set[int]:
    return {int(found) for found in NEW_TAG.findall(text_of(client.get(url)))}


def _positions_of(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ThreadRead).where(ThreadRead.user_id == user.id)
    )


def _board_row(home: str) -> str:
    """The C5 row's first cell on the home page."""
    start = home.index('href="/b/c5-building-confidence-and-security"')
    return home[start : home.index("</th>", start)]


def _mark_read(client, thread, post_id):
    return post_form(client, f"/t/{thread.id}/read", {"up_to": str(post_id)}, prefix="read")


def test_threads_and_boards_with_posts_since_the_account_was_made_are_marked(
    client, make_user, make_thread, sign_in
):
    older = make_thread("C5", title="Before my time")
    reader = make_user()
    newer = make_thread("C5", title="Since I joined")
    elsewhere = make_thread("C1", title="On another board")
    sign_in(reader)
    assert _marked(client, C5) == {newer.id}
    assert _marked(client, "/latest") == {newer.id, elsewhere.id}
    assert '<span class="tag new">New</span>' in _board_row(text_of(client.get("/")))
    assert older.id not in _marked(client, "/latest")
    assert _marked(client.application.test_client(), C5) == set(), "not for anonymous readers"


def test_a_thread_opens_at_its_first_unread_post_and_mark_as_read_moves_on(
    app, client, make_user, make_thread, sign_in
):
    reader = make_user()
    thread = make_thread("C5", replies=4)
    ids = _post_ids(thread)
    sign_in(reader)
    app.config["POSTS_PER_PAGE"] = 2
    try:
        response = client.get(f"/t/{thread.id}/unread")
        assert response.headers["Location"].endswith(f"/t/{thread.id}#p{ids[0]}")
        page = text_of(client.get(f"/t/{thread.id}"))
        assert "Every post on this page is new to you." in page
        assert page.count("<mark>New</mark>") == 1, "said once, not on each post"
        assert f'name="read-up_to" type="hidden" value="{ids[1]}"' in page

        response = _mark_read(client, thread, ids[1])
        assert response.headers["Location"].endswith(f"/t/{thread.id}/unread")
        response = client.get(f"/t/{thread.id}/unread")
        assert response.headers["Location"].endswith(f"/t/{thread.id}?page=2#p{ids[2]}")
        assert thread.id in _marked(client, C5)

        response = _mark_read(client, thread, ids[4])
        assert response.headers["Location"].endswith(C5)
        assert thread.id not in _marked(client, C5)
        assert "Mark as read" not in text_of(client.get(f"/t/{thread.id}?page=3"))
        stored = db.session.scalar(select(ThreadRead.read_up_to))
        assert stored == db.session.get(Post, ids[4]).created_at

        _mark_read(client, thread, ids[0])
        assert db.session.scalar(select(ThreadRead.read_up_to)) == stored, "never backwards"
        with app.test_request_context():
            posting.reply(thread, make_user(), body="A later word")
            db.session.commit()
        assert thread.id in _marked(client, C5)
        response = client.get(f"/t/{thread.id}/unread")
        assert response.headers["Location"].endswith(f"?page=3#p{_post_ids(thread)[-1]}")
    finally:
        app.config["POSTS_PER_PAGE"] = 30


def test_writing_in_a_thread_marks_it_read_for_the_writer(client, make_user, make_thread, sign_in):
    reader = make_user()
    thread = make_thread("C5", replies=2)
    sign_in(reader)
    assert thread.id in _marked(client, C5)
    assert post_form(client, f"/t/{thread.id}/reply", {"body": "I agree"}).status_code == 302
    assert thread.id not in _marked(client, C5)
    assert "Mark as read" not in text_of(client.get(f"/t/{thread.id}"))


def test_mark_all_threads_of_a_board_read(client, make_user, make_thread, sign_in):
    reader = make_user()
    threads = [make_thread("C5", title=f"Thread {n}") for n in range(3)]
    sign_in(reader)
    assert _marked(client, C5) == {t.id for t in threads}
    response = post_form(client, f"{C5}/read", {}, prefix="read")
    assert response.status_code == 302
    assert _marked(client, C5) == set()
    assert db.session.scalar(select(BoardRead.board_id)) == board("C5").id
    assert "tag new" not in _board_row(text_of(client.get("/")))


def test_mark_as_read_takes_only_a_post_of_the_thread_the_reader_sees(
    client, make_user, make_thread, sign_in
):
    reader = make_user()
    thread = make_thread("C5", replies=1)
    other = make_thread("C5", title="Another")
    sign_in(reader)
    for named in (str(other.first_post_id), "nonsense", "-1", ""):
        assert _mark_read(client, thread, named).status_code == 302
    response = client.post(f"/t/{thread.id}/read", data={"read-up_to": str(thread.last_post_id)})
    assert response.status_code in (302, 400)
    assert _positions_of(reader) == 0


def test_opening_pages_records_no_reading_position(client, make_user, make_thread, sign_in):
    reader = make_user()
    sign_in(reader)
    thread = make_thread("C5", replies=3)
    for url in (f"/t/{thread.id}", f"/t/{thread.id}/unread", C5, "/latest", "/"):
        assert client.get(url).status_code in (200, 302)
        assert client.head(url).status_code in (200, 302)
    assert _positions_of(reader) == 0


def test_latest_lists_every_readable_board_and_never_a_private_one(
    app, client, make_user, make_thread, sign_in
):
    public = make_thread("C5", title="Open question")
    other = make_thread("C1", title="Policy matters")
    team = make_user(roles={"COORD": Role.MEMBER})
    private = make_thread("COORD", author=team, title="Coordinators only")
    with app.test_request_context():
        posting.reply(public, make_user(), body="Latest activity here")
        db.session.commit()
    anonymous = client.application.test_client()
    page = text_of(anonymous.get("/latest"))
    assert "Open question" in page
    assert "Policy matters" in page
    assert "Coordinators only" not in page
    assert page.index("Open question") < page.index("Policy matters"), "most active first"
    newest = text_of(anonymous.get("/latest?order=new"))
    assert newest.index("Policy matters") < newest.index("Open question"), "newest first"
    assert re.findall(r"<time [^>]+>[^<]+ UTC</time>", page), "times say their zone"
    assert 'href="/latest">Latest</a>' in text_of(anonymous.get("/"))

    member = make_user(roles={"COORD": Role.MEMBER})
    with app.test_request_context():
        posting.reply(private, team, body="For the team")
        db.session.commit()
    sign_in(member)
    assert "Coordinators only" in text_of(client.get("/latest"))
    assert private.id in _marked(client, "/latest")
    assert {public.id, other.id}.isdisjoint(_marked(client, "/latest")), "from before they came"


def test_latest_is_paginated(app, client, make_thread):
    app.config["THREADS_PER_PAGE"] = 2
    try:
        for number in range(3):
            make_thread("C5", title=f"Numbered {number}")
        first = text_of(client.get("/latest"))
        second = text_of(client.get("/latest?page=2"))
    finally:
        app.config["THREADS_PER_PAGE"] = 30
    assert "Numbered 2" in first
    assert "Numbered 1" in first
    assert "Numbered 0" not in first
    assert "Numbered 0" in second
    assert 'rel="next" href="/latest?page=2"' in first


def test_a_page_the_browser_kept_is_sent_again_once_its_new_marks_have_moved(
    client, make_user, make_thread, sign_in
):
    reader = make_user()
    thread = make_thread("C5", replies=1)
    sign_in(reader)
    kept = client.get(C5)
    assert thread.id in {int(found) for found in NEW_TAG.findall(text_of(kept))}
    _mark_read(client, thread, _post_ids(thread)[-1])
    client.get(f"/t/{thread.id}/unread")

    again = client.get(C5, headers={"If-None-Match": kept.headers["ETag"]})
    assert again.status_code == 200, "the kept page still marks the thread as new"
    assert thread.id not in {int(found) for found in NEW_TAG.findall(text_of(again))}


def test_only_the_new_posts_are_marked_once_some_are_read(
    app, client, make_user, make_thread, sign_in
):
    reader = make_user()
    thread = make_thread("C5", replies=3)
    ids = _post_ids(thread)
    sign_in(reader)
    _mark_read(client, thread, ids[1])
    page = text_of(client.get(f"/t/{thread.id}"))
    assert "Every post on this page is new to you." not in page
    headings = {
        post_id: page.split(f'<article id="p{post_id}">')[1].split("</h2>")[0] for post_id in ids
    }
    assert [post_id for post_id, heading in headings.items() if "<mark>" in heading] == ids[2:]


def test_home_marks_a_board_new_while_one_of_its_threads_has_posts_past_the_marks(
    app, client, make_user, make_thread, sign_in
):
    reader = make_user()
    pinned = make_thread("C5", title="Pinned notice")
    make_thread("C5", title="Another thread")
    with app.test_request_context():
        db.session.get(Thread, pinned.id).is_pinned = True
        db.session.commit()
    sign_in(reader)
    assert "tag new" in _board_row(text_of(client.get("/")))
    post_form(client, f"{C5}/read", {}, prefix="read")
    assert "tag new" not in _board_row(text_of(client.get("/")))
    with app.test_request_context():
        posting.reply(db.session.get(Thread, pinned.id), make_user(), body="News")
        db.session.commit()
    assert "tag new" in _board_row(text_of(client.get("/"))), "a reply on a pinned thread"
    _mark_read(client, pinned, _post_ids(pinned)[-1])
    assert "tag new" not in _board_row(text_of(client.get("/"))), "read up to it"
