"""What coordinators see and set of their board's mail: who follows it (names, never
addresses) and a footer added to every copy and digest."""

from sqlalchemy import select

from forum.boards.models import Role
from forum.db import utcnow
from forum.extensions import db
from forum.mail import digests, mail_context, subscriptions
from forum.mail.models import MailMode
from forum.moderation.models import LogAction, LogEntry
from tests.conftest import deliver
from tests.helpers import board, post_form, text_of

C5 = "/b/c5-building-confidence-and-security"
FOOTER = "C5 is moderated by its coordinators.\nRules: https://forum.example.org/rules"


def follow(app, user, code, mode, *, paused=False, bouncing=False) -> None:
    with app.test_request_context():
        subscriptions.set_board_mode(user, board(code), mode)
        settings = subscriptions.settings_of(user)
        settings.paused = paused
        settings.bouncing_since = utcnow() if bouncing else None
        db.session.commit()


def test_coordinators_see_who_follows_their_board_by_name_only(app, client, make_user, sign_in):
    people = {
        "Amina Diallo": (MailMode.EVERY_POST, {}),
        "Kwame Mensah": (MailMode.DAILY, {"paused": True}),
        "Sophie Martin": (MailMode.WEEKLY, {"bouncing": True}),
        "Ingrid Haugen": (MailMode.OFF, {}),
    }
    for name, (mode, state) in people.items():
        person = make_user(name=name, email=f"{name.split()[0].lower()}@example.org")
        follow(app, person, "C5", mode, **state)
    follow(app, make_user(name="Elsewhere Only"), "C6", MailMode.EVERY_POST)
    unconfirmed = make_user(name="Not Confirmed", verified=True)
    follow(app, unconfirmed, "C5", MailMode.EVERY_POST)
    unconfirmed.email_verified_at = None
    db.session.commit()

    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    assert f'href="{C5}/subscribers"' in text_of(client.get(C5))
    page = text_of(client.get(f"{C5}/subscribers"))
    rows = {name: page.split(name, 1)[1].split("</tr>", 1)[0] for name in people if name in page}
    assert set(rows) == {"Amina Diallo", "Kwame Mensah", "Sophie Martin"}
    assert "Every post" in rows["Amina Diallo"]
    assert "Receiving" in rows["Amina Diallo"]
    assert "Daily digest" in rows["Kwame Mensah"]
    assert "Paused by them" in rows["Kwame Mensah"]
    assert "Weekly digest" in rows["Sophie Martin"]
    assert "mail bounces since" in rows["Sophie Martin"]
    assert "Stopped" in page.split("Not Confirmed", 1)[1].split("</tr>", 1)[0]
    assert "Elsewhere Only" not in page
    for address in ("amina@", "kwame@", "sophie@", "@example.org"):
        assert address not in page, "no addresses on the roster"


def test_the_roster_is_closed_to_everyone_but_coordinators_and_admins(
    app, client, make_user, sign_in
):
    assert client.get(f"{C5}/subscribers").headers["Location"].startswith("/sign-in")
    for person in (make_user(), make_user(roles={"C5": Role.MEMBER}),
                   make_user(roles={"C6": Role.COORDINATOR})):  # fmt: skip
        sign_in(person)
        assert client.get(f"{C5}/subscribers").status_code == 403
        assert f'href="{C5}/subscribers"' not in text_of(client.get(C5))
        post_form(client, "/sign-out", {}, prefix="sign-out")
    sign_in(make_user(admin=True))
    assert client.get(f"{C5}/subscribers").status_code == 200


def test_a_board_footer_goes_into_copies_and_digests_and_the_log(
    app, client, smtp, make_user, make_thread, sign_in
):
    follow(app, make_user(email="copy@example.org"), "C5", MailMode.EVERY_POST)
    follow(app, make_user(email="digest@example.org"), "C5", MailMode.DAILY)
    sign_in(make_user(name="Coordinator Five", roles={"C5": Role.COORDINATOR}))
    settings = {"mode": "open", "mail_footer": FOOTER.replace("\n", "\r\n")}
    assert post_form(client, f"{C5}/settings", settings).status_code == 302
    db.session.expire_all()
    assert board("C5").mail_footer == FOOTER
    assert "C5 is moderated by its coordinators." in text_of(client.get(f"{C5}/settings"))
    log = text_of(client.get(f"{C5}/log"))
    assert "changed the footer of the board&#39;s mail" in log
    [entry] = db.session.scalars(
        select(LogEntry).where(LogEntry.action == LogAction.SET_MAIL_FOOTER)
    ).all()
    assert entry.board_id == board("C5").id

    make_thread("C5", title="With a footer")
    with mail_context(app):
        digests.queue_due("daily", force=True)
    deliver(app)
    [copy] = [m for m in smtp.received if m["To"] == "copy@example.org"]
    [digest] = [m for m in smtp.received if m["To"] == "digest@example.org"]
    for message in (copy, digest):
        for kind in ("plain", "html"):
            assert FOOTER in message.get_body((kind,)).get_content().replace("\r\n", "\n")


def test_a_footer_too_long_is_refused_with_the_text_kept(client, make_user, sign_in):
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    too_long = "Words of the footer. " * 60
    response = post_form(client, f"{C5}/settings", {"mode": "open", "mail_footer": too_long})
    assert response.status_code == 400
    assert "cannot be longer than 1000 characters" in text_of(response)
    assert too_long.strip() in text_of(response)
    db.session.expire_all()
    assert board("C5").mail_footer == ""
