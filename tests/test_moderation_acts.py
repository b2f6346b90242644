"""Flags, thread and post tools, bans, suspensions and roles, through the web."""

from datetime import timedelta

from sqlalchemy import func, select

from forum.accounts.models import User
from forum.boards.models import Role
from forum.db import utcnow
from forum.extensions import db
from forum.moderation.models import Flag, LogAction, LogEntry
from forum.posts.models import Post, PostStatus, Thread
from tests.helpers import PASSWORD, board, post_form, text_of

C5 = "/b/c5-building-confidence-and-security"


def _sign_out(client) -> None:
    post_form(client, "/sign-out", {}, prefix="sign-out")


def _logged(action: LogAction) -> list[LogEntry]:
    return list(db.session.scalars(select(LogEntry).where(LogEntry.action == action)))


def test_flags_hide_a_post_after_three_people_and_flaggers_learn_the_outcome(
    app, client, make_user, sign_in, make_thread
):
    author = make_user()
    thread = make_thread("C5", author=author, replies=1)
    reply = db.session.scalars(
        select(Post).where(Post.thread_id == thread.id).order_by(Post.id.desc())
    ).first()
    flaggers = [make_user() for _ in range(3)]
    for _number, flagger in enumerate(flaggers):
        sign_in(flagger)
        response = post_form(client, f"/p/{reply.id}/flag", {"reason": "spam"})
        assert response.status_code == 302
        _sign_out(client)
    db.session.expire_all()
    assert reply.status == PostStatus.HIDDEN
    assert "Reply number 1" not in text_of(client.get(f"/t/{thread.id}"))
    assert _logged(LogAction.AUTO_HIDE)[0].actor_id is None

    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    assert "Reply number 1" in text_of(client.get("/queue"))
    post_form(client, f"/p/{reply.id}/moderate", {"action": "keep", "reason": "Not spam"})
    db.session.expire_all()
    assert reply.status == PostStatus.PUBLISHED
    assert db.session.scalar(select(func.count()).where(Flag.resolved_at.is_(None))) == 0
    _sign_out(client)
    sign_in(flaggers[0])
    assert "the coordinators kept it" in text_of(client.get("/notices"))


def test_one_flag_per_person_and_never_ones_own(client, make_user, sign_in, make_thread):
    author = make_user()
    thread = make_thread("C5", author=author)
    sign_in(author)
    assert client.get(f"/p/{thread.first_post_id}/flag").status_code == 403
    _sign_out(client)
    sign_in(make_user())
    post_form(client, f"/p/{thread.first_post_id}/flag", {"reason": "off_topic"})
    second = post_form(client, f"/p/{thread.first_post_id}/flag", {"reason": "abusive"})
    assert second.status_code == 400
    assert "flagged this post already" in text_of(second)
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 1


def test_flag_other_needs_text(client, make_user, sign_in, make_thread):
    thread = make_thread("C5")
    sign_in(make_user())
    response = post_form(client, f"/p/{thread.first_post_id}/flag", {"reason": "other"})
    assert response.status_code == 400
    assert "Say what is wrong" in text_of(response)


def test_hide_and_unhide_with_reason(client, make_user, sign_in, make_thread):
    author = make_user()
    thread = make_thread("C5", author=author, replies=1)
    reply_id = thread.last_post_id
    coordinator = make_user(roles={"C5": Role.COORDINATOR})
    sign_in(coordinator)
    post_form(client, f"/p/{reply_id}/moderate", {"action": "hide", "reason": "Personal data"})
    db.session.expire_all()
    assert db.session.get(Post, reply_id).status == PostStatus.HIDDEN
    assert thread.post_count == 1
    assert "Personal data" in text_of(client.get(f"/t/{thread.id}"))
    _sign_out(client)
    assert "Reply number 1" not in text_of(client.get(f"/t/{thread.id}"))
    sign_in(author)
    assert "Personal data" in text_of(client.get(f"/t/{thread.id}")), "the author sees it, marked"
    _sign_out(client)
    sign_in(coordinator)
    post_form(client, f"/p/{reply_id}/moderate", {"action": "unhide", "reason": ""})
    db.session.expire_all()
    assert thread.post_count == 2


def test_lock_pin_rename_and_log(client, make_user, sign_in, make_thread):
    make_thread("C5", title="Older thread")
    thread = make_thread("C5", title="Original title")
    older = db.session.scalars(select(Thread).where(Thread.title == "Older thread")).one()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    post_form(client, f"/t/{older.id}/moderate", {"action": "pin"})
    post_form(client, f"/t/{thread.id}/moderate", {"action": "lock", "reason": "Decision taken"})
    post_form(
        client,
        f"/t/{thread.id}/moderate",
        {"action": "rename", "title": "Clearer title", "reason": ""},
    )
    page = text_of(client.get(C5))
    assert page.index("Older thread") < page.index("Clearer title"), "pinned first"
    again = post_form(client, f"/t/{thread.id}/moderate", {"action": "lock", "reason": ""})
    assert "locked already" in text_of(client.get(again.headers["Location"]))
    log = text_of(client.get(f"{C5}/log"))
    assert "locked a thread" in log
    assert "Decision taken" in log
    assert "“<bdi>Original title</bdi>” → “<bdi>Clearer title</bdi>”" in log
    assert len(_logged(LogAction.LOCK)) == 1


def test_move_only_between_moderated_boards(client, make_user, sign_in, make_thread):
    thread = make_thread("C5")
    c5_only = make_user(roles={"C5": Role.COORDINATOR})
    sign_in(c5_only)
    response = post_form(
        client, f"/t/{thread.id}/moderate", {"action": "move", "board": str(board("C6").id)}
    )
    assert response.status_code == 400, "C6 is not among the choices of a C5 coordinator"
    db.session.expire_all()
    assert thread.board_id == board("C5").id
    _sign_out(client)
    sign_in(make_user(roles={"C5": Role.COORDINATOR, "C6": Role.COORDINATOR}))
    post_form(client, f"/t/{thread.id}/moderate", {"action": "move", "board": str(board("C6").id)})
    db.session.expire_all()
    assert thread.board_id == board("C6").id
    assert board("C5").thread_count == 0
    assert board("C6").thread_count == 1
    assert (
        client.get(f"/p/{thread.first_post_id}")
        .headers["Location"]
        .endswith(f"/t/{thread.id}#p{thread.first_post_id}")
    )


def test_coordinator_of_another_board_cannot_act(client, make_user, sign_in, make_thread):
    thread = make_thread("C5")
    sign_in(make_user(roles={"C6": Role.COORDINATOR}))
    assert client.get(f"/t/{thread.id}/moderate").status_code == 403
    assert post_form(client, f"/t/{thread.id}/moderate", {"action": "lock"}).status_code == 403
    assert (
        post_form(
            client, f"/p/{thread.first_post_id}/moderate", {"action": "hide", "reason": "x"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Post, thread.first_post_id).status == PostStatus.PUBLISHED
    assert not thread.is_locked


def test_delete_thread_and_admin_restores(client, make_user, sign_in, make_thread):
    thread = make_thread("C5", title="To delete", replies=2)
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    post_form(client, f"/t/{thread.id}/moderate", {"action": "delete", "reason": "Duplicate"})
    db.session.expire_all()
    assert thread.is_deleted
    assert board("C5").thread_count == 0
    assert board("C5").post_count == 0
    assert client.get(f"/t/{thread.id}").status_code == 404
    _sign_out(client)
    sign_in(make_user(admin=True))
    assert "To delete" in text_of(client.get("/admin/deleted"))
    post_form(client, f"/t/{thread.id}/moderate", {"action": "restore"})
    db.session.expire_all()
    assert not thread.is_deleted
    assert board("C5").post_count == 3


def test_split_and_merge_keep_permalinks(client, make_user, sign_in, make_thread):
    thread = make_thread("C5", title="Long thread", replies=3)
    other = make_thread("C5", title="Other thread")
    replies = db.session.scalars(
        select(Post)
        .where(Post.thread_id == thread.id, Post.id != thread.first_post_id)
        .order_by(Post.id)
    ).all()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    client.post(
        f"/t/{thread.id}/moderate",
        data={
            "csrf_token": _token(client),
            "action": "split",
            "title": "Side topic",
            "post": [str(replies[1].id), str(replies[2].id)],
        },
    )
    new = db.session.scalars(select(Thread).where(Thread.title == "Side topic")).one()
    db.session.expire_all()
    assert (thread.post_count, new.post_count) == (2, 2)
    assert (
        client.get(f"/p/{replies[2].id}")
        .headers["Location"]
        .endswith(f"/t/{new.id}#p{replies[2].id}")
    )
    post_form(client, f"/t/{other.id}/moderate", {"action": "merge", "target": str(thread.id)})
    db.session.expire_all()
    assert thread.post_count == 3
    redirect = client.get(f"/t/{other.id}")
    assert redirect.status_code == 301
    assert redirect.headers["Location"].endswith(f"/t/{thread.id}")
    assert board("C5").thread_count == 2


def _token(client) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client)


def test_ban_stops_posting_on_that_board_only(client, make_user, sign_in, make_thread):
    thread = make_thread("C5")
    person = make_user(email="noisy@example.org")
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    post_form(
        client, f"{C5}/team/ban", {"email": "noisy@example.org", "reason": "Repeated insults"}
    )
    _sign_out(client)
    sign_in(person)
    page = text_of(client.get(f"/t/{thread.id}"))
    assert "stopped you posting here: Repeated insults" in page
    refused = post_form(client, f"/t/{thread.id}/reply", {"body": "Let me"})
    assert "Repeated insults" in text_of(refused)
    allowed = post_form(
        client, "/b/c6-enabling-environment/new", {"title": "Elsewhere", "body": "Fine"}
    )
    assert allowed.status_code == 302


def test_suspension_with_an_end_date(client, make_user, sign_in, make_thread):
    thread = make_thread("C5")
    person = make_user()
    admin = make_user(admin=True)
    sign_in(admin)
    until = (utcnow() + timedelta(days=3)).date().isoformat()
    post_form(
        client, f"/admin/people/{person.id}/suspend", {"reason": "Spam campaign", "until": until}
    )
    _sign_out(client)
    sign_in(person)
    assert "suspended until" in text_of(client.get(f"/t/{thread.id}"))
    db.session.get(User, person.id).suspended_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert post_form(client, f"/t/{thread.id}/reply", {"body": "Back"}).status_code == 302


def test_only_admins_suspend(client, make_user, sign_in):
    person = make_user()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    assert (
        post_form(client, f"/admin/people/{person.id}/suspend", {"reason": "x"}).status_code == 403
    )
    db.session.expire_all()
    assert not db.session.get(User, person.id).is_suspended


def test_coordinator_invites_an_email_only_member_who_claims_the_account(
    client, make_user, sign_in, outbox
):
    coordinator = make_user(roles={"CSB": Role.COORDINATOR})
    sign_in(coordinator)
    form = {
        "email": "bureau@example.org",
        "display_name": "Bureau Member",
        "organisation": "Caucus",
        "stakeholder_group": "civil_society",
    }
    assert post_form(client, "/b/civil-society-bureau/team/add", form).status_code == 302
    invited = db.session.scalars(select(User).where(User.email == "bureau@example.org")).one()
    assert invited.password_hash is None
    assert invited.is_verified
    assert "Bureau Member" in text_of(client.get("/b/civil-society-bureau"))
    assert {LogAction.INVITE, LogAction.GRANT} <= {
        e.action for e in db.session.scalars(select(LogEntry))
    }
    _sign_out(client)
    post_form(client, "/forgot-password", {"email": "bureau@example.org"})
    link = outbox()[-1].get_payload(decode=True).decode().split("http://forum.test")[1].split()[0]
    assert post_form(client, link, {"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    assert (
        post_form(
            client, "/b/civil-society-bureau/new", {"title": "Hello", "body": "Now on the web"}
        ).status_code
        == 302
    )


def test_coordinators_cannot_make_coordinators(client, make_user, sign_in):
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    person = make_user()
    response = post_form(
        client,
        "/admin/grant",
        {"email": person.email, "board": str(board("C5").id), "role": "coordinator"},
    )
    assert response.status_code == 403


def test_admin_grants_coordinator_on_the_web_and_cli(app, client, make_user, sign_in):
    admin = make_user(admin=True)
    person = make_user(email="itu@example.org")
    sign_in(admin)
    post_form(
        client,
        "/admin/grant",
        {
            "email": person.email,
            "board": str(board("C5").id),
            "role": "coordinator",
            "stakeholder_group": "intergovernmental",
        },
    )
    assert "Coordinator" in text_of(client.get(C5))
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "forum",
            "grant",
            "--board",
            "c6-enabling-environment",
            "--role",
            "coordinator",
            "itu@example.org",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "forum",
            "grant",
            "--board",
            "governmental-bureau",
            "--role",
            "member",
            "new@example.org",
            "--name",
            "New Delegate",
            "--group",
            "government",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Invited new@example.org" in result.output
    result = runner.invoke(
        args=[
            "forum",
            "revoke",
            "--board",
            "c5-building-confidence-and-security",
            "--role",
            "coordinator",
            "itu@example.org",
        ]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    roles = {(r.board.code, r.role) for r in db.session.get(User, person.id).board_roles}
    assert roles == {("C6", Role.COORDINATOR)}
    assert len(_logged(LogAction.GRANT)) == 3
    assert len(_logged(LogAction.REVOKE)) == 1


def test_moderation_mode_is_set_by_coordinators(client, make_user, sign_in):
    sign_in(make_user())
    assert client.get(f"{C5}/settings").status_code == 403
    _sign_out(client)
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    post_form(client, f"{C5}/settings", {"mode": "all"})
    db.session.expire_all()
    assert board("C5").moderation_mode == "all"
    assert "wait for a coordinator" in text_of(client.get(C5))


def test_flood_control_for_new_accounts_keeps_the_text(client, make_user, sign_in):
    sign_in(make_user())
    for number in range(3):
        assert (
            post_form(client, f"{C5}/new", {"title": f"T{number}", "body": "B"}).status_code == 302
        )
    response = post_form(client, f"{C5}/new", {"title": "Fourth", "body": "My fourth text"})
    assert response.status_code == 429
    assert "Wait" in text_of(response)
    assert "My fourth text" in text_of(response)


def test_every_moderation_page_renders(app, client, make_user, sign_in, make_thread):
    app.test_cli_runner().invoke(args=["forum", "demo"])
    admin = make_user(admin=True)
    thread = make_thread("C5", replies=2)
    sign_in(admin)
    pages = [
        "/queue",
        f"{C5}/queue",
        f"/t/{thread.id}/moderate",
        f"/p/{thread.last_post_id}/moderate",
        f"{C5}/team",
        f"{C5}/settings",
        f"{C5}/log",
        "/admin/",
        "/admin/?q=amina",
        f"/admin/people/{thread.author_id}",
        "/admin/deleted",
        "/moderation-log",
        "/notices",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    queue = text_of(client.get("/queue"))
    assert "Young people should be consulted" in queue, "the demo's held post"
    assert "Community radio" in queue, "the demo's flagged post"
