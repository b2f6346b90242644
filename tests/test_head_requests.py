"""HEAD (and GET) requests change nothing: `curl -I` on a link from a message, a mail
scanner or a link checker must never unsubscribe, confirm or create anything."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.accounts import services as accounts
from forum.boards.models import Role
from forum.db import utcnow
from forum.extensions import db
from forum.inbound import confirmations
from forum.inbound.bounces import confirmation_token
from forum.inbound.models import InboundMessage, Outcome
from forum.mail import addresses, subscriptions
from forum.mail.models import MailMode, MailSettings, Subscription
from forum.mail.queries import delivered
from forum.meetings import services as meetings
from forum.meetings.models import CalendarToken
from forum.posts import services as posting
from forum.reports import services as reporting
from tests.helpers import board
from tests.meetings import details


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    db.session.expire_all()
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        tables[table.name] = [tuple(row) for row in rows]
    return tables


@pytest.fixture
def world(app, make_user, make_thread, outbox):
    """A little of everything the GET routes show, and a real token for each token view."""
    admin = make_user(admin=True, email="admin@example.org")
    reader = make_user(email="reader@example.org", roles={"C5": Role.COORDINATOR})
    newcomer = make_user(email="newcomer@example.org", verified=False)
    thread = make_thread("C5", author=reader, title="Heads up", replies=2)
    with app.test_request_context():
        subscriptions.set_board_mode(reader, board("C5"), MailMode.EVERY_POST)
        subscriptions.set_board_mode(admin, board("C5"), MailMode.EVERY_POST)
        subscriptions.settings_of(reader).bouncing_since = utcnow()
        posting.reply(thread, reader, body="One more")
        waiting = InboundMessage(
            recipient="c5@forum.example.org",
            outcome=Outcome.UNCONFIRMED,
            user_id=reader.id,
            confirm_by=utcnow() + timedelta(days=7),
            raw=b"From: reader@example.org\r\nSubject: Waits\r\n\r\nConfirm me\r\n",
        )
        db.session.add(waiting)
        meeting = meetings.schedule_meeting(board("C5"), reader, details=details())
        calendar = CalendarToken(user_id=reader.id, token="a-secret-calendar-address")
        db.session.add(calendar)
        report = reporting.start_report(
            board("C5"), reader, start=utcnow().date() - timedelta(days=30), end=utcnow().date()
        )
        reporting.save_revision(report, reader, sections={"summary": f"See /t/{thread.id}"})
        db.session.commit()
        tokens = {
            "meetings.personal_feed": calendar.token,
            "inbound.confirm": confirmations.token_for(waiting),
            "mail.unsubscribe": addresses.unsubscribe_token(reader.id, "board", board("C5").id),
            "mail.confirm_address": confirmation_token(reader),
            "accounts.verify": accounts.make_token(accounts.VERIFY, newcomer),
            "accounts.reset_password": accounts.make_token(accounts.RESET, reader),
            "accounts.confirm_email": accounts.make_token(
                accounts.CHANGE_EMAIL, reader, new_email="new@example.org"
            ),
        }
    outbox()  # the admin area shows delivered messages by their Maildir key
    with app.test_request_context():
        key = delivered(limit=1)[0].key
    return {"admin": admin, "reader": reader, "thread": thread, "tokens": tokens, "key": key,
            "meeting": meeting, "report": report}  # fmt: skip


def _urls(app, world) -> list[str]:
    """One address for every route that answers GET (and so HEAD)."""
    thread = world["thread"]
    created = thread.created_at
    samples = {
        "slug": "c5-building-confidence-and-security",
        "thread_id": thread.id,
        "post_id": thread.last_post_id,
        "user_id": world["reader"].id,
        "year": created.year,
        "month": created.month,
        "key": world["key"],
        "message_id": 1,
        "name": "about",
        "language": "fr",
        "meeting_id": world["meeting"].id,
        "report_id": world["report"].id,
        "entry_id": 1,
    }
    urls = []
    with app.test_request_context():
        adapter = app.url_map.bind("forum.test")
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            assert "HEAD" in rule.methods, rule
            values = {name: samples[name] for name in rule.arguments if name != "token"}
            if "token" in rule.arguments:
                values["token"] = world["tokens"][rule.endpoint]
            urls.append(adapter.build(rule.endpoint, values))
    return urls


def test_head_to_every_get_route_changes_nothing(app, client, sign_in, world):
    urls = _urls(app, world)
    assert any(url.startswith("/unsubscribe/") for url in urls)
    assert any(url.startswith("/mail/confirm-address/") for url in urls)
    before = snapshot()
    anonymous = app.test_client()
    for url in urls:
        assert anonymous.head(url).status_code < 500, url
    sign_in(world["admin"])
    signed_in = snapshot()
    for url in urls:
        assert client.head(url).status_code < 500, url
        assert client.get(url).status_code < 500, url
    after = snapshot()
    for name in before:
        if name != "user_sessions":  # signing in, before the requests
            assert after[name] == before[name], f"a HEAD or GET changed {name}"
    assert after["user_sessions"] == signed_in["user_sessions"]


def test_head_on_a_list_unsubscribe_link_keeps_the_subscription(app, world):
    reader = world["reader"]
    token = world["tokens"]["mail.unsubscribe"]
    response = app.test_client().head(f"/unsubscribe/{token}")
    assert response.status_code == 200
    db.session.expire_all()
    mode = db.session.scalar(
        select(Subscription.mode).where(
            Subscription.user_id == reader.id, Subscription.board_id == board("C5").id
        )
    )
    assert mode == MailMode.EVERY_POST
    assert app.test_client().post(f"/unsubscribe/{token}").status_code == 200
    db.session.expire_all()
    assert subscriptions.board_mode(reader, board("C5")) == MailMode.OFF


def test_head_on_an_address_confirmation_link_keeps_mail_paused(app, world):
    reader = world["reader"]
    token = world["tokens"]["mail.confirm_address"]
    assert app.test_client().head(f"/mail/confirm-address/{token}").status_code == 200
    db.session.expire_all()
    assert db.session.get(MailSettings, reader.id).bouncing_since is not None
    assert app.test_client().post(f"/mail/confirm-address/{token}").status_code == 200
    db.session.expire_all()
    assert db.session.get(MailSettings, reader.id).bouncing_since is None


def test_opening_the_email_settings_page_writes_nothing(app, client, sign_in, make_user):
    person = make_user()
    sign_in(person)
    assert client.get("/settings/mail").status_code == 200
    assert db.session.get(MailSettings, person.id) is None
