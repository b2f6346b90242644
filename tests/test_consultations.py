"""Consultations: one thread listed on several boards, who reads, posts in and moderates
it (a table), the requests that list it and their log, its place on each board's pages,
its mail (once to each person), its closing by the worker and its summary."""

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from forum.accounts.models import User
from forum.boards.models import Board, Role
from forum.consultations import services
from forum.consultations.models import Consultation, ConsultationListing, ListingState
from forum.db import utcnow
from forum.extensions import db
from forum.moderation import services as moderation
from forum.moderation.models import LogAction, LogEntry
from forum.notices.models import Notice
from forum.permissions import Action, can
from forum.posts import services as posting
from forum.posts.models import Post, Thread
from forum.worker.runner import Worker
from tests.helpers import PASSWORD, board, post_form, text_of


def client_of(app: Flask, user: User) -> FlaskClient:
    """A client of its own, signed in as this person."""
    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def open_consultation(
    app: Flask,
    opener: User,
    home: str = "C5",
    others: tuple[str, ...] = (),
    *,
    title: str = "Affordable access",
    question: str = "What would make access affordable?",
    closes_in: timedelta = timedelta(days=14),
) -> Thread:
    with app.test_request_context():
        consultation = services.open_consultation(
            board(home),
            opener,
            title=title,
            question=question,
            body="Tell us what you see where you work.",
            closes_at=utcnow() + closes_in,
            other_boards=[board(code) for code in others],
        )
        db.session.commit()
        return consultation.thread


def listing(thread: Thread, code: str) -> ConsultationListing:
    return db.session.scalars(
        select(ConsultationListing).where(
            ConsultationListing.thread_id == thread.id,
            ConsultationListing.board_id == board(code).id,
        )
    ).one()


def decide(app: Flask, thread: Thread, code: str, who: User, *, accept: bool = True) -> None:
    with app.test_request_context():
        services.decide_listing(listing(thread, code), who, accept=accept)
        db.session.commit()


def close_now(app: Flask, thread: Thread) -> None:
    """Move the closing date into the past and let a worker round close it."""
    consultation = db.session.scalars(
        select(Consultation).where(Consultation.thread_id == thread.id)
    ).one()
    consultation.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    Worker(app, idle_seconds=0.01).step()
    db.session.expire_all()


# Who may do what: a table -------------------------------------------------------------

PEOPLE = {
    "anonymous": None,
    "outsider": {},
    "coord member": {"roles": {"COORD": Role.MEMBER}},
    "coord coordinator": {"roles": {"COORD": Role.COORDINATOR}},
    "c5 coordinator": {"roles": {"C5": Role.COORDINATOR}},
    "banned on c5": {"roles": {"C5": Role.BANNED}},
    "admin": {"admin": True},
}

# (its own board, the boards asked, those that accept): C5 is public and takes posts
# from any confirmed account, COORD is read and written by its members alone.
SETUPS = {
    "on a public board": ("C5", (), ()),
    "public, listed on a members-only board": ("C5", ("COORD",), ("COORD",)),
    "members-only, listed on a public board": ("COORD", ("C5",), ("C5",)),
    "members-only, the public board declined": ("COORD", ("C5",), ()),
}

EVERYONE = set(PEOPLE)
SIGNED_IN = EVERYONE - {"anonymous"}
COORD_TEAM = {"coord member", "coord coordinator", "admin"}

# What each may do in each setup while the consultation is open, and once it is closed.
READ = {
    "on a public board": EVERYONE,
    "public, listed on a members-only board": EVERYONE,
    "members-only, listed on a public board": EVERYONE,
    "members-only, the public board declined": COORD_TEAM,
}
REPLY_OPEN = {
    "on a public board": SIGNED_IN - {"banned on c5"},
    "public, listed on a members-only board": SIGNED_IN - {"banned on c5"},
    "members-only, listed on a public board": SIGNED_IN - {"banned on c5"},
    "members-only, the public board declined": COORD_TEAM,
}
MODERATE = {
    "on a public board": {"c5 coordinator", "admin"},
    "public, listed on a members-only board": {"c5 coordinator", "coord coordinator", "admin"},
    "members-only, listed on a public board": {"c5 coordinator", "coord coordinator", "admin"},
    "members-only, the public board declined": {"coord coordinator", "admin"},
}


@pytest.mark.parametrize("setup", SETUPS)
@pytest.mark.parametrize("state", ["open", "closed"])
def test_who_reads_posts_in_and_moderates_a_consultation(app, make_user, setup, state):
    home, asked, accepted = SETUPS[setup]
    # The opener reads every board asked (one may not ask a board one cannot read).
    opener = make_user(roles={**dict.fromkeys(asked, Role.MEMBER), home: Role.COORDINATOR})
    thread = open_consultation(app, opener, home, asked)
    deciders = {code: make_user(roles={code: Role.COORDINATOR}) for code in asked}
    for code in asked:
        decide(app, thread, code, deciders[code], accept=code in accepted)
    if state == "closed":
        close_now(app, thread)
    people = {
        name: make_user(**options) if options is not None else None
        for name, options in PEOPLE.items()
    }
    from flask_login import AnonymousUserMixin

    thread = db.session.get(Thread, thread.id)
    answers = {"read": set(), "reply": set(), "moderate": set()}
    for name, person in people.items():
        viewer = person or AnonymousUserMixin()
        if can(viewer, Action.READ_THREAD, thread):
            answers["read"].add(name)
        if can(viewer, Action.REPLY, thread):
            answers["reply"].add(name)
        if can(viewer, Action.MODERATE_THREAD, thread):
            answers["moderate"].add(name)
    reply = REPLY_OPEN[setup] if state == "open" else MODERATE[setup]
    assert answers == {"read": READ[setup], "reply": reply, "moderate": MODERATE[setup]}


def test_a_listed_board_coordinator_moderates_on_the_web(app, client, make_user, sign_in):
    opener = make_user(roles={"C5": Role.COORDINATOR})
    thread = open_consultation(app, opener, "C5", ("C3",))
    c3 = make_user(roles={"C3": Role.COORDINATOR})
    sign_in(c3)
    assert client.get(f"/t/{thread.id}/moderate").status_code == 403, "not listed yet"
    decide(app, thread, "C3", c3)
    assert client.get(f"/t/{thread.id}/moderate").status_code == 200
    assert "Moderate this thread" in text_of(client.get(f"/t/{thread.id}"))


# Opening and listing ----------------------------------------------------------------


def _form(**changes: object) -> dict:
    data = {
        "title": "Affordable access for all",
        "question": "What would make broadband affordable where you work?",
        "body": "Our teams of C2 and C3 ask the same question.",
        "language": "en",
        "closes_on": (utcnow() + timedelta(days=30)).date().isoformat(),
    }
    return {**data, **changes}


def test_opening_refuses_a_past_date_and_keeps_the_text(app, client, make_user, sign_in):
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    slug = board("C5").slug
    yesterday = (utcnow() - timedelta(days=2)).date().isoformat()
    response = post_form(client, f"/b/{slug}/consultations/new", _form(closes_on=yesterday))
    page = text_of(response)
    assert response.status_code == 400
    assert "The closing date has passed: choose one in the future." in page
    assert "What would make broadband affordable where you work?" in page
    assert db.session.scalar(select(func.count()).select_from(Consultation)) == 0
    far = (utcnow() + timedelta(days=800)).date().isoformat()
    response = post_form(client, f"/b/{slug}/consultations/new", _form(closes_on=far))
    assert "A consultation closes within a year" in text_of(response)
    response = post_form(client, f"/b/{slug}/consultations/new", _form(closes_on="31/12/2027"))
    assert response.status_code == 400
    assert "Give the closing date, as year-month-day." in text_of(response)
    assert "Our teams of C2 and C3 ask the same question." in text_of(response)


def test_a_board_the_person_cannot_see_is_refused_without_naming_it(
    app, client, make_user, sign_in
):
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    slug = board("C5").slug
    form_page = text_of(client.get(f"/b/{slug}/consultations/new"))
    assert "Open a consultation" in text_of(client.get(f"/b/{slug}"))
    assert board("C3").label in form_page
    assert board("COORD").label not in form_page
    data = _form(other_boards=[str(board("COORD").id)])
    response = post_form(client, f"/b/{slug}/consultations/new", data)
    page = text_of(response)
    assert response.status_code == 400
    assert "There is no such board: choose among those listed." in page
    assert board("COORD").label not in page
    assert "Affordable access for all" in page
    unknown = post_form(client, f"/b/{slug}/consultations/new", _form(other_boards=["99999"]))
    assert "There is no such board: choose among those listed." in text_of(unknown)
    assert db.session.scalar(select(func.count()).select_from(Consultation)) == 0


def test_only_coordinators_open_consultations(client, make_user, sign_in):
    sign_in(make_user(roles={"C5": Role.MEMBER}))
    slug = board("C5").slug
    assert client.get(f"/b/{slug}/consultations/new").status_code == 403
    assert "Open a consultation" not in text_of(client.get(f"/b/{slug}"))


def test_a_request_is_accepted_on_the_web_logged_on_both_boards_and_told(
    app, client, make_user, sign_in
):
    opener = make_user(roles={"C5": Role.COORDINATOR, "C2": Role.COORDINATOR})
    sign_in(opener)
    data = _form(other_boards=[str(board("C3").id), str(board("C2").id)])
    response = post_form(client, f"/b/{board('C5').slug}/consultations/new", data)
    assert response.status_code == 302, text_of(response)
    thread = db.session.scalars(select(Thread).where(Thread.is_consultation)).one()
    assert listing(thread, "C2").state == ListingState.ACCEPTED, "the opener coordinates C2"
    assert listing(thread, "C3").state == ListingState.REQUESTED
    c3_first, c3_second = (make_user(roles={"C3": Role.COORDINATOR}) for _ in range(2))
    # Coordinators made after the request see it on the board's consultations page.
    c3_page = f"/b/{board('C3').slug}/consultations"
    client = client_of(app, c3_first)
    page = text_of(client.get(c3_page))
    assert "Requests to list a consultation here" in page
    assert "What would make broadband affordable where you work?" in page
    assert "Affordable access for all" not in text_of(client.get(f"/b/{board('C3').slug}"))
    answer = post_form(client, f"/consultations/requests/{listing(thread, 'C3').id}",
                       {"accept": "1"})  # fmt: skip
    assert answer.status_code == 302
    db.session.expire_all()
    assert listing(thread, "C3").state == ListingState.ACCEPTED
    again = post_form(client, f"/consultations/requests/{listing(thread, 'C3').id}",
                      {"decline": "1"}, follow_redirects=True)  # fmt: skip
    assert "This request has been answered already." in text_of(again)
    assert listing(thread, "C3").state == ListingState.ACCEPTED
    for code in ("C5", "C3"):
        actions = db.session.scalars(
            select(LogEntry.action).where(
                LogEntry.board_id == board(code).id, LogEntry.thread_id == thread.id
            )
        ).all()
        assert LogAction.REQUEST_LISTING in actions
        assert LogAction.ACCEPT_LISTING in actions
        log = text_of(client.get(f"/b/{board(code).slug}/log"))
        assert "accepted to list a consultation" in log
    told = {n.user_id for n in db.session.scalars(select(Notice)) if n.kind == "listing_accepted"}
    assert told == {opener.id, c3_second.id}
    board_page = text_of(client.get(f"/b/{board('C3').slug}"))
    assert "Affordable access for all" in board_page
    assert '<span class="tag">Consultation</span>' in board_page


def test_the_public_log_does_not_name_a_private_board(app, client, make_user):
    coordinator = make_user(roles={"C5": Role.COORDINATOR, "COORD": Role.COORDINATOR})
    open_consultation(app, coordinator, "C5", ("COORD",))
    log = text_of(client.get(f"/b/{board('C5').slug}/log"))
    assert "accepted to list a consultation" in log
    assert "a private board" in log
    assert board("COORD").label not in log


def test_the_coordinators_asked_are_told_and_led_to_the_request(app, make_user):
    c3 = make_user(roles={"C3": Role.COORDINATOR})
    admin = make_user(admin=True)
    thread = open_consultation(app, admin, "C5", ("C3",))
    assert listing(thread, "C3").state == ListingState.REQUESTED, "admins ask as anyone does"
    client = client_of(app, c3)
    notices = text_of(client.get("/notices"))
    assert "asks to be listed on" in notices
    [notice] = db.session.scalars(select(Notice).where(Notice.user_id == c3.id)).all()
    opened = post_form(client, "/notices/read", {"open": str(notice.id)})
    assert opened.headers["Location"].endswith(f"/b/{board('C3').slug}/consultations")


def test_a_declined_request_lists_nothing(app, client, make_user):
    thread = open_consultation(app, make_user(roles={"C5": Role.COORDINATOR}), "C5", ("C3",))
    decide(app, thread, "C3", make_user(roles={"C3": Role.COORDINATOR}), accept=False)
    assert "Affordable access" not in text_of(client.get(f"/b/{board('C3').slug}"))
    entries = db.session.scalars(
        select(LogEntry).where(LogEntry.action == LogAction.DECLINE_LISTING)
    ).all()
    assert {entry.board_id for entry in entries} == {board("C5").id, board("C3").id}


# One thread, one URL, on every board --------------------------------------------------


def test_one_thread_listed_on_every_accepted_board_and_counted_once(app, client, make_user):
    before = db.session.scalar(select(func.sum(Board.thread_count)))
    opener = make_user(
        roles={"C2": Role.COORDINATOR, "C3": Role.COORDINATOR, "D": Role.COORDINATOR}
    )
    thread = open_consultation(app, opener, "C2", ("C3", "D"))
    with app.test_request_context():
        posting.reply(thread, make_user(), body="Cheaper spectrum licences.")
        db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(func.sum(Board.thread_count))) == before + 1
    for code in ("C2", "C3", "D"):
        slug = board(code).slug
        page = text_of(client.get(f"/b/{slug}"))
        assert page.count(f'href="/t/{thread.id}"') == 1, code
        year, number = thread.created_at.year, thread.created_at.month
        archive = text_of(client.get(f"/b/{slug}/archive/{year}/{number}"))
        assert "Affordable access" in archive, code
        feed = text_of(client.get(f"/b/{slug}/posts.atom"))
        assert "Cheaper spectrum licences." in feed, code
        listing_page = text_of(client.get(f"/b/{slug}/consultations"))
        assert "What would make access affordable?" in listing_page
    latest = text_of(client.get("/latest"))
    assert latest.count(f'href="/t/{thread.id}"') == 1
    page = text_of(client.get(f"/t/{thread.id}"))
    assert "What would make access affordable?" in page
    assert "Open for comments until" in page
    for code in ("C2", "C3", "D"):
        assert board(code).label in page


def test_a_public_reader_sees_only_the_boards_they_may_read(app, client, make_user, sign_in):
    coordinator = make_user(roles={"C5": Role.COORDINATOR, "COORD": Role.COORDINATOR})
    thread = open_consultation(app, coordinator, "COORD", ("C5",), title="Open to all")
    page = text_of(client.get(f"/t/{thread.id}"))
    assert "Open to all" in page
    assert board("COORD").label not in page
    assert board("C5").label in page
    assert "Open to all" in text_of(client.get("/consultations"))
    assert board("COORD").label not in text_of(client.get("/consultations"))
    assert board("COORD").label in text_of(client_of(app, coordinator).get(f"/t/{thread.id}"))


def test_a_consultation_of_a_private_board_stays_private_until_listed(app, client, make_user):
    coordinator = make_user(roles={"COORD": Role.COORDINATOR})
    thread = open_consultation(app, coordinator, "COORD", ("C5",), title="Private question")
    outsider = make_user()
    assert client.get(f"/t/{thread.id}").status_code in (302, 404)
    assert "Private question" not in text_of(client.get("/consultations"))
    assert "Private question" not in text_of(client.get(f"/b/{board('C5').slug}/posts.atom"))
    assert not can(outsider, Action.READ_THREAD, thread)


# Mail --------------------------------------------------------------------------------


def _follow(app: Flask, user: User, code: str, mode) -> None:
    from forum.mail import subscriptions

    with app.test_request_context():
        subscriptions.set_board_mode(user, board(code), mode)
        db.session.commit()


def test_followers_of_every_listed_board_get_each_post_once(app, smtp, make_user):
    from forum.mail.models import MailMode
    from tests.conftest import deliver

    opener = make_user(roles={"C2": Role.COORDINATOR, "C3": Role.COORDINATOR})
    both = make_user(email="both@example.org")
    listed_only = make_user(email="listed@example.org")
    _follow(app, both, "C2", MailMode.EVERY_POST)
    _follow(app, both, "C3", MailMode.EVERY_POST)
    _follow(app, listed_only, "C3", MailMode.EVERY_POST)
    thread = open_consultation(app, opener, "C2", ("C3",))
    with app.test_request_context():
        posting.reply(thread, make_user(), body="Shared towers cut costs.")
        db.session.commit()
    deliver(app)
    copies = [m for m in smtp.received if "Affordable access" in str(m["Subject"])]
    to = sorted(str(m["To"]) for m in copies if str(m["To"]) != opener.email)
    assert to == sorted(["both@example.org"] * 2 + ["listed@example.org"] * 2), to
    [reply] = [
        m
        for m in copies
        if str(m["To"]) == "listed@example.org"
        and "Shared towers" in m.get_body(("plain",)).get_content()
    ]
    text = reply.get_body(("plain",)).get_content()
    assert f"You receive every post of {board('C3').label} by email." in text
    assert "c3" in str(reply["List-Id"]).lower()


def test_a_reply_by_mail_to_a_listing_board_reaches_the_thread(app, lmtp, make_user):
    from tests.mailin import DOMAIN, email, latest_post, send

    make_user(email="amina@example.org")
    opener = make_user(roles={"C2": Role.COORDINATOR, "C3": Role.COORDINATOR})
    thread = open_consultation(app, opener, "C2", ("C3",))
    message = email("amina@example.org", "Re: [C2] Affordable access", "Shared towers.",
                    In_Reply_To=f"<post-{thread.first_post_id}@{DOMAIN}>")  # fmt: skip
    assert send(lmtp, message, to=f"c3@{DOMAIN}")[0] == 250
    assert latest_post().thread_id == thread.id


def test_a_digest_holds_a_consultation_post_once_and_never_after_a_copy(app, make_user):
    from forum.mail import digests, mail_context
    from forum.mail.models import MailKind, MailMode, OutboxMessage

    opener = make_user(roles={"C2": Role.COORDINATOR, "C3": Role.COORDINATOR})
    digest_of_both = make_user()
    copy_and_digest = make_user()
    _follow(app, digest_of_both, "C2", MailMode.DAILY)
    _follow(app, digest_of_both, "C3", MailMode.DAILY)
    _follow(app, copy_and_digest, "C2", MailMode.EVERY_POST)
    _follow(app, copy_and_digest, "C3", MailMode.DAILY)
    thread = open_consultation(app, opener, "C2", ("C3",))
    with app.test_request_context():
        reply = posting.reply(thread, make_user(), body="Community networks.")
        db.session.commit()
    with mail_context(app):
        digests.queue_due("daily", force=True)
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage)).all()
    digest = {row.user_id: row.payload["posts"] for row in rows if row.kind == MailKind.DIGEST}
    assert sorted(digest[digest_of_both.id]) == sorted([thread.first_post_id, reply.id])
    assert copy_and_digest.id not in digest
    copies = [r for r in rows if r.kind == MailKind.POST and r.user_id == copy_and_digest.id]
    assert len(copies) == 2


# Closing and the summary ---------------------------------------------------------------


def test_the_worker_closes_it_and_a_coordinator_posts_the_summary(app, client, make_user, sign_in):
    opener = make_user(roles={"C2": Role.COORDINATOR, "C3": Role.COORDINATOR})
    thread = open_consultation(app, opener, "C2", ("C3",))
    participant = make_user()
    sign_in(participant)
    assert client.get(f"/t/{thread.id}/summary").status_code == 403, "still open"
    close_now(app, thread)
    thread = db.session.get(Thread, thread.id)
    assert thread.is_locked
    page = text_of(client.get(f"/t/{thread.id}"))
    assert "no more replies" in page
    refused = post_form(client, f"/t/{thread.id}/reply", {"body": "Late", "language": "en"})
    assert refused.status_code == 400
    for code in ("C2", "C3"):
        assert (
            db.session.scalar(
                select(func.count()).where(
                    LogEntry.board_id == board(code).id,
                    LogEntry.action == LogAction.CLOSE_CONSULTATION,
                    LogEntry.actor_id.is_(None),
                )
            )
            == 1
        )
    Worker(app, idle_seconds=0.01).step()
    assert (
        db.session.scalar(
            select(func.count()).where(LogEntry.action == LogAction.CLOSE_CONSULTATION)
        )
        == 2
    ), "closed once"

    client = client_of(app, opener)
    assert "Post the summary" in text_of(client.get(f"/t/{thread.id}"))
    empty = post_form(client, f"/t/{thread.id}/summary", {"body": "", "language": "en"})
    assert empty.status_code == 400
    summary_form = {"body": "Most asked for **shared infrastructure**.", "language": "en"}
    done = post_form(client, f"/t/{thread.id}/summary", summary_form)
    assert done.status_code == 302, text_of(done)
    page = text_of(client.get(f"/t/{thread.id}"))
    assert page.index("<strong>shared infrastructure</strong>") < page.index(
        f'id="p{thread.first_post_id}"'
    )
    assert '<span class="tag">Summary</span>' in page
    summary = db.session.scalars(select(Post).order_by(Post.id.desc())).first()
    assert (
        db.session.scalar(
            select(func.count()).where(
                LogEntry.action == LogAction.POST_SUMMARY, LogEntry.post_id == summary.id
            )
        )
        == 2
    )
    assert client.get(f"/t/{thread.id}/summary").status_code == 403, "once"
    assert "posted the summary of a consultation" in text_of(
        client.get(f"/b/{board('C3').slug}/log")
    )


def test_others_cannot_post_the_summary(app, client, make_user, sign_in):
    opener = make_user(roles={"C2": Role.COORDINATOR})
    thread = open_consultation(app, opener, "C2")
    close_now(app, thread)
    sign_in(make_user(roles={"C3": Role.COORDINATOR}))
    assert client.get(f"/t/{thread.id}/summary").status_code == 403
    assert "Post the summary" not in text_of(client.get(f"/t/{thread.id}"))


def test_moderation_acts_of_a_listed_board_coordinator_reach_the_thread(app, make_user):
    opener = make_user(roles={"C2": Role.COORDINATOR})
    thread = open_consultation(app, opener, "C2", ("C3",))
    c3 = make_user(roles={"C3": Role.COORDINATOR})
    decide(app, thread, "C3", c3)
    with app.test_request_context():
        post = posting.reply(thread, make_user(), body="Off topic")
        moderation.hide_post(post, c3, reason="Off topic")
        db.session.commit()
    assert post.status == "hidden"


# Query counts ---------------------------------------------------------------------------

MAX_QUERIES = 8


@pytest.mark.parametrize("consultations", [2, 12])
def test_consultation_pages_cost_a_bounded_number_of_queries(
    app, client, make_user, count_queries, consultations
):
    opener = make_user(
        roles={"C2": Role.COORDINATOR, "C3": Role.COORDINATOR, "D": Role.COORDINATOR}
    )
    threads = [
        open_consultation(app, opener, "C2", ("C3", "D"), title=f"Question {number}")
        for number in range(consultations)
    ]
    for url in [
        "/consultations",
        f"/b/{board('C3').slug}/consultations",
        f"/b/{board('C3').slug}",
        f"/t/{threads[-1].id}",
    ]:
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        assert counter.count <= MAX_QUERIES, (url, [s[:90] for s in counter.statements])
    # Signed in as a coordinator: the person, their roles, their reading and mail, the
    # queue's count; a consultation's thread page adds its consultation and listings.
    signed_in = client_of(app, opener)
    for url, most in [
        ("/consultations", 6),
        (f"/b/{board('C3').slug}/consultations", 8),
        (f"/b/{board('C3').slug}", 8),
        (f"/t/{threads[-1].id}", 11),
    ]:
        with count_queries() as counter:
            assert signed_in.get(url).status_code == 200
        assert counter.count <= most, (url, [s[:90] for s in counter.statements])


# Search ---------------------------------------------------------------------------------


def test_search_finds_a_consultation_under_each_board_that_lists_it(
    app, client, make_user, search_engine
):
    from forum.search import services as search

    coordinator = make_user(roles={"COORD": Role.COORDINATOR, "C3": Role.COORDINATOR})
    thread = open_consultation(app, coordinator, "COORD", ("C3",), title="Spectrum pricing")
    kept = open_consultation(app, coordinator, "COORD", (), title="Spectrum auctions")
    with app.test_request_context():
        posting.create_thread(board("C2"), make_user(), title="Spectrum refarming", body="x")
        db.session.commit()
    with app.test_request_context():
        while search.drain():
            pass
    everywhere = text_of(client.get("/search?q=spectrum"))
    assert "Spectrum pricing" in everywhere, "read through C3, though COORD is private"
    assert "Spectrum auctions" not in everywhere
    on_c3 = text_of(client.get(f"/search?q=spectrum&board={board('C3').slug}"))
    assert "Spectrum pricing" in on_c3
    assert "Spectrum refarming" not in on_c3
    on_c2 = text_of(client.get(f"/search?q=spectrum&board={board('C2').slug}"))
    assert "Spectrum refarming" in on_c2
    assert "Spectrum pricing" not in on_c2
    assert kept.id != thread.id


def test_a_held_post_waits_in_the_queue_of_every_board_that_lists_it(app, make_user):
    from forum.boards.models import ModerationMode

    opener = make_user(roles={"C2": Role.COORDINATOR})
    thread = open_consultation(app, opener, "C2", ("C3",))
    c3 = make_user(roles={"C3": Role.COORDINATOR})
    decide(app, thread, "C3", c3)
    board("C2").moderation_mode = ModerationMode.ALL
    db.session.commit()
    with app.test_request_context():
        held = posting.reply(thread, make_user(), body="Waiting for a coordinator")
        db.session.commit()
    assert held.status == "pending"
    client = client_of(app, c3)
    queue = text_of(client.get(f"/b/{board('C3').slug}/queue"))
    assert "Waiting for a coordinator" in queue
    assert "Waiting for a coordinator" in text_of(client.get(f"/t/{thread.id}"))
    approved = post_form(client, "/queue", {"post": str(held.id), "action": "approve"})
    assert approved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, held.id).status == "published"


def test_a_board_pages_its_threads_and_the_consultations_it_lists_in_one_order(
    app, client, make_user, make_thread, monkeypatch
):
    """Pinned first, then the most recently active, whether a thread is the board's own
    or a consultation of another board it lists; a deleted one on no page."""
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", 2)
    opener = make_user(roles={"C2": Role.COORDINATOR, "C3": Role.COORDINATOR})
    pinned = make_thread("C3", title="Pinned notice")
    deleted = make_thread("C3", title="Taken down")
    consultation = open_consultation(app, opener, "C2", ("C3",))
    quiet = make_thread("C3", title="Quiet thread")
    with app.test_request_context():
        posting.reply(consultation, make_user(), body="A late answer.")
        db.session.get(Thread, pinned.id).is_pinned = True
        db.session.get(Thread, deleted.id).is_deleted = True
        db.session.commit()
    slug = board("C3").slug
    ids = [pinned.id, deleted.id, consultation.id, quiet.id]
    shown = []
    for path in (f"/b/{slug}", f"/b/{slug}?page=2"):
        page = text_of(client.get(path))
        links = {i: page.find(f'href="/t/{i}"') for i in ids}
        shown.append(sorted((i for i in ids if links[i] >= 0), key=links.__getitem__))
    assert shown == [[pinned.id, consultation.id], [quiet.id]]
