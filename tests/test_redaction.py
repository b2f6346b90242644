"""A moderator's edit marked as a redaction hides the earlier versions of a post from
everyone but the board's moderators, is logged with its reason, and leaves the removed
text nowhere else to read."""

from xml.etree import ElementTree as ET

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from forum.boards.models import Role
from forum.extensions import db
from forum.mail import subscriptions
from forum.mail.models import MailMode
from forum.moderation.models import LogAction, LogEntry
from forum.permissions import Action, can
from forum.posts.models import Post, PostRevision
from forum.search import services as search
from tests.conftest import deliver
from tests.helpers import board, post_form, text_of

C5 = "/b/c5-building-confidence-and-security"
PRIVATE = "Call me on +41 22 555 0199 at home"
CLEAN = "Call me through the secretariat"


def _sign_out(client) -> None:
    post_form(client, "/sign-out", {}, prefix="sign-out")


@pytest.fixture
def author(make_user):
    return make_user(name="Author")


@pytest.fixture
def coordinator(make_user):
    return make_user(name="Coordinator", roles={"C5": Role.COORDINATOR})


@pytest.fixture
def thread(make_thread, author):
    return make_thread("C5", author=author, title="Contacts", body=PRIVATE, replies=1)


def _redact(client, post_id: int, *, body: str = CLEAN, reason: str = "Personal data"):
    data = {"body": body, "redact": "y", "reason": reason}
    return post_form(client, f"/p/{post_id}/edit", data)


def test_redacted_versions_are_shown_only_to_the_boards_moderators(
    client, make_user, sign_in, author, coordinator, thread
):
    post_id = thread.first_post_id
    sign_in(coordinator)
    assert _redact(client, post_id).status_code == 302
    history = text_of(client.get(f"/p/{post_id}/history"))
    assert PRIVATE in history
    assert CLEAN in history
    assert "Redacted" in history
    _sign_out(client)

    readers = [
        None,
        author,
        make_user(),
        make_user(roles={"C5": Role.MEMBER}),
        make_user(roles={"C6": Role.COORDINATOR}),
    ]
    for reader in readers:
        if reader is not None:
            sign_in(reader)
        response = client.get(f"/p/{post_id}/history")
        assert response.status_code == 200
        history = text_of(response)
        assert CLEAN in history, reader
        assert PRIVATE not in history, reader
        assert "removed by the board's moderators" in history
        if reader is not None:
            _sign_out(client)

    sign_in(make_user(admin=True))
    assert PRIVATE in text_of(client.get(f"/p/{post_id}/history"))


def test_a_redaction_is_logged_with_its_reason(client, sign_in, coordinator, thread):
    sign_in(coordinator)
    _redact(client, thread.first_post_id, reason="A private telephone number")
    [entry] = db.session.scalars(select(LogEntry).where(LogEntry.action == LogAction.REDACT))
    assert entry.post_id == thread.first_post_id
    assert entry.actor_id == coordinator.id
    assert entry.reason == "A private telephone number"
    _sign_out(client)
    log = text_of(client.get(f"{C5}/log"))
    assert "redacted earlier versions of a post" in log
    assert "A private telephone number" in log
    assert PRIVATE not in log


def test_a_redaction_needs_a_reason_and_keeps_the_text(client, sign_in, coordinator, thread):
    sign_in(coordinator)
    response = _redact(client, thread.first_post_id, body="Edited text kept", reason=" ")
    assert response.status_code == 400
    assert "Edited text kept" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Post, thread.first_post_id).body_source == PRIVATE
    assert db.session.scalars(select(PostRevision)).all() == []


def test_only_moderators_redact(client, sign_in, author, thread):
    sign_in(author)
    post_id = thread.first_post_id
    post_form(client, f"/p/{post_id}/edit", {"body": "Second thoughts"})
    assert "Hide the earlier versions" not in text_of(client.get(f"/p/{post_id}/edit"))
    response = _redact(client, post_id, body="Third thoughts")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Post, post_id).body_source == "Second thoughts"
    revisions = db.session.scalars(select(PostRevision)).all()
    assert [revision.redacted_at for revision in revisions] == [None]


def test_an_edit_made_earlier_can_be_redacted_afterwards(client, sign_in, coordinator, thread):
    """The coordinator edited the data out, then saw that the history still showed it."""
    post_id = thread.first_post_id
    sign_in(coordinator)
    assert "Hide the earlier versions" in text_of(client.get(f"/p/{post_id}/edit"))
    post_form(client, f"/p/{post_id}/edit", {"body": CLEAN})
    _sign_out(client)
    assert PRIVATE in text_of(client.get(f"/p/{post_id}/history"))
    sign_in(coordinator)
    assert _redact(client, post_id, body=CLEAN).status_code == 302
    _sign_out(client)
    assert PRIVATE not in text_of(client.get(f"/p/{post_id}/history"))


def test_nothing_to_redact_is_said_plainly(client, sign_in, coordinator, thread):
    sign_in(coordinator)
    response = _redact(client, thread.first_post_id, body=PRIVATE)
    assert response.status_code == 400
    assert "no earlier version" in text_of(response)


def test_redacted_text_is_in_no_search_archive_feed_or_later_mail(
    app, client, smtp, make_user, sign_in, coordinator, thread
):
    reader = make_user(email="reader@example.org")
    with app.test_request_context():
        subscriptions.set_board_mode(reader, board("C5"), MailMode.EVERY_POST)
        db.session.commit()
    sign_in(coordinator)
    with app.test_request_context():
        search.drain()
    assert "Contacts" in text_of(client.get("/search", query_string={"q": "0199"}))
    reply = post_form(client, f"/t/{thread.id}/reply", {"body": "Noted, thank you"})
    assert reply.status_code == 302
    _redact(client, thread.first_post_id)
    _sign_out(client)
    with app.test_request_context():
        search.drain()

    assert "Contacts" not in text_of(client.get("/search", query_string={"q": "0199"}))
    assert "Contacts" in text_of(client.get("/search", query_string={"q": "secretariat"}))
    for url in [f"/t/{thread.id}", f"/t/{thread.id}.mbox", f"/t/{thread.id}.atom"]:
        assert "0199" not in text_of(client.get(url)), url
    for url in ["/posts.atom", f"{C5}/posts.atom", f"{C5}/threads.atom"]:
        assert "0199" not in " ".join(ET.fromstring(client.get(url).data).itertext()), url
    deliver(app)
    copies = [m for m in smtp.received if m["To"] == "reader@example.org"]
    assert copies, "the coordinator's reply was mailed"
    assert all("0199" not in message.as_string() for message in copies)


REDACTORS = {"coordinator", "admin"}


@pytest.mark.parametrize(
    "kind",
    ["anonymous", "author", "verified", "member", "coordinator", "coordinator elsewhere",
     "suspended coordinator", "admin"],
)  # fmt: skip
def test_who_may_redact_and_read_redacted_versions(make_user, make_thread, kind):
    author = make_user()
    people = {
        "anonymous": lambda: AnonymousUserMixin(),
        "author": lambda: author,
        "verified": lambda: make_user(),
        "member": lambda: make_user(roles={"C5": Role.MEMBER}),
        "coordinator": lambda: make_user(roles={"C5": Role.COORDINATOR}),
        "coordinator elsewhere": lambda: make_user(roles={"C6": Role.COORDINATOR}),
        "suspended coordinator": lambda: make_user(suspended=True, roles={"C5": Role.COORDINATOR}),
        "admin": lambda: make_user(admin=True),
    }
    person = people[kind]()
    post = db.session.get(Post, make_thread("C5", author=author).first_post_id)
    assert can(person, Action.REDACT_POST, post) is (kind in REDACTORS)
    assert can(person, Action.READ_REDACTED, post) is (kind in REDACTORS)
