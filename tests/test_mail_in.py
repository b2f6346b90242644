"""Mail in, through a real LMTP session on loopback: posting and replying by email, what
is held, refused or ignored, moderation by email, bounces, and messages that are broken."""

from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from forum.accounts.models import StakeholderGroup
from forum.boards.models import ModerationMode, OutsideMail, Role
from forum.extensions import db
from forum.inbound import lmtp as lmtp_server
from forum.inbound import services
from forum.inbound.models import Bounce, InboundMessage, Outcome
from forum.inbound.parse import parse
from forum.mail import addresses, digests, mail_context, subscriptions
from forum.mail.models import MailKind, MailMode, MailSettings, OutboxMessage
from forum.posts.models import Post, PostSource, PostStatus
from tests.conftest import deliver
from tests.helpers import board, post_form, text_of
from tests.mailin import DOMAIN, email, last_record, latest_post, mta_verdict, send


def test_a_new_thread_by_email_keeps_its_message_id_and_raw_message(lmtp, make_user):
    make_user(email="kofi@example.org", name="Kofi Essien")
    body = "We should share the\nspectrum plans."
    message = email("Kofi Essien <kofi@example.org>", "Spectrum for rural areas", body,
                    message_id="<abc-1@example.org>")  # fmt: skip
    code, text = send(lmtp, message, to=f"c5@{DOMAIN}")
    assert code == 250
    assert b"posted" in text
    post = latest_post()
    assert post.thread.title == "Spectrum for rural areas"
    assert post.thread.board.code == "C5"
    assert post.source == PostSource.EMAIL
    assert post.message_id == "<abc-1@example.org>"
    assert "spectrum plans" in post.body_html
    record = last_record()
    assert record.outcome == Outcome.POSTED
    assert record.post_id == post.id
    assert b"Spectrum for rural areas" in record.raw


def test_a_reply_threads_by_in_reply_to_and_strips_the_quote(lmtp, make_user, make_thread):
    make_user(email="amina@example.org")
    thread = make_thread(title="Budgets")
    message = email(
        "amina@example.org", "Re: [C5] Budgets",
        "I agree.\n\n1. First\n2. Second\n\nOn Mon, 3 Mar 2026 at 10:00, Someone <\n"
        "someone@example.org> wrote:\n> the earlier text\n\n-- \nAmina\n",
        In_Reply_To=f"<post-{thread.first_post_id}@{DOMAIN}>",
    )  # fmt: skip
    assert send(lmtp, message, to=f"c5@{DOMAIN}")[0] == 250
    post = latest_post()
    assert post.thread_id == thread.id
    assert "<ol>" in post.body_html
    assert "earlier text" not in post.body_source
    assert "Amina" not in post.body_source
    assert "earlier text" in last_record().full_text, "moderators keep the whole original"


def test_replies_by_token_address_and_only_from_its_owner(app, lmtp, make_user, make_thread):
    thread = make_thread(title="Tokens")
    owner = make_user(email="owner@example.org")
    make_user(email="other@example.org")
    with app.test_request_context():
        address = addresses.reply_address(owner.id, thread.id)
    assert send(lmtp, email("owner@example.org", "anything", "By token"), to=address)[0] == 250
    assert latest_post().thread_id == thread.id
    send(lmtp, email("other@example.org", "anything", "Not mine"), to=address)
    assert last_record().outcome == Outcome.REFUSED


def test_a_reply_to_a_digest_finds_its_thread_or_tagged_board(app, lmtp, make_user, make_thread):
    reader = make_user(email="reader@example.org")
    with app.test_request_context():
        subscriptions.set_board_mode(reader, board("C5"), MailMode.DAILY)
        db.session.commit()
    thread = make_thread(title="Digest thread")
    with mail_context(app):
        digests.queue_due("daily", force=True)
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MailKind.DIGEST)
    ).one()
    with app.test_request_context():
        address = addresses.token_address("digest", reader.id, row.id)
    send(lmtp, email("reader@example.org", "Re: [C5] Digest thread", "Answer"), to=address)
    assert latest_post().thread_id == thread.id
    send(lmtp, email("reader@example.org", "Re: [C6] Something else", "New one"), to=address)
    assert latest_post().thread.board.code == "C6"
    assert latest_post().thread.title == "Something else"


def test_html_only_mail_loses_the_gmail_quote_and_keeps_lists(lmtp, make_user):
    make_user(email="html@example.org")
    message = EmailMessage()
    message["Authentication-Results"] = mta_verdict("html@example.org")
    message["From"], message["Subject"] = "html@example.org", "Formatted"
    message["Message-ID"] = "<html-1@example.org>"
    message.set_content(
        '<div dir="ltr"><p>New <b>point</b></p><ol><li>one</li><li>two</li></ol></div>'
        '<div class="gmail_quote"><div>On Mon wrote:</div><blockquote>old stuff</blockquote></div>',
        subtype="html",
    )
    send(lmtp, message, to=f"c5@{DOMAIN}")
    post = latest_post()
    assert "New point" in post.body_source
    assert "<ol>" in post.body_html
    assert "old stuff" not in post.body_source


@pytest.mark.parametrize(
    ("charset", "encoding", "text"),
    [
        ("utf-8", "quoted-printable", "Ça marche, très bien — ✓"),
        ("iso-8859-1", "quoted-printable", "Société de l'information à Genève"),
        ("koi8-r", "base64", "Информационное общество"),
        ("gb2312", "base64", "信息社会世界峰会"),
        ("utf-8", "base64", "مجتمع المعلومات"),
    ],
)
def test_bodies_in_any_charset_and_transfer_encoding(lmtp, make_user, charset, encoding, text):
    make_user(email="charset@example.org")
    part = MIMEText(text, "plain", charset)
    del part["Content-Transfer-Encoding"]
    payload = text.encode(charset)
    if encoding == "base64":
        import base64

        part.set_payload(base64.encodebytes(payload).decode())
    else:
        import quopri

        part.set_payload(quopri.encodestring(payload).decode())
    part["Content-Transfer-Encoding"] = encoding
    part["Authentication-Results"] = mta_verdict("charset@example.org")
    part["From"], part["Subject"] = "charset@example.org", f"Charset {charset}"
    part["Message-ID"] = f"<{charset}-{encoding}@example.org>"
    assert send(lmtp, part.as_bytes(), to=f"c5@{DOMAIN}", sender="charset@example.org")[0] == 250
    assert text in latest_post().body_source


def test_attachments_are_noted_not_published(lmtp, make_user):
    make_user(email="files@example.org")
    message = MIMEMultipart()
    message["Authentication-Results"] = mta_verdict("files@example.org")
    message["From"], message["Subject"] = "files@example.org", "Report attached"
    message["Message-ID"] = "<files-1@example.org>"
    message.attach(MIMEText("See the report.", "plain"))
    report = MIMEApplication(b"%PDF-1.4 secret bytes", Name="report.pdf")
    report["Content-Disposition"] = 'attachment; filename="report.pdf"'
    message.attach(report)
    send(lmtp, message.as_bytes(), to=f"c5@{DOMAIN}", sender="files@example.org")
    post = latest_post()
    assert "See the report." in post.body_source
    assert "report.pdf" in post.body_source
    assert "secret bytes" not in post.body_source


def test_people_without_posting_rights_are_refused_once_an_hour(app, outbox, lmtp, make_user):
    make_user(email="outsider@example.org")
    for number in range(2):
        send(lmtp, email("outsider@example.org", f"Bureau {number}", "Let me in"),
             to=f"csb@{DOMAIN}")  # fmt: skip
        record = last_record()
        assert record.outcome == Outcome.REFUSED
        assert record.reason
    answers = [m for m in outbox() if m["To"] == "outsider@example.org"]
    assert len(answers) == 1, "one explanation an hour"
    assert answers[0]["Auto-Submitted"] == "auto-replied"
    assert "Not posted" in answers[0]["Subject"]


def test_unknown_senders_are_refused_and_told_only_at_a_vouched_return_path(app, outbox, lmtp):
    send(lmtp, email("stranger@example.net", "Hello", "Who am I"), to=f"c5@{DOMAIN}")
    assert last_record().outcome == Outcome.REFUSED
    unvouched = email("unknown@example.com", "Hello", "Who", authenticated=False)
    send(lmtp, unvouched, to=f"c5@{DOMAIN}")
    assert last_record().outcome == Outcome.REFUSED
    recipients = {m["To"] for m in outbox()}
    assert "stranger@example.net" in recipients, "SPF passed for its return path"
    assert "unknown@example.com" not in recipients, "no backscatter to a return path unchecked"


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List_Id": f"<c5.{DOMAIN}>"},
    ],
)
def test_loops_and_robots_are_ignored(lmtp, make_user, headers):
    make_user(email="robot@example.org")
    send(lmtp, email("robot@example.org", "Out of office", "Away", **headers), to=f"c5@{DOMAIN}")
    assert last_record().outcome == Outcome.IGNORED
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_a_duplicate_message_id_is_ignored(lmtp, make_user):
    make_user(email="twice@example.org")
    message = email("twice@example.org", "Twice", "Sent twice", message_id="<dup-1@example.org>")
    send(lmtp, message, to=f"c5@{DOMAIN}")
    send(lmtp, message, to=f"c5@{DOMAIN}")
    assert last_record().outcome == Outcome.IGNORED
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_a_message_over_the_size_limit_is_refused_by_the_protocol(lmtp, make_user):
    make_user(email="big@example.org")
    message = email("big@example.org", "Huge", "x" * 100)
    raw = message.as_bytes() + (b"A" * 76 + b"\r\n") * (20 * 1024 * 1024 // 78)
    code, _text = send(lmtp, raw, to=f"c5@{DOMAIN}", sender="big@example.org")
    assert code == 552
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_unknown_recipients_are_refused_at_rcpt(lmtp):
    code, _text = send(lmtp, b"Subject: x\r\n\r\nx", to=f"nobody@{DOMAIN}")
    assert code == 550
    code, _text = send(lmtp, b"Subject: x\r\n\r\nx", to="c5@elsewhere.example")
    assert code == 550


MALFORMED = [
    b"",
    b"\x00\x00\x00",
    b"From: a@example.org\r\nSubject: no end of headers",
    b'From: broken@example.org\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n'
    b"--XX\r\nContent-Type: text/plain\r\n\r\nhalf a part",
    b"From: broken@example.org\r\nSubject: injected\r\nBcc: victim@example.org\r\n\r\nbody",
    b"From: broken@example.org\r\nSubject: =?utf-8?b?!!!invalid?=\r\n"
    b"Content-Type: text/plain; charset=unknown-8bit\r\n\r\n\xff\xfe body \x00 here",
    b"Content-Type: text/html\r\n\r\n<div><<<>>></blockquote></p>",
    b"From: <>\r\nMessage-ID: <<<>>>\r\nIn-Reply-To: garbage\r\n\r\nx",
]


def test_malformed_messages_each_get_an_outcome_and_the_server_keeps_answering(lmtp, make_user):
    make_user(email="broken@example.org")
    for raw in MALFORMED:
        code, _text = send(lmtp, raw, to=f"c5@{DOMAIN}", sender="broken@example.org")
        assert code == 250, raw
        assert last_record().outcome in set(Outcome) - {Outcome.FAILED}
    assert send(lmtp, email("broken@example.org", "Still here", "Yes"), to=f"c5@{DOMAIN}")[0] == 250


def test_a_message_that_crashes_the_parser_is_kept_and_retried_later(lmtp, make_user, monkeypatch):
    def explode(raw):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(services, "parse", explode)
    code, _text = send(lmtp, b"From: a@example.org\r\n\r\nbody", to=f"c5@{DOMAIN}",
                       sender="a@example.org")  # fmt: skip
    assert code == 451
    record = last_record()
    assert record.outcome == Outcome.FAILED
    assert "parser bug" in record.reason
    assert record.raw.startswith(b"From: a@example.org\r\n")
    assert record.raw.endswith(b"\r\n\r\nbody\r\n")


def test_dmarc_failure_through_a_personal_address_is_held(app, lmtp, make_user, make_thread):
    thread = make_thread(title="Personal")
    owner = make_user(email="spoofed@example.org")
    with app.test_request_context():
        address = addresses.reply_address(owner.id, thread.id)
    verdict = mta_verdict("spoofed@example.org", dmarc="fail")
    failed = email("spoofed@example.org", "Re: Personal", "x", authenticated=False,
                   Authentication_Results=verdict)  # fmt: skip
    send(lmtp, failed, to=address)
    assert last_record().outcome == Outcome.HELD
    assert latest_post().status == PostStatus.PENDING
    untrusted = email("spoofed@example.org", "Re: Personal", "y", authenticated=False,
                      Authentication_Results="mx.evil.example; dmarc=fail")  # fmt: skip
    send(lmtp, untrusted, to=address)
    assert last_record().outcome == Outcome.POSTED


def test_board_moderation_applies_and_coordinators_moderate_by_email(
    app, outbox, lmtp, make_user, make_thread
):
    board("C5").moderation_mode = ModerationMode.ALL
    db.session.commit()
    coordinator = make_user(email="coord@example.org", roles={"C5": Role.COORDINATOR})
    make_user(email="newbie@example.org")
    send(lmtp, email("newbie@example.org", "Held by email", "Please approve"), to=f"c5@{DOMAIN}")
    assert last_record().outcome == Outcome.HELD
    held = latest_post()
    [notice] = [m for m in outbox() if m["To"] == "coord@example.org"]
    assert "Please approve" in notice.get_payload(decode=True).decode()
    moderate = notice["Reply-To"]
    assert moderate.startswith("moderate+")
    send(lmtp, email("newbie@example.org", "Re: x", "approve"), to=moderate)
    assert last_record().outcome == Outcome.REFUSED, "only that coordinator"
    send(lmtp, email("coord@example.org", "Re: x", "approve\n\n> quoted"), to=moderate)
    assert last_record().outcome == Outcome.MODERATED
    db.session.expire_all()
    assert held.status == PostStatus.PUBLISHED
    assert coordinator.id == db.session.get(Post, held.id).moderated_by_id


def test_suspended_and_banned_people_are_refused(app, lmtp, make_user):
    make_user(email="suspended@example.org", suspended=True)
    send(lmtp, email("suspended@example.org", "Hi", "x"), to=f"c5@{DOMAIN}")
    assert last_record().outcome == Outcome.REFUSED
    make_user(email="banned@example.org", roles={"C5": Role.BANNED})
    send(lmtp, email("banned@example.org", "Hi", "y"), to=f"c5@{DOMAIN}")
    assert last_record().outcome == Outcome.REFUSED


def test_invited_members_post_by_email(app, lmtp, make_user):
    from forum.moderation import services as moderation

    admin = make_user(admin=True)
    with app.test_request_context():
        moderation.grant_role_by_email(
            board("CSB"), "invited@example.org", Role.MEMBER, admin,
            display_name="Invited Person", stakeholder_group=StakeholderGroup.CIVIL_SOCIETY,
        )  # fmt: skip
        db.session.commit()
    send(lmtp, email("invited@example.org", "Bureau business", "From my mail"),
         to=f"csb@{DOMAIN}")  # fmt: skip
    assert last_record().outcome == Outcome.POSTED
    assert latest_post().thread.board.code == "CSB"


def _dsn(recipient: str, status: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n"
        f"\r\nFinal-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        "--B--\r\n"
    ).encode()


def test_bounces_pause_mail_until_the_address_is_confirmed(
    app, client, outbox, lmtp, make_user, make_thread
):
    reader = make_user(email="gone@example.org")
    with app.test_request_context():
        subscriptions.set_board_mode(reader, board("C5"), MailMode.EVERY_POST)
        db.session.commit()
    for number in range(3):
        make_thread(title=f"Bounce {number}")
    deliver(app)
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == reader.id))
    with app.test_request_context():
        returns = [addresses.bounce_address(row.id) for row in rows]
    send(lmtp, _dsn("gone@example.org", "4.2.2"), to=returns[0], sender="")
    assert db.session.scalar(select(Bounce.kind)) == "soft"
    for address in returns:
        send(lmtp, _dsn("gone@example.org", "5.1.1"), to=address, sender="")
    db.session.expire_all()
    settings = db.session.get(MailSettings, reader.id)
    assert settings.bouncing_since is not None
    make_thread(title="After the bounces")
    warning = [
        m for m in outbox() if m["To"] == "gone@example.org" and "still work" in m["Subject"]
    ]
    assert len(warning) == 1
    assert not [m for m in outbox() if m["Subject"] == "[C5] After the bounces"]
    link = next(
        line
        for line in warning[0].get_payload(decode=True).decode().split()
        if "/mail/confirm" in line
    )
    assert client.post(link).status_code == 200
    db.session.expire_all()
    assert db.session.get(MailSettings, reader.id).bouncing_since is None


def test_flask_mail_receive_answers_with_sysexits(app, make_user):
    make_user(email="pipe@example.org")
    runner = app.test_cli_runner()
    message = email("pipe@example.org", "By pipe", "Through the pipe transport", To=f"c5@{DOMAIN}")
    message = message.as_bytes()
    result = runner.invoke(args=["mail", "receive", "--sender", "pipe@example.org",
                                 "--recipient", f"c5@{DOMAIN}"], input=message)  # fmt: skip
    assert result.exit_code == 0
    assert latest_post().thread.title == "By pipe"
    result = runner.invoke(
        args=["mail", "receive", "--recipient", f"nobody@{DOMAIN}"], input=message
    )
    assert result.exit_code == 67


def test_admin_sees_received_mail_with_outcomes(app, lmtp, client, make_user, sign_in):
    make_user(email="seen@example.org")
    send(lmtp, email("seen@example.org", "Visible to admins", "x"), to=f"c5@{DOMAIN}")
    send(lmtp, email("nobody@example.net", "Refused one", "y"), to=f"c5@{DOMAIN}")
    sign_in(make_user(admin=True))
    page = text_of(client.get("/admin/mail/received"))
    assert "Visible to admins" in page
    assert "Posted" in page
    assert "Refused" in page
    record = last_record()
    assert client.get(f"/admin/mail/received/{record.id}").status_code == 200


def test_moderators_see_the_whole_original_email(app, lmtp, client, make_user, sign_in):
    make_user(email="orig@example.org")
    send(lmtp, email("orig@example.org", "With quote", "New text\n\n> old quoted text"),
         to=f"c5@{DOMAIN}")  # fmt: skip
    post = latest_post()
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    page = text_of(client.get(f"/p/{post.id}/moderate"))
    assert "old quoted text" in page


_header_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    subject=_header_text,
    body=st.binary(max_size=400),
    content_type=st.sampled_from(["text/plain", "text/html", "multipart/mixed", "application/x-y"]),
    charset=st.sampled_from(["utf-8", "latin-1", "koi8-r", "gb2312", "bogus", ""]),
    extra=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "In-Reply-To",
                    "References",
                    "Auto-Submitted",
                    "Precedence",
                    "Message-ID",
                    "Sender",
                ]
            ),
            _header_text,
        ),
        max_size=4,
    ),
)
def test_generated_messages_never_break_the_parser_or_the_intake(
    app, subject, body, content_type, charset, extra
):
    lines = [b"From: fuzz@example.org", b"Subject: " + subject.encode("utf-8", "replace")]
    lines.append(f"Content-Type: {content_type}; charset={charset}".encode())
    lines += [f"{name}: {value}".encode("utf-8", "replace") for name, value in extra]
    raw = b"\r\n".join(line.replace(b"\r", b"").replace(b"\n", b"") for line in lines)
    raw += b"\r\n\r\n" + body
    parse(raw)
    answer = lmtp_server.deliver(app, raw, envelope_from="fuzz@example.org",
                                 recipient=f"c5@{DOMAIN}")  # fmt: skip
    assert answer.exit_code == 0, answer.status
    db.session.rollback()


def test_flood_control_counts_mail_like_the_web(lmtp, make_user):
    make_user(email="eager@example.org")
    outcomes = []
    for number in range(4):
        send(lmtp, email("eager@example.org", f"Thread {number}", "Text"), to=f"c5@{DOMAIN}")
        outcomes.append(last_record().outcome)
    assert outcomes == [Outcome.POSTED] * 3 + [Outcome.REFUSED]
    assert "faster than this forum allows" in last_record().reason


def test_a_board_can_hold_mail_from_people_who_may_not_post_there(
    app, client, lmtp, make_user, sign_in
):
    coordinator = make_user(roles={"CSB": Role.COORDINATOR})
    sign_in(coordinator)
    response = post_form(
        client,
        "/b/civil-society-bureau/settings",
        {"mode": "open", "outside_mail": "hold_accounts"},
    )
    assert response.status_code == 302
    assert board("CSB").outside_mail == OutsideMail.HOLD_ACCOUNTS
    make_user(email="outsider@example.org")
    send(lmtp, email("outsider@example.org", "For the bureau", "Please consider"),
         to=f"csb@{DOMAIN}")  # fmt: skip
    record = last_record()
    assert record.outcome == Outcome.HELD
    assert "may not post here" in record.reason
    assert latest_post().status == PostStatus.PENDING
    make_user(email="banned@example.org", roles={"CSB": Role.BANNED})
    send(lmtp, email("banned@example.org", "Again", "Let me"), to=f"csb@{DOMAIN}")
    assert last_record().outcome == Outcome.REFUSED, "bans still hold"
    log = text_of(client.get("/b/civil-society-bureau/log"))
    assert "Hold it for the coordinators when it comes from a confirmed account" in log
