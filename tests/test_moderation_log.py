"""The moderation log is public to readers of the board, complete and unchangeable."""

import pytest
from sqlalchemy import select

from forum.boards.models import ModerationMode, Role
from forum.extensions import db
from forum.moderation import services
from forum.moderation.models import LogAction, LogEntry, LogIsAppendOnly
from forum.posts.models import Post, PostStatus
from tests.helpers import board, text_of


def test_log_shows_reasons_but_not_rejected_content(client, make_user, make_thread, ctx):
    coordinator = make_user(name="Sophie Martin", roles={"C5": Role.COORDINATOR})
    thread = make_thread("C5")
    held = Post(
        thread=thread,
        author=make_user(),
        body_source="Secret rejected words",
        body_html="<p>Secret rejected words</p>",
        status=PostStatus.PENDING,
    )
    db.session.add(held)
    services.reject_post(held, coordinator, reason="Advertising")
    db.session.commit()
    page = text_of(client.get("/b/c5-building-confidence-and-security/log"))
    assert "Sophie Martin" in page
    assert "rejected a post" in page
    assert "Advertising" in page
    assert "Secret rejected words" not in page
    assert client.get(f"/p/{held.id}").status_code == 302, (
        "readers are sent to sign in, not shown it"
    )


def test_private_board_log_is_private(client, make_user, sign_in):
    assert client.get("/b/meeting-of-coordinators/log").status_code == 302
    sign_in(make_user())
    assert client.get("/b/meeting-of-coordinators/log").status_code == 404


def test_log_entries_cannot_be_changed_or_removed(make_user, ctx):
    services.set_moderation_mode(board("C5"), make_user(admin=True), ModerationMode.ALL)
    db.session.commit()
    entry = db.session.scalars(select(LogEntry)).one()
    assert entry.action == LogAction.SET_MODE
    entry.reason = "rewritten"
    with pytest.raises(LogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(LogEntry)).one())
    with pytest.raises(LogIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_no_route_writes_to_the_log_directly(app):
    for rule in app.url_map.iter_rules():
        if "log" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule


def test_site_log_shows_account_acts_and_hides_private_boards(client, make_user, ctx):
    admin = make_user(admin=True)
    services.suspend_user(make_user(name="Spammer"), admin, reason="Spam campaign", until=None)
    services.set_moderation_mode(board("COORD"), admin, ModerationMode.ALL)
    db.session.commit()
    page = text_of(client.get("/moderation-log"))
    assert "suspended an account" in page
    assert "Spam campaign" in page
    assert "changed the board's moderation" not in page, "the coordinators' board is private"


def test_flagging_is_rate_limited(app, client, make_user, sign_in, make_thread):
    from tests.helpers import post_form

    threads = [make_thread("C5", title=f"T{n}") for n in range(2)]
    app.config["FLAG_LIMIT"] = "1 per hour"
    try:
        sign_in(make_user())
        first = post_form(client, f"/p/{threads[0].first_post_id}/flag", {"reason": "spam"})
        second = post_form(client, f"/p/{threads[1].first_post_id}/flag", {"reason": "spam"})
    finally:
        app.config["FLAG_LIMIT"] = "20 per hour"
    assert first.status_code == 302
    assert second.status_code == 429
    assert "wait a while" in text_of(second)
