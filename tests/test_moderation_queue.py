"""Pre-moderation: held posts, the queue, approving and rejecting, and who sees what."""

import threading
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import scoped_session, sessionmaker

from forum.accounts.models import StakeholderGroup, User
from forum.boards.models import Board, BoardRole, ModerationMode, Role
from forum.db import utcnow
from forum.extensions import db
from forum.moderation.models import LogAction, LogEntry
from forum.notices.models import Notice
from forum.posts.models import Post, PostStatus, Thread
from tests.helpers import board, post_form, text_of

C5 = "/b/c5-building-confidence-and-security"


def _moderate(code: str, mode: ModerationMode) -> None:
    board(code).moderation_mode = mode
    db.session.commit()


def _post_as(client, sign_in, user, url, data):
    sign_in(user)
    response = post_form(client, url, data)
    post_form(client, "/sign-out", {}, prefix="sign-out")
    return response


def _latest_post() -> Post:
    return db.session.scalars(select(Post).order_by(Post.id.desc())).first()


def test_held_thread_is_seen_only_by_author_and_coordinators(app, client, make_user, sign_in):
    _moderate("C5", ModerationMode.ALL)
    author = make_user(name="Held Author")
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    response = _post_as(
        client, sign_in, author, f"{C5}/new", {"title": "Held title", "body": "Held body"}
    )
    assert response.status_code == 302
    post = _latest_post()
    assert post.status == PostStatus.PENDING
    thread_url = f"/t/{post.thread_id}"

    for viewer in (None, make_user()):
        if viewer is not None:
            sign_in(viewer)
        assert "Held title" not in text_of(client.get(C5))
        assert "Held title" not in text_of(client.get("/"))
        assert client.get(thread_url).status_code in (302, 404)
        assert "Held body" not in text_of(client.get(f"/people/{author.id}"))
        post_form(client, "/sign-out", {}, prefix="sign-out") if viewer else None

    sign_in(author)
    own = text_of(client.get(thread_url))
    assert "Held body" in own
    assert "Awaiting moderation" in own
    post_form(client, "/sign-out", {}, prefix="sign-out")

    sign_in(coordinator)
    assert "Held body" in text_of(client.get(thread_url))
    assert "Held body" in text_of(client.get("/queue"))
    assert 'class="count">1<' in text_of(client.get("/"))
    db.session.expire_all()
    assert board("C5").post_count == 0
    assert board("C5").thread_count == 0


def test_approving_publishes_counts_and_tells_the_author(client, make_user, sign_in):
    _moderate("C5", ModerationMode.ALL)
    author = make_user()
    _post_as(client, sign_in, author, f"{C5}/new", {"title": "To approve", "body": "Body"})
    post = _latest_post()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    response = post_form(client, "/queue", {"action": "approve", "post": str(post.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert post.status == PostStatus.PUBLISHED
    assert board("C5").thread_count == 1
    assert board("C5").post_count == 1
    assert db.session.get(type(author), author.id).unread_notices == 1
    post_form(client, "/sign-out", {}, prefix="sign-out")
    assert "To approve" in text_of(client.get(C5))


def test_rejecting_needs_a_reason_and_tells_it(client, make_user, sign_in):
    _moderate("C5", ModerationMode.ALL)
    author = make_user()
    _post_as(client, sign_in, author, f"{C5}/new", {"title": "Off topic", "body": "Kept text"})
    post = _latest_post()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    no_reason = post_form(client, "/queue", {"action": "reject", "post": str(post.id)})
    assert "Say why" in text_of(client.get(no_reason.headers["Location"]))
    db.session.expire_all()
    assert post.status == PostStatus.PENDING
    post_form(
        client, "/queue", {"action": "reject", "post": str(post.id), "reason": "Belongs in C6"}
    )
    db.session.expire_all()
    assert post.status == PostStatus.REJECTED
    notice = db.session.scalars(select(Notice).where(Notice.user_id == author.id)).one()
    assert notice.params["reason"] == "Belongs in C6"
    post_form(client, "/sign-out", {}, prefix="sign-out")
    sign_in(author)
    page = text_of(client.get("/notices"))
    assert "was not accepted: <bdi>Belongs in C6</bdi>" in page
    own = text_of(client.get(f"/t/{post.thread_id}"))
    assert "Not accepted" in own
    assert "Kept text" in own


def test_coordinators_posts_are_never_held(client, make_user, sign_in):
    _moderate("C5", ModerationMode.ALL)
    _post_as(
        client,
        sign_in,
        make_user(roles={"C5": Role.COORDINATOR}),
        f"{C5}/new",
        {"title": "Agenda", "body": "Items"},
    )
    assert _latest_post().status == PostStatus.PUBLISHED


def test_new_members_mode_holds_first_posts_and_new_accounts(
    app, client, make_user, sign_in, make_thread
):
    _moderate("C5", ModerationMode.NEW_MEMBERS)
    thread = make_thread("C5", author=make_user(roles={"C5": Role.COORDINATOR}))
    veteran = make_user()
    veteran.created_at = utcnow() - timedelta(days=400)
    newcomer = make_user()
    db.session.commit()
    for _ in range(app.config["MODERATION_FIRST_POSTS"]):
        _post_as(client, sign_in, veteran, f"/t/{thread.id}/reply", {"body": "Early"})
        assert _latest_post().status == PostStatus.PENDING
        _latest_post().status = PostStatus.PUBLISHED
        db.session.commit()
    _post_as(client, sign_in, veteran, f"/t/{thread.id}/reply", {"body": "Known by now"})
    assert _latest_post().status == PostStatus.PUBLISHED
    _post_as(client, sign_in, newcomer, f"/t/{thread.id}/reply", {"body": "New account"})
    assert _latest_post().status == PostStatus.PENDING


def test_approve_and_trust_stops_holding_that_author(client, make_user, sign_in, make_thread):
    _moderate("C5", ModerationMode.ALL)
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    thread = make_thread("C5", author=coordinator)
    author = make_user()
    _post_as(client, sign_in, author, f"/t/{thread.id}/reply", {"body": "First"})
    sign_in(coordinator)
    post_form(client, "/queue", {"action": "approve_trust", "post": str(_latest_post().id)})
    post_form(client, "/sign-out", {}, prefix="sign-out")
    _post_as(client, sign_in, author, f"/t/{thread.id}/reply", {"body": "Second"})
    assert _latest_post().status == PostStatus.PUBLISHED
    actions = set(db.session.scalars(select(LogEntry.action)))
    assert {LogAction.APPROVE, LogAction.TRUST} <= actions


def test_bulk_act_checks_every_post(client, make_user, sign_in):
    _moderate("C5", ModerationMode.ALL)
    _moderate("C6", ModerationMode.ALL)
    author = make_user()
    _post_as(client, sign_in, author, f"{C5}/new", {"title": "In C5", "body": "x"})
    in_c5 = _latest_post()
    _post_as(
        client, sign_in, author, "/b/c6-enabling-environment/new", {"title": "In C6", "body": "y"}
    )
    in_c6 = _latest_post()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    response = client.post(
        "/queue",
        data={
            "csrf_token": _token(client),
            "action": "approve",
            "post": [str(in_c5.id), str(in_c6.id)],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert in_c5.status == PostStatus.PUBLISHED
    assert in_c6.status == PostStatus.PENDING, "a coordinator of C5 changes nothing in C6"
    assert "left as it was" in text_of(client.get("/queue"))


def _token(client) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client)


def test_second_moderator_gets_already_handled(client, make_user, sign_in):
    _moderate("C5", ModerationMode.ALL)
    _post_as(client, sign_in, make_user(), f"{C5}/new", {"title": "Twice", "body": "x"})
    post = _latest_post()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    post_form(client, "/queue", {"action": "approve", "post": str(post.id)})
    post_form(client, "/queue", {"action": "reject", "post": str(post.id), "reason": "late"})
    assert "already been handled" in text_of(client.get("/queue"))
    db.session.expire_all()
    assert post.status == PostStatus.PUBLISHED
    entries = db.session.scalar(select(func.count()).where(LogEntry.post_id == post.id))
    assert entries == 1


def test_concurrent_approve_and_reject_leave_one_outcome(app):
    """Two coordinators act on one held post at the same moment, each in its own
    connection and transaction: one act happens and is logged, the other is told."""
    from forum.moderation import services

    with app.app_context():
        engine = db.engine
    committed = sessionmaker(bind=engine)
    ids = _committed_held_post(committed)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)
    test_session = db.session
    db.session = scoped_session(committed, scopefunc=threading.get_ident)

    def act(index: int) -> None:
        with app.test_request_context(method="POST"):
            app.preprocess_request()
            barrier.wait(timeout=10)
            moderator = db.session.get(User, ids["coordinators"][index])
            post = db.session.get(Post, ids["post"])
            try:
                if index == 0:
                    services.approve_post(post, moderator)
                else:
                    services.reject_post(post, moderator, reason="Not for this board")
                db.session.commit()
                outcomes.append("done")
            except services.AlreadyHandled:
                db.session.rollback()
                outcomes.append("handled")
            finally:
                db.session.remove()

    try:
        workers = [threading.Thread(target=act, args=(index,)) for index in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        with committed() as session:
            entries = session.scalar(select(func.count()).where(LogEntry.post_id == ids["post"]))
            status = session.get(Post, ids["post"]).status
    finally:
        db.session = test_session
        _remove_committed(committed, ids)
    assert sorted(outcomes) == ["done", "handled"]
    assert entries == 1
    assert status in (PostStatus.PUBLISHED, PostStatus.REJECTED)


def _committed_held_post(committed: sessionmaker) -> dict:
    with committed() as session:
        c5 = session.scalars(select(Board).where(Board.code == "C5")).one()
        people = [
            User(
                email=f"concurrent{n}@example.org",
                display_name=f"Concurrent {n}",
                stakeholder_group=StakeholderGroup.INTERGOVERNMENTAL,
                email_verified_at=utcnow(),
            )
            for n in range(3)
        ]
        session.add_all(people)
        session.flush()
        for coordinator in people[:2]:
            session.add(BoardRole(board_id=c5.id, user_id=coordinator.id, role=Role.COORDINATOR))
        thread = Thread(board_id=c5.id, author_id=people[2].id, title="Concurrent")
        session.add(thread)
        session.flush()
        post = Post(
            thread_id=thread.id,
            author_id=people[2].id,
            body_source="x",
            body_html="<p>x</p>",
            status=PostStatus.PENDING,
        )
        session.add(post)
        session.flush()
        ids = {
            "post": post.id,
            "thread": thread.id,
            "board": c5.id,
            "users": [p.id for p in people],
            "coordinators": [p.id for p in people[:2]],
            "board_counts": (c5.thread_count, c5.post_count, c5.last_post_id, c5.last_activity_at),
        }
        session.commit()
    return ids


def _remove_committed(committed: sessionmaker, ids: dict) -> None:
    """Take away what the test committed (the log is append-only for the app, not for us)."""
    thread_count, post_count, last_post_id, last_activity_at = ids["board_counts"]
    with committed() as session:
        users = ids["users"]
        session.execute(
            update(Board)
            .where(Board.id == ids["board"])
            .values(
                thread_count=thread_count,
                post_count=post_count,
                last_post_id=last_post_id,
                last_activity_at=last_activity_at,
            )
        )
        session.execute(delete(LogEntry).where(LogEntry.post_id == ids["post"]))
        session.execute(delete(Notice).where(Notice.user_id.in_(users)))
        session.execute(
            update(Thread)
            .where(Thread.id == ids["thread"])
            .values(first_post_id=None, last_post_id=None)
        )
        session.execute(delete(Post).where(Post.id == ids["post"]))
        session.execute(delete(Thread).where(Thread.id == ids["thread"]))
        session.execute(delete(BoardRole).where(BoardRole.user_id.in_(users)))
        session.execute(delete(User).where(User.id.in_(users)))
        session.commit()
