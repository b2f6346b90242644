"""Every-post mail over a real SMTP server: who gets a copy, its headers and threading,
one-click unsubscribe, and what stops mail at once."""

import re

from sqlalchemy import func, select

from forum.accounts.models import User
from forum.boards.models import ModerationMode, Role
from forum.extensions import db
from forum.mail import subscriptions
from forum.mail.models import MailMode, MailSettings, OutboxMessage, Subscription, WatchMode
from forum.moderation import services as moderation
from forum.posts import services as posting
from forum.posts.models import Post
from tests.conftest import deliver
from tests.helpers import board, post_form, text_of

C5 = "/b/c5-building-confidence-and-security"


def follow(app, user, code="C5", mode=MailMode.EVERY_POST) -> None:
    with app.test_request_context():
        subscriptions.set_board_mode(user, board(code), mode)
        db.session.commit()


def reply_as(app, thread, author, body) -> None:
    with app.test_request_context():
        posting.reply(thread, author, body=body)
        db.session.commit()


def to(messages, address) -> list:
    """Copies of posts (not notices) sent to this address."""
    return [m for m in messages if m["To"] == address and "List-Id" in m]


def unsubscribe_link(message) -> str:
    """The https one-click link of List-Unsubscribe (a mailto fallback may follow it)."""
    return re.search(r"<(https?://[^>]+)>", message["List-Unsubscribe"])[1]


def test_a_post_reaches_followers_once_with_list_headers(app, smtp, make_user, make_thread):
    reader = make_user(name="Ingrid Haugen", email="ingrid@example.org")
    follow(app, reader)
    author = make_user(name="Zoë Ngọc Đặng")
    thread = make_thread(author=author, title="Écoles connectées", body="Le *premier* message")
    assert deliver(app).sent == 1
    [message] = smtp.received
    post_id = thread.first_post_id
    assert message["To"] == "ingrid@example.org"
    assert message["Subject"] == "[C5] Écoles connectées"
    assert message["From"].addresses[0].display_name == "Zoë Ngọc Đặng via WSIS Forum"
    assert message["From"].addresses[0].addr_spec == "forum@forum.example.org"
    assert message["Reply-To"] == "c5@forum.example.org"
    assert message["Message-ID"] == f"<post-{post_id}@forum.example.org>"
    assert message["List-Id"] == (
        '"C5 Building confidence and security in the use of ICTs" <c5.forum.example.org>'
    )
    assert message["List-Post"] == "<mailto:c5@forum.example.org>"
    assert message["List-Help"] == "<mailto:c5-request@forum.example.org?subject=help>"
    assert message["List-Subscribe"] == (
        "<http://forum.test/b/c5-building-confidence-and-security>, "
        "<mailto:c5-join@forum.example.org>"
    )
    assert message["List-Owner"] == "<mailto:c5-owner@forum.example.org>"
    assert (
        message["List-Archive"].strip()
        == "<http://forum.test/b/c5-building-confidence-and-security/archive>"
    )
    one_click, leave = message["List-Unsubscribe"].split(", ")
    assert one_click.startswith("<http://forum.test/unsubscribe/")
    assert leave == "<mailto:c5-leave@forum.example.org>"
    assert message["Archived-At"].strip() == f"<http://forum.test/p/{post_id}>"
    assert message["Precedence"] == "list"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Auto-Submitted" not in message
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Le *premier* message" in text
    assert "<em>premier</em>" in html
    assert re.search(r"reply\+\d+\.\d+\.[0-9a-f]{16}@forum\.example\.org", text)
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw.lower(), "non-ASCII names and subjects are RFC 2047 encoded"
    [(envelope_from, recipients)] = smtp.envelopes
    assert re.fullmatch(r"bounces\+\d+\.[0-9a-f]{16}@forum\.example\.org", envelope_from)
    assert recipients == ["ingrid@example.org"]


def test_replies_thread_as_the_tree_they_were_written_in(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"))
    author = make_user()
    thread = make_thread(author=author, title="Tree")
    with app.test_request_context():
        root = thread.first_post
        first = posting.reply(thread, author, body="Answers the root")
        deeper = posting.reply(thread, author, body="Answers the first reply", reply_to=first)
        beside = posting.reply(thread, author, body="Answers the root again", reply_to=root)
        db.session.commit()
    deliver(app)
    by_id = {m["Message-ID"]: m for m in smtp.received}
    assert len(by_id) == 4

    def mail_of(post):
        return by_id[f"<post-{post.id}@forum.example.org>"]

    assert "In-Reply-To" not in mail_of(root)
    root_id, first_id = mail_of(root)["Message-ID"], mail_of(first)["Message-ID"]
    for post, chain in ((first, [root_id]), (deeper, [root_id, first_id]), (beside, [root_id])):
        message = mail_of(post)
        assert message["Subject"] == "Re: [C5] Tree"
        assert message["In-Reply-To"] == chain[-1], "the post it answers, not the one before"
        assert message["References"].split() == chain, "from the first post down to it"


def test_references_of_a_deep_reply_keep_the_first_post_and_the_nearest(
    app, smtp, make_user, make_thread
):
    follow(app, make_user(email="reader@example.org"))
    author = make_user()
    thread = make_thread(author=author, title="Deep")
    with app.test_request_context():
        chain = [thread.first_post]
        for depth in range(12):
            chain.append(posting.reply(thread, author, body=f"Depth {depth}", reply_to=chain[-1]))
        db.session.commit()
    deliver(app)
    ids = [f"<post-{post.id}@forum.example.org>" for post in chain]
    [deepest] = [m for m in smtp.received if m["Message-ID"] == ids[-1]]
    assert deepest["In-Reply-To"] == ids[-2]
    assert deepest["References"].split() == [ids[0], *ids[-10:-1]]
    raw = deepest.as_bytes()
    assert all(len(line) <= 998 for line in raw.splitlines())


def test_the_author_gets_no_copy_unless_asked(app, smtp, make_user, make_thread):
    author = make_user(email="author@example.org")
    follow(app, author)
    make_thread(author=author)
    deliver(app)
    assert smtp.received == []
    with app.test_request_context():
        subscriptions.settings_of(author).own_posts = True
        db.session.commit()
    make_thread(author=author, title="Second")
    deliver(app)
    assert [m["Subject"] for m in smtp.received] == ["[C5] Second"]


def test_watching_and_following_send_one_copy_and_mute_sends_none(
    app, smtp, make_user, make_thread
):
    both, muter, watcher = (make_user(email=f"{n}@example.org") for n in ("both", "mute", "watch"))
    author = make_user()
    thread = make_thread(author=author, title="Watched")
    deliver(app)
    follow(app, both)
    follow(app, muter)
    with app.test_request_context():
        subscriptions.set_watch_mode(both, thread, WatchMode.WATCH)
        subscriptions.set_watch_mode(muter, thread, WatchMode.MUTE)
        subscriptions.set_watch_mode(watcher, thread, WatchMode.WATCH)
        db.session.commit()
    reply_as(app, thread, author, "News")
    deliver(app)
    assert sorted(m["To"] for m in smtp.received) == ["both@example.org", "watch@example.org"]
    [watched] = to(smtp.received, "watch@example.org")
    assert "unsubscribe" in unsubscribe_link(watched)
    assert "mailto:" not in watched["List-Unsubscribe"], "leaving the board would not stop it"
    [followed] = to(smtp.received, "both@example.org")
    assert "<mailto:c5-leave@forum.example.org>" in followed["List-Unsubscribe"]


def test_held_posts_go_out_only_when_approved(app, smtp, make_user, make_thread, client, sign_in):
    follow(app, make_user(email="reader@example.org"))
    thread = make_thread(title="Moderated")
    deliver(app)
    smtp.received.clear()
    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    newcomer = make_user()
    reply_as(app, thread, newcomer, "Waiting for approval")
    deliver(app)
    assert smtp.received == [], "nothing is mailed while a post waits"
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    with app.test_request_context():
        post = posting_latest(thread)
        moderation.approve_post(post, coordinator)
        db.session.commit()
    deliver(app)
    reader_mail = to(smtp.received, "reader@example.org")
    assert [m["Subject"] for m in reader_mail] == ["Re: [C5] Moderated"]


def posting_latest(thread):
    return db.session.scalars(
        select(Post).where(Post.thread_id == thread.id).order_by(Post.id.desc())
    ).first()


def test_hiding_unhiding_and_restoring_never_mail_a_post_twice(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"))
    thread = make_thread()
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    deliver(app)
    with app.test_request_context():
        post = thread.first_post
        moderation.hide_post(post, coordinator, reason="check")
        moderation.unhide_post(post, coordinator)
        db.session.commit()
    deliver(app)
    assert len(to(smtp.received, "reader@example.org")) == 1


def test_a_post_hidden_before_delivery_is_not_sent(app, smtp, make_user, make_thread):
    follow(app, make_user(email="reader@example.org"))
    thread = make_thread()
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    with app.test_request_context():
        moderation.hide_post(thread.first_post, coordinator, reason="spam")
        db.session.commit()
    report = deliver(app)
    assert to(smtp.received, "reader@example.org") == []
    assert report.skipped >= 1


def test_private_board_posts_never_reach_people_who_cannot_read_it(
    app, smtp, make_user, make_thread
):
    member = make_user(email="member@example.org", roles={"COORD": Role.MEMBER})
    outsider = make_user(email="outsider@example.org")
    follow(app, member, "COORD")
    with app.test_request_context():
        # Reading is checked when following; forge the row as if access had been lost.
        db.session.add(Subscription(user_id=outsider.id, board_id=board("COORD").id,
                                    mode=MailMode.EVERY_POST))  # fmt: skip
        db.session.commit()
    author = make_user(roles={"COORD": Role.MEMBER})
    thread = make_thread("COORD", author=author, title="Coordinators only")
    deliver(app)
    assert [m["To"] for m in smtp.received] == ["member@example.org"]
    with app.test_request_context():
        moderation.revoke_role(board("COORD"), member, Role.MEMBER, make_user(admin=True))
        db.session.commit()
    reply_as(app, thread, author, "Second")
    deliver(app)
    assert len(to(smtp.received, "member@example.org")) == 1, "access lost"


def test_losing_access_between_queueing_and_sending_stops_the_copy(
    app, smtp, make_user, make_thread
):
    member = make_user(email="member@example.org", roles={"COORD": Role.MEMBER})
    follow(app, member, "COORD")
    make_thread("COORD", author=make_user(roles={"COORD": Role.MEMBER}))
    with app.test_request_context():
        moderation.revoke_role(board("COORD"), member, Role.MEMBER, make_user(admin=True))
        db.session.commit()
    deliver(app)
    assert to(smtp.received, "member@example.org") == []


def test_email_change_and_suspension_count_from_the_next_send(app, smtp, make_user, make_thread):
    reader = make_user(email="old@example.org")
    follow(app, reader)
    make_thread(title="One")
    reader.email = "new@example.org"
    db.session.commit()
    deliver(app)
    assert [m["To"] for m in smtp.received] == ["new@example.org"]
    make_thread(title="Two")
    with app.test_request_context():
        moderation.suspend_user(reader, make_user(admin=True), reason="abuse", until=None)
        db.session.commit()
    deliver(app)
    subjects = [m["Subject"] for m in smtp.received if m["To"] == "new@example.org"]
    assert "[C5] Two" not in subjects


def test_paused_mail_sends_nothing(app, smtp, make_user, make_thread):
    reader = make_user(email="reader@example.org")
    follow(app, reader)
    with app.test_request_context():
        subscriptions.settings_of(reader).paused = True
        db.session.commit()
    make_thread()
    deliver(app)
    assert smtp.received == []


def test_plain_text_readers_get_no_html_part(app, smtp, make_user, make_thread):
    reader = make_user(email="reader@example.org")
    follow(app, reader)
    with app.test_request_context():
        subscriptions.settings_of(reader).format = "text"
        db.session.commit()
    make_thread()
    deliver(app)
    [message] = smtp.received
    assert message.get_body(("html",)) is None
    assert message.get_body(("plain",)) is not None


def test_one_click_unsubscribe_works_without_a_session_for_its_board_only(
    app, smtp, make_user, make_thread
):
    reader = make_user(email="reader@example.org")
    follow(app, reader, "C5")
    follow(app, reader, "C6")
    make_thread("C5")
    deliver(app)
    link = unsubscribe_link(smtp.received[0])
    anonymous = app.test_client()
    page = anonymous.get(link)
    assert page.status_code == 200
    assert "Unsubscribe" in text_of(page)
    assert _mode(reader, "C5") == MailMode.EVERY_POST, "a GET changes nothing"
    response = anonymous.post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _mode(reader, "C5") == MailMode.OFF
    assert _mode(reader, "C6") == MailMode.EVERY_POST, "the token reaches its own board only"
    forged = link.replace(link.rsplit(".", 1)[1], "forged")
    assert anonymous.post(forged).status_code == 400


def _mode(user, code) -> MailMode:
    db.session.expire_all()
    return db.session.scalar(
        select(Subscription.mode).where(
            Subscription.user_id == user.id, Subscription.board_id == board(code).id
        )
    )


def test_board_page_control_and_settings_page(app, client, make_user, sign_in):
    user = make_user()
    sign_in(user)
    page = text_of(client.get(C5))
    assert 'name="mail-mode"' in page
    response = post_form(client, f"{C5}/mail", {"mode": "daily"}, prefix="mail")
    assert response.status_code == 302
    assert _mode(user, "C5") == MailMode.DAILY
    post_form(client, f"{C5}/mail", {"mode": "nonsense"}, prefix="mail")
    assert _mode(user, "C5") == MailMode.DAILY, "bad input changes nothing"
    settings = text_of(client.get("/settings/mail"))
    assert "C5 Building confidence" in settings
    assert "Meeting of the coordinators" not in settings, "private boards are not offered"
    c6 = board("C6")
    response = post_form(
        client,
        "/settings/mail",
        {
            "digest_hour": "18",
            "digest_weekday": "4",
            "format": "text",
            "digest_form": "mime",
            "paused": "y",
            f"board_{board('C5').id}": "weekly",
            f"board_{c6.id}": "every_post",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(MailSettings, user.id)
    assert (stored.digest_hour, stored.digest_weekday, stored.paused) == (18, 4, True)
    assert stored.format == "text"
    assert stored.digest_form == "mime"
    assert re.search(r'<input checked[^>]*value="mime"', text_of(client.get("/settings/mail")))
    assert _mode(user, "C5") == MailMode.WEEKLY
    assert _mode(user, "C6") == MailMode.EVERY_POST
    bad = post_form(client, "/settings/mail", {"digest_hour": "99", "format": "text"})
    assert bad.status_code == 400


def test_thread_page_watch_and_mute(app, client, make_user, sign_in, make_thread):
    thread = make_thread()
    user = make_user()
    sign_in(user)
    assert "mail-mode" in text_of(client.get(f"/t/{thread.id}"))
    post_form(client, f"/t/{thread.id}/mail", {"mode": "watch"}, prefix="mail")
    with app.test_request_context():
        assert subscriptions.watch_mode(user, thread) == WatchMode.WATCH
    post_form(client, f"/t/{thread.id}/mail", {"mode": "normal"}, prefix="mail")
    with app.test_request_context():
        assert subscriptions.watch_mode(user, thread) is None


def test_role_defaults_follow_bureaus_by_digest_and_coordinated_boards_by_every_post(
    app, make_user
):
    admin = make_user(admin=True)
    person = make_user()
    with app.test_request_context():
        moderation.grant_role(board("CSB"), person, Role.MEMBER, admin)
        moderation.grant_role(board("C5"), person, Role.COORDINATOR, admin)
        moderation.grant_role(board("C6"), person, Role.MEMBER, admin)
        db.session.commit()
    assert _mode(person, "CSB") == MailMode.DAILY
    assert _mode(person, "C5") == MailMode.EVERY_POST
    assert _mode(person, "C6") is None, "action line members choose for themselves"


def test_sign_up_can_follow_boards_by_weekly_digest(client):
    c5, c6 = board("C5"), board("C6")
    response = post_form(
        client,
        "/register",
        {
            "display_name": "Amina Diallo",
            "email": "amina@example.org",
            "password": "a long enough passphrase",
            "confirm": "a long enough passphrase",
            "stakeholder_group": "civil_society",
            "follow_boards": [str(c5.id), str(c6.id)],
            "follow_mode": "weekly",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "amina@example.org"))
    modes = db.session.execute(
        select(Subscription.board_id, Subscription.mode).where(Subscription.user_id == user.id)
    ).all()
    assert sorted(modes) == sorted([(c5.id, MailMode.WEEKLY), (c6.id, MailMode.WEEKLY)])


def test_notices_are_mailed_and_can_be_turned_off(app, outbox, make_user, make_thread):
    author = make_user(email="author@example.org")
    thread = make_thread(author=author, title="Flagged thread")
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    with app.test_request_context():
        moderation.hide_post(thread.first_post, coordinator, reason="Off topic")
        db.session.commit()
    [message] = [m for m in outbox() if m["To"] == "author@example.org"]
    assert "Off topic" in message.get_payload(decode=True).decode()
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    token = message["List-Unsubscribe"].strip("<>")
    assert app.test_client().post(token).status_code == 200
    with app.test_request_context():
        moderation.unhide_post(thread.first_post, coordinator)
        db.session.commit()
    assert len([m for m in outbox() if m["To"] == "author@example.org"]) == 1


def test_fan_out_is_one_statement_whatever_the_number_of_followers(
    app, make_user, make_thread, count_queries
):
    for _ in range(25):
        follow(app, make_user())
    author = make_user()
    thread = make_thread(author=author)
    with app.test_request_context(), count_queries() as counter:
        posting.reply(thread, author, body="To everyone")
        db.session.commit()
    outbox_inserts = [s for s in counter.statements if s.startswith("INSERT INTO outbox")]
    assert len(outbox_inserts) == 1
    copies = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "post")
    )
    assert copies == 50
