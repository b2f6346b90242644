"""A board as a Mailman list, through real LMTP sessions on loopback and the pipe: one
message to several boards, `-request@`, `-join@`, `-leave@` and `-owner@`, and mail
from addresses with no account held for the coordinators (non-member policy)."""

from collections.abc import Callable

from sqlalchemy import func, select

from forum.accounts.models import User
from forum.boards.models import OutsideMail, Role
from forum.extensions import db
from forum.inbound.models import InboundMessage, Outcome
from forum.mail import subscriptions
from forum.mail.models import MailMode
from forum.posts.models import Post, PostStatus
from tests.helpers import board, post_form, text_of
from tests.mailin import DOMAIN, email, last_record, latest_post, send, send_to_many


def mail_to(outbox: Callable, address: str) -> list:
    return [m for m in outbox() if m["To"] == address]


def body_of(message) -> str:
    return message.get_payload(decode=True).decode()


def mode_of(address: str, code: str) -> MailMode:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == address))
    return subscriptions.board_mode(user, board(code))


# One message, several boards -------------------------------------------------------------


def test_a_message_to_two_boards_is_a_thread_on_each_linked_to_the_other(client, lmtp, make_user):
    make_user(email="both@example.org")
    message = email("both@example.org", "Shared agenda", "For both action lines.",
                    message_id="<shared-1@example.org>", Cc=f"c6@{DOMAIN}")  # fmt: skip
    answers = send_to_many(lmtp, message, to=[f"c5@{DOMAIN}", f"c6@{DOMAIN}"])
    assert [code for code, _text in answers] == [250, 250]
    records = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [r.outcome for r in records] == [Outcome.POSTED, Outcome.POSTED]
    c5_post, c6_post = (db.session.get(Post, r.post_id) for r in records)
    assert (c5_post.thread.board.code, c6_post.thread.board.code) == ("C5", "C6")
    assert (c5_post.message_id, c6_post.message_id) == ("<shared-1@example.org>", None)
    c5_page = text_of(client.get(f"/t/{c5_post.thread_id}"))
    c6_page = text_of(client.get(f"/t/{c6_post.thread_id}"))
    assert "Also posted in" in c5_page
    assert f"/t/{c6_post.thread_id}" in c5_page
    assert f"/t/{c5_post.thread_id}" in c6_page

    reply = email("both@example.org", "Re: Shared agenda", "Answer on C6 only",
                  In_Reply_To="<shared-1@example.org>")  # fmt: skip
    send(lmtp, reply, to=f"c6@{DOMAIN}")
    assert latest_post().thread_id == c6_post.thread_id
    send(lmtp, message, to=f"c5@{DOMAIN}")
    assert last_record().outcome == Outcome.IGNORED, "the same copy again is a duplicate"


def test_a_copy_to_a_board_the_sender_may_not_post_to_is_refused_and_answered(
    outbox, lmtp, make_user
):
    make_user(email="member@example.org")
    message = email("member@example.org", "Two places", "Text", message_id="<two-2@example.org>")
    send_to_many(lmtp, message, to=[f"c5@{DOMAIN}", f"csb@{DOMAIN}"])
    outcomes = db.session.scalars(select(InboundMessage.outcome).order_by(InboundMessage.id))
    assert list(outcomes) == [Outcome.POSTED, Outcome.REFUSED]
    [answer] = mail_to(outbox, "member@example.org")
    assert f"csb@{DOMAIN}" in body_of(answer)


def test_an_unauthenticated_message_to_two_boards_asks_once_and_posts_both(
    client, outbox, lmtp, make_user
):
    make_user(email="plain@example.org")
    message = email("plain@example.org", "Unsigned twice", "Both", authenticated=False,
                    message_id="<unsigned-2@example.org>")  # fmt: skip
    send_to_many(lmtp, message, to=[f"c5@{DOMAIN}", f"c6@{DOMAIN}"])
    [asked] = mail_to(outbox, "plain@example.org")
    link = next(w for w in body_of(asked).split() if "/mail/confirm-post/" in w)
    assert post_form(client, link, {}).status_code == 200
    boards = db.session.scalars(select(Post).order_by(Post.id)).all()
    assert sorted(p.thread.board.code for p in boards) == ["C5", "C6"]


# -request@, -join@, -leave@ --------------------------------------------------------------


def test_request_commands_subscribe_change_and_unsubscribe_with_an_answer(outbox, lmtp, make_user):
    make_user(email="reader@example.org")
    request = f"c5-request@{DOMAIN}"
    send(lmtp, email("reader@example.org", "subscribe", ""), to=request)
    assert last_record().outcome == Outcome.ANSWERED
    assert mode_of("reader@example.org", "C5") == MailMode.EVERY_POST
    send(lmtp, email("reader@example.org", "Re: x", "subscribe digest weekly\nthanks"), to=request)
    assert mode_of("reader@example.org", "C5") == MailMode.WEEKLY
    send(lmtp, email("reader@example.org", "", "help\nunsubscribe"), to=request)
    assert mode_of("reader@example.org", "C5") == MailMode.OFF
    answers = mail_to(outbox, "reader@example.org")
    assert len(answers) == 3
    assert all("results of your email commands" in a["Subject"] for a in answers)
    assert "every post of C5" in body_of(answers[0])
    assert "weekly digest" in body_of(answers[1])
    last = body_of(answers[2])
    assert f"c5-join@{DOMAIN}" in last
    assert "subscribe digest daily" in last
    assert "no more email from C5" in last


def test_join_from_an_unauthenticated_sender_waits_for_a_reply_confirming_it(
    outbox, lmtp, make_user
):
    make_user(email="joiner@example.org")
    join = email("joiner@example.org", "", "", authenticated=False)
    send(lmtp, join, to=f"c6-join@{DOMAIN}", sender="attacker@elsewhere.example")
    assert last_record().outcome == Outcome.UNCONFIRMED
    assert mode_of("joiner@example.org", "C6") == MailMode.OFF, "a forged join changes nothing"
    [asked] = [m for m in mail_to(outbox, "joiner@example.org") if "Confirm" in m["Subject"]]
    assert asked["Reply-To"].startswith("confirm+")
    reply = email("joiner@example.org", f"Re: {asked['Subject']}", "yes", authenticated=False)
    send(lmtp, reply, to=asked["Reply-To"])
    assert last_record().outcome == Outcome.CONFIRMED
    assert mode_of("joiner@example.org", "C6") == MailMode.EVERY_POST


def test_leave_is_at_once_when_authenticated_and_confirmed_otherwise(outbox, lmtp, make_user):
    for address in ("leaver@example.org", "victim@example.org"):
        user = make_user(email=address)
        subscriptions.set_board_mode(user, board("C5"), MailMode.DAILY)
    db.session.commit()
    send(lmtp, email("leaver@example.org", "", "bye"), to=f"c5-leave@{DOMAIN}")
    assert mode_of("leaver@example.org", "C5") == MailMode.OFF
    forged = email("victim@example.org", "", "", authenticated=False)
    send(lmtp, forged, to=f"c5-leave@{DOMAIN}", sender="prankster@elsewhere.example")
    assert mode_of("victim@example.org", "C5") == MailMode.DAILY
    assert any("Confirm" in m["Subject"] for m in mail_to(outbox, "victim@example.org"))


def test_a_subscription_by_email_from_an_address_without_account_invites_it(client, outbox, lmtp):
    send(lmtp, email("New Reader <newcomer@example.net>", "subscribe digest daily", ""),
         to=f"c5-request@{DOMAIN}")  # fmt: skip
    assert last_record().outcome == Outcome.UNCONFIRMED
    assert db.session.scalar(select(User).where(User.email == "newcomer@example.net")) is None
    [asked] = [m for m in mail_to(outbox, "newcomer@example.net") if "Confirm" in m["Subject"]]
    assert "email-only account" in body_of(asked)
    link = next(w for w in body_of(asked).split() if "/mail/confirm-post/" in w)
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm this request?" in text_of(page)
    assert "Done:" in text_of(post_form(client, link, {}))
    newcomer = db.session.scalar(select(User).where(User.email == "newcomer@example.net"))
    assert newcomer.display_name == "New Reader"
    assert newcomer.is_verified
    assert newcomer.password_hash is None
    assert mode_of("newcomer@example.net", "C5") == MailMode.DAILY
    assert any("results" in m["Subject"] for m in mail_to(outbox, "newcomer@example.net"))


def test_commands_work_through_the_pipe_too(app, make_user):
    make_user(email="piper@example.org")
    runner = app.test_cli_runner()
    request = f"c7-egov-request@{DOMAIN}"
    message = email("piper@example.org", "subscribe digest daily", "", To=request).as_bytes()
    result = runner.invoke(args=["mail", "receive", "--sender", "piper@example.org",
                                 "--recipient", request], input=message)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert mode_of("piper@example.org", "C7-EGOV") == MailMode.DAILY
    result = runner.invoke(args=["mail", "receive", "--sender", "piper@example.org",
                                 "--recipient", f"c5-owner@{DOMAIN}"], input=message)  # fmt: skip
    assert result.exit_code == 0
    assert last_record().outcome in {Outcome.FORWARDED, Outcome.IGNORED}


# -owner@ ----------------------------------------------------------------------------------


def test_the_owner_address_reaches_the_boards_coordinators(outbox, lmtp, make_user):
    make_user(email="coord5@example.org", roles={"C5": Role.COORDINATOR})
    make_user(email="coord6@example.org", roles={"C6": Role.COORDINATOR})
    message = email("Visitor <visitor@example.net>", "A question for the facilitators",
                    "Who runs this?", authenticated=False)  # fmt: skip
    assert send(lmtp, message, to=f"c5-owner@{DOMAIN}")[0] == 250
    assert last_record().outcome == Outcome.FORWARDED
    [forwarded] = mail_to(outbox, "coord5@example.org")
    assert "Who runs this?" in body_of(forwarded)
    assert forwarded["Reply-To"] == "visitor@example.net"
    assert "/admin/" not in body_of(forwarded)
    assert not mail_to(outbox, "coord6@example.org")


def test_owner_mail_of_a_board_without_coordinators_goes_to_the_admins_loops_nowhere(
    outbox, lmtp, make_user
):
    make_user(email="admin@example.org", admin=True)
    send(lmtp, email("visitor@example.net", "Anyone?", "Hello"), to=f"c9-owner@{DOMAIN}")
    assert last_record().outcome == Outcome.FORWARDED
    assert len(mail_to(outbox, "admin@example.org")) == 1
    echo = email("visitor@example.net", "Echo", "x", List_Id=f"<c9.{DOMAIN}>")
    send(lmtp, echo, to=f"c9-owner@{DOMAIN}")
    assert last_record().outcome == Outcome.IGNORED
    assert len(mail_to(outbox, "admin@example.org")) == 1


# Non-members ------------------------------------------------------------------------------


def _hold_all(client, make_user, sign_in):
    coordinator = make_user(email="coord@example.org", roles={"C5": Role.COORDINATOR})
    sign_in(coordinator)
    slug = board("C5").slug
    response = post_form(
        client, f"/b/{slug}/settings", {"mode": "open", "outside_mail": "hold_all"}
    )
    assert response.status_code == 302
    assert board("C5").outside_mail == OutsideMail.HOLD_ALL
    return coordinator, slug


def test_mail_from_an_address_without_account_waits_and_a_coordinator_accepts_it(
    client, outbox, lmtp, make_user, sign_in
):
    coordinator, slug = _hold_all(client, make_user, sign_in)
    log = text_of(client.get(f"/b/{slug}/log"))
    assert "Hold it for the coordinators, also from addresses with no account" in log
    message = email("Guest Speaker <guest@example.net>", "A word from outside", "Hello all.")
    send(lmtp, message, to=f"c5@{DOMAIN}")
    record = last_record()
    assert record.outcome == Outcome.HELD
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0
    [told] = mail_to(outbox, "guest@example.net")
    assert "waits for the coordinators" in body_of(told)
    assert "> Hello all." in body_of(told)
    assert "guest@example.net" in text_of(client.get(f"/b/{slug}/queue"))
    [notice] = mail_to(outbox, "coord@example.org")
    assert "Guest Speaker, who has no account, waits for your decision" in body_of(notice)

    response = post_form(client, f"/queue/mail/{record.id}", {"action": "accept"})
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(InboundMessage, record.id)
    assert record.outcome == Outcome.POSTED
    post = db.session.get(Post, record.post_id)
    assert post.status == PostStatus.PUBLISHED
    assert post.author.email == "guest@example.net"
    assert post.author.display_name == "Guest Speaker"
    assert post.author.password_hash is None
    assert post.author.invited_by_id == coordinator.id
    assert "guest@example.net" not in text_of(client.get(f"/b/{slug}/queue"))


def test_a_coordinator_discards_held_mail_and_unauthenticated_senders_confirm_first(
    client, outbox, lmtp, make_user, sign_in
):
    _coordinator, slug = _hold_all(client, make_user, sign_in)
    unsigned = email("stranger@example.net", "Unsigned", "Please post", authenticated=False)
    send(lmtp, unsigned, to=f"c5@{DOMAIN}", sender="stranger@example.net")
    record = last_record()
    assert record.outcome == Outcome.UNCONFIRMED, "the address confirms before it is held"
    [asked] = mail_to(outbox, "stranger@example.net")
    send(lmtp, email("stranger@example.net", "Re: x", "yes", authenticated=False),
         to=asked["Reply-To"])  # fmt: skip
    db.session.expire_all()
    assert db.session.get(InboundMessage, record.id).outcome == Outcome.HELD
    [told] = [m for m in mail_to(outbox, "stranger@example.net") if "Waiting" in m["Subject"]]
    assert "Please post" in body_of(told)
    response = post_form(client, f"/queue/mail/{record.id}", {"action": "discard"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(InboundMessage, record.id).outcome == Outcome.IGNORED
    assert db.session.scalar(select(User).where(User.email == "stranger@example.net")) is None
    assert "discarded mail from an address with no account" in text_of(client.get(f"/b/{slug}/log"))


def test_only_the_boards_coordinators_act_on_its_held_mail(client, lmtp, make_user, sign_in):
    board("C5").outside_mail = OutsideMail.HOLD_ALL
    db.session.commit()
    send(lmtp, email("guest@example.net", "Held", "Text"), to=f"c5@{DOMAIN}")
    record = last_record()
    sign_in(make_user(roles={"C6": Role.COORDINATOR}))
    assert post_form(client, f"/queue/mail/{record.id}", {"action": "accept"}).status_code == 403
    assert last_record().outcome == Outcome.HELD


def test_a_claimed_message_id_links_nothing_into_someone_elses_post(client, lmtp, make_user):
    make_user(email="author@example.org")
    make_user(email="copier@example.org")
    original = email("author@example.org", "Original", "Mine.", message_id="<own-1@example.org>")
    send(lmtp, original, to=f"c5@{DOMAIN}")
    first = latest_post()
    copy = email("copier@example.org", "Copy", "Not a copy.", message_id="<own-1@example.org>")
    send(lmtp, copy, to=f"c6@{DOMAIN}")
    assert last_record().outcome == Outcome.POSTED
    db.session.expire_all()
    assert "Also posted in" not in db.session.get(Post, first.id).body_source
    assert "Also posted in" not in latest_post().body_source


def test_a_request_with_a_line_of_signs_is_read_not_failed(lmtp, outbox, make_user):
    make_user(email="ruler@example.org")
    message = email("ruler@example.org", "commands", "=====\nsubscribe digest weekly\n=====")

    code, _text = send(lmtp, message, to=f"c5-request@{DOMAIN}")

    assert code == 250
    assert last_record().outcome != Outcome.FAILED
    assert mode_of("ruler@example.org", "C5") == MailMode.WEEKLY


def test_the_forums_own_forward_coming_back_is_not_forwarded_again(lmtp, outbox, make_user):
    make_user(email="coord5@example.org", roles={"C5": Role.COORDINATOR})
    outbox()
    came_back = email(f"WSIS Forum <forum@{DOMAIN}>", "[c5-owner@forum.example.org] Hello",
                      "Forwarded before", message_id=f"<outbox-77@{DOMAIN}>")  # fmt: skip

    send(lmtp, came_back, to=f"c5-owner@{DOMAIN}", sender=f"bounces+1.x@{DOMAIN}")

    assert last_record().outcome == Outcome.IGNORED
    assert not mail_to(outbox, "coord5@example.org")


def test_joining_a_members_only_list_by_email_makes_no_account(lmtp, outbox):
    message = email("curious@example.net", "join", "", authenticated=False)

    send(lmtp, message, to=f"coord-join@{DOMAIN}")

    assert last_record().outcome == Outcome.REFUSED
    assert not [m for m in mail_to(outbox, "curious@example.net") if "Confirm" in m["Subject"]]
    assert db.session.scalar(select(User).where(User.email == "curious@example.net")) is None
