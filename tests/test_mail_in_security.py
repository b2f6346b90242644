"""Mail in, as an attacker would try it, through a real LMTP session on loopback: claimed
Message-IDs, forged senders and verdicts, DKIM checked here, confirmation of mail whose
sender could not be authenticated, messages that must not be retried for ever, auto-
replies, several senders and backscatter."""

import base64
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from forum.boards.models import ModerationMode, Role
from forum.db import utcnow
from forum.extensions import db
from forum.inbound import services
from forum.inbound.models import InboundMessage, Outcome
from forum.mail import addresses
from forum.posts.models import Post, PostStatus
from tests.helpers import board, post_form, text_of
from tests.mailin import DOMAIN, email, last_record, latest_post, mta_verdict, send


def post_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Post))


def mail_to(outbox: Callable, address: str) -> list:
    return [m for m in outbox() if m["To"] == address]


def body_of(message) -> str:
    return message.get_payload(decode=True).decode()


def link_in(message, path: str) -> str:
    return next(word for word in body_of(message).split() if path in word)


# 1. Message-IDs of the forum's own domain --------------------------------------------------


def test_a_claimed_forum_message_id_cannot_pull_members_only_replies_into_a_public_thread(
    client, lmtp, make_user, make_thread
):
    member = make_user(email="member@example.org", roles={"COORD": Role.MEMBER})
    private = make_thread("COORD", author=member, title="Coordinators only")
    claimed = f"<post-{private.first_post_id}@{DOMAIN}>"
    make_user(email="attacker@example.org")
    bait = email("attacker@example.org", "Harmless", "Hello all", message_id=claimed)
    assert send(lmtp, bait, to=f"c1@{DOMAIN}")[0] == 250
    public = latest_post()
    assert public.thread.board.code == "C1"
    reply = email("member@example.org", "Re: Coordinators only", "Confidential plans",
                  In_Reply_To=claimed)  # fmt: skip
    send(lmtp, reply, to=f"coord@{DOMAIN}")
    page = text_of(client.get(f"/t/{public.thread_id}"))
    assert "Hello all" in page
    assert "Confidential plans" not in page
    assert latest_post().thread_id == private.id
    assert public.message_id != claimed, "the post takes its own Message-ID"
    kept = select(InboundMessage.message_id).where(InboundMessage.post_id == public.id)
    assert db.session.scalar(kept) == claimed, "the sender's is kept with the message"


def test_a_reply_sent_to_a_board_goes_only_into_a_thread_of_that_board(
    lmtp, make_user, make_thread
):
    member = make_user(email="both@example.org", roles={"COORD": Role.MEMBER})
    private = make_thread("COORD", author=member, title="Private")
    reply = email("both@example.org", "Re: Private", "Meant for C1",
                  In_Reply_To=f"<post-{private.first_post_id}@{DOMAIN}>")  # fmt: skip
    send(lmtp, reply, to=f"c1@{DOMAIN}")
    post = latest_post()
    assert post.thread.board.code == "C1"
    assert post.thread_id != private.id


def test_a_forum_message_id_stored_before_gives_way_to_the_posts_own(
    client, lmtp, make_user, make_thread
):
    target = make_thread(title="The real one")
    squatter = make_thread("C1", title="Squatter")
    claimed = f"<post-{target.first_post_id}@{DOMAIN}>"
    db.session.get(Post, squatter.first_post_id).message_id = claimed
    db.session.commit()
    mbox = text_of(client.get(f"/t/{squatter.id}.mbox"))
    assert f"<post-{squatter.first_post_id}@{DOMAIN}>" in mbox
    assert claimed not in mbox
    make_user(email="replier@example.org")
    send(lmtp, email("replier@example.org", "Re: x", "To the real one", In_Reply_To=claimed),
         to=f"c5@{DOMAIN}")  # fmt: skip
    assert latest_post().thread_id == target.id


# 2. Who sent it ---------------------------------------------------------------------------


def test_a_forged_from_with_a_matching_return_path_domain_only_asks_the_real_owner(
    outbox, lmtp, make_user
):
    make_user(email="victim@example.org", name="Victim")
    forged = email("victim@example.org", "I resign", "Forged words", authenticated=False)
    code, text = send(lmtp, forged, to=f"c5@{DOMAIN}", sender="attacker@example.org")
    assert code == 250
    assert b"unconfirmed" in text
    assert post_count() == 0
    record = last_record()
    assert record.outcome == Outcome.UNCONFIRMED
    assert record.confirm_by is not None
    [asked] = mail_to(outbox, "victim@example.org")
    assert "Post this message? Confirm or ignore" in asked["Subject"]
    assert "Forged words" in body_of(asked)
    assert asked["Reply-To"].startswith("confirm+")
    assert not mail_to(outbox, "attacker@example.org")


@pytest.mark.parametrize(
    "headers",
    [
        [
            f"{DOMAIN}; spf=fail smtp.mailfrom=example.org; dkim=none; dmarc=fail "
            "header.from=example.org",
            f"{DOMAIN}; dmarc=pass header.from=example.org",
        ],
        ["mx.elsewhere.example; dmarc=none", mta_verdict("victim@example.org")],
    ],
    ids=["below-the-mtas-own", "below-another-hosts"],
)
def test_forged_authentication_results_lower_in_the_message_are_ignored(
    outbox, lmtp, make_user, headers
):
    make_user(email="victim@example.org")
    message = email("victim@example.org", "Forged verdict", "Believe me", authenticated=False)
    on_top = "".join(f"Authentication-Results: {value}\r\n" for value in headers)
    forged = on_top.encode() + message.as_bytes()
    send(lmtp, forged, to=f"c5@{DOMAIN}")
    assert last_record().outcome == Outcome.UNCONFIRMED
    assert post_count() == 0


@pytest.mark.parametrize(
    ("verdict", "outcome"),
    [
        ("dmarc=pass header.from=example.org", "posted"),
        ("dkim=pass header.d=example.org", "posted"),
        ("dkim=pass header.i=@example.org", "posted"),
        ("dkim=pass header.d=elsewhere.example", "unconfirmed"),
        ("dmarc=pass header.from=elsewhere.example", "unconfirmed"),
        ("spf=pass smtp.mailfrom=example.org", "unconfirmed"),
        ("dmarc=fail header.from=example.org", "unconfirmed"),
    ],
)
def test_only_a_dmarc_or_aligned_dkim_pass_from_the_mta_posts_at_once(
    lmtp, make_user, verdict, outcome
):
    make_user(email="writer@example.org")
    message = email("writer@example.org", "Verdicts", "Text", authenticated=False,
                    Authentication_Results=f"{DOMAIN.upper()}; {verdict}")  # fmt: skip
    send(lmtp, message, to=f"c5@{DOMAIN}")
    assert last_record().outcome == outcome
    assert post_count() == (1 if outcome == "posted" else 0)


@pytest.fixture
def dkim_keys(app, monkeypatch) -> Callable[[str], bytes]:
    """A test RSA key published (to the forum's DKIM check alone) for each domain asked;
    returns the private key in PEM. No real DNS query is made."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    published: dict[str, bytes] = {}

    def lookup(name: bytes | str, timeout: float = 5) -> bytes | None:
        name = name.decode() if isinstance(name, bytes) else name
        return published.get(name.rstrip(".").lower())

    monkeypatch.setitem(app.extensions, "dkim_dns", lookup)

    def publish(domain: str) -> bytes:
        published[f"test._domainkey.{domain}"] = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
        return pem

    return publish


def signed(message: EmailMessage, domain: str, key: bytes, **options: object) -> bytes:
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    signature = dkim.sign(
        raw, b"test", domain.encode(), key,
        include_headers=[b"from", b"to", b"subject", b"message-id"], **options,
    )  # fmt: skip
    return signature + raw


def test_dkim_verified_here_posts_at_once(lmtp, make_user, dkim_keys):
    make_user(email="signed@example.org")
    message = email("signed@example.org", "Signed", "Signed text", authenticated=False,
                    To=f"c5@{DOMAIN}")  # fmt: skip
    raw = signed(message, "example.org", dkim_keys("example.org"))
    send(lmtp, raw, to=f"c5@{DOMAIN}", sender="signed@example.org")
    record = last_record()
    assert record.outcome == Outcome.POSTED
    assert record.authenticated_by == "dkim"


@pytest.mark.parametrize("flaw", ["altered", "other-domain", "body-length"])
def test_dkim_that_does_not_vouch_for_the_from_waits_for_confirmation(
    lmtp, make_user, dkim_keys, flaw
):
    make_user(email="signed@example.org")
    message = email("signed@example.org", "Signed", "Signed text", authenticated=False,
                    To=f"c5@{DOMAIN}")  # fmt: skip
    if flaw == "other-domain":
        raw = signed(message, "elsewhere.example", dkim_keys("elsewhere.example"))
    else:
        raw = signed(message, "example.org", dkim_keys("example.org"),
                     length=flaw == "body-length")  # fmt: skip
    if flaw in {"altered", "body-length"}:
        raw += b"\r\nAnd a line added on the way.\r\n"
    send(lmtp, raw, to=f"c5@{DOMAIN}", sender="signed@example.org")
    assert last_record().outcome == Outcome.UNCONFIRMED
    assert post_count() == 0


def test_a_personal_reply_address_authenticates_its_owner_alone(app, lmtp, make_user, make_thread):
    thread = make_thread(title="Tokens")
    owner = make_user(email="owner@example.org")
    make_user(email="other@example.org")
    with app.test_request_context():
        address = addresses.reply_address(owner.id, thread.id)
    mine = email("owner@example.org", "Re: Tokens", "Unsigned but mine", authenticated=False)
    send(lmtp, mine, to=address)
    record = last_record()
    assert record.outcome == Outcome.POSTED
    assert record.authenticated_by == "token"
    theirs = email("other@example.org", "Re: Tokens", "Not mine", authenticated=False)
    send(lmtp, theirs, to=address)
    assert last_record().outcome == Outcome.REFUSED


@pytest.mark.parametrize(
    ("mode", "outcome", "status"),
    [
        (ModerationMode.OPEN, Outcome.POSTED, PostStatus.PUBLISHED),
        (ModerationMode.ALL, Outcome.HELD, PostStatus.PENDING),
    ],
)
def test_the_owner_confirms_by_the_link_and_the_boards_moderation_applies(
    client, outbox, lmtp, make_user, mode, outcome, status
):
    board("C5").moderation_mode = mode
    db.session.commit()
    make_user(email="genuine@example.org")
    message = email("genuine@example.org", "Unsigned", "My own words", authenticated=False)
    send(lmtp, message, to=f"c5@{DOMAIN}")
    record_id = last_record().id
    [asked] = mail_to(outbox, "genuine@example.org")
    link = link_in(asked, "/mail/confirm-post/")
    page = client.get(link)
    assert page.status_code == 200
    assert "My own words" in text_of(page)
    assert post_count() == 0, "opening the link posts nothing"

    assert post_form(client, link, {}).status_code == 200
    record = db.session.get(InboundMessage, record_id)
    assert record.outcome == outcome
    assert record.authenticated_by == "confirmation"
    post = db.session.get(Post, record.post_id)
    assert post.status == status
    assert post.thread.title == "Unsigned"

    again = post_form(client, link, {})
    assert again.status_code == 409
    assert "confirmed already" in text_of(again)
    assert post_count() == 1


def test_replying_to_the_confirmation_posts_the_message(outbox, lmtp, make_user):
    make_user(email="replier@example.org")
    make_user(email="intruder@example.org")
    send(lmtp, email("replier@example.org", "By reply", "Post me", authenticated=False),
         to=f"c5@{DOMAIN}")  # fmt: skip
    waiting_id = last_record().id
    [asked] = mail_to(outbox, "replier@example.org")
    confirm_address = asked["Reply-To"]
    send(lmtp, email("intruder@example.org", "Re: x", "yes"), to=confirm_address)
    assert last_record().outcome == Outcome.REFUSED
    assert post_count() == 0
    answer = email("replier@example.org", f"Re: {asked['Subject']}", "Yes", authenticated=False)
    send(lmtp, answer, to=confirm_address)
    assert last_record().outcome == Outcome.CONFIRMED
    assert db.session.get(InboundMessage, waiting_id).outcome == Outcome.POSTED
    assert latest_post().thread.title == "By reply"


def test_unconfirmed_messages_are_listed_for_admins_and_lapse_after_seven_days(
    app, client, outbox, lmtp, make_user, sign_in
):
    make_user(email="slow@example.org")
    send(lmtp, email("slow@example.org", "Waiting subject", "Later", authenticated=False),
         to=f"c5@{DOMAIN}")  # fmt: skip
    record = last_record()
    assert timedelta(days=6) < record.confirm_by - utcnow() <= timedelta(days=7)
    link = link_in(mail_to(outbox, "slow@example.org")[0], "/mail/confirm-post/")
    admin = make_user(admin=True)
    sign_in(admin)
    page = text_of(client.get("/admin/mail/received"))
    assert "Awaiting their senders" in page
    assert "Waiting subject" in page.split("Awaiting their senders")[1]

    record.confirm_by = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = text_of(client.get("/admin/mail/received"))
    assert "Waiting subject" not in page.split("Awaiting their senders")[1]
    late = post_form(client, link, {})
    assert late.status_code == 409
    assert "waited too long" in text_of(late)
    assert post_count() == 0
    send(lmtp, email("slow@example.org", "Another", "x"), to=f"c5@{DOMAIN}")
    assert db.session.get(InboundMessage, record.id).outcome == Outcome.IGNORED


def test_at_most_five_messages_of_one_person_wait_for_confirmation(outbox, lmtp, make_user):
    make_user(email="flooded@example.org")
    for number in range(7):
        forged = email("flooded@example.org", f"Forged {number}", "x", authenticated=False)
        send(lmtp, forged, to=f"c5@{DOMAIN}", sender="attacker@elsewhere.example")
    outcomes = db.session.scalars(select(InboundMessage.outcome).order_by(InboundMessage.id))
    assert list(outcomes) == [Outcome.UNCONFIRMED] * 5 + [Outcome.REFUSED] * 2
    delivered = mail_to(outbox, "flooded@example.org")
    assert len([m for m in delivered if "Post this message?" in m["Subject"]]) == 5
    assert len([m for m in delivered if "Not posted" in m["Subject"]]) == 1, "told, once"
    assert not mail_to(outbox, "attacker@elsewhere.example")


# 7. Messages that used to be retried for ever ---------------------------------------------


def _nested(depth: int) -> bytes:
    head = b"From: deep@example.org\r\nSubject: Deep\r\nMessage-ID: <deep@example.org>\r\n"
    head += f"Authentication-Results: {mta_verdict('deep@example.org')}\r\n".encode()
    parts = [head]
    for level in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n'.encode())
        parts.append(f"--b{level}\r\n".encode())
    parts.append(b"Content-Type: text/plain\r\n\r\nDeep inside\r\n")
    return b"".join(parts)


def _plain(headers: str, body: str = "What could be read") -> bytes:
    verdict = mta_verdict("odd@example.org")
    return (
        f"Authentication-Results: {verdict}\r\nFrom: odd@example.org\r\n{headers}\r\n\r\n{body}\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("raw", "outcome"),
    [
        (_plain("Subject: =?utf-8?B?!!!notbase64?=\r\nMessage-ID: <b64@example.org>"),
         Outcome.POSTED),
        (_plain(f"Subject: Huge\r\nIn-Reply-To: <post-99999999999999999999999@{DOMAIN}>\r\n"
                f"References: <post-4294967296@{DOMAIN}>"), Outcome.POSTED),
        (_nested(2000), Outcome.REFUSED),
    ],
    ids=["bad-encoded-word", "huge-post-number", "nested-2000-deep"],
)  # fmt: skip
def test_messages_that_failed_on_every_try_get_a_final_outcome(lmtp, make_user, raw, outcome):
    make_user(email="odd@example.org")
    make_user(email="deep@example.org")
    code, _text = send(lmtp, raw, to=f"c5@{DOMAIN}", sender="odd@example.org")
    assert code == 250
    record = last_record()
    assert record.outcome == outcome, record.reason
    if outcome == Outcome.REFUSED:
        assert "nested too deeply" in record.reason


def test_a_line_over_1000_characters_is_a_recorded_refusal(outbox, lmtp, make_user):
    make_user(email="long@example.org")
    message = email("long@example.org", "One long line", "x" * 1500)
    message.set_content("x" * 1500, cte="8bit")
    code, _text = send(lmtp, message, to=f"c5@{DOMAIN}")
    assert code == 250
    record = last_record()
    assert record.outcome == Outcome.REFUSED
    assert "longer than 1,000 characters" in record.reason
    assert post_count() == 0
    [answer] = mail_to(outbox, "long@example.org")
    assert "1,000 characters" in body_of(answer)


def test_a_message_that_keeps_failing_is_refused_after_three_tries(lmtp, make_user, monkeypatch):
    def explode(raw):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(services, "parse", explode)
    raw = b"From: a@example.org\r\nSubject: Cursed\r\n\r\nbody"
    answers = [send(lmtp, raw, to=f"c5@{DOMAIN}", sender="a@example.org")[0] for _ in range(3)]
    assert answers == [451, 451, 250]
    record = last_record()
    assert record.outcome == Outcome.REFUSED
    assert "given up" in record.reason
    assert "parser bug" in record.reason


# 11. Auto-replies, several senders, backscatter --------------------------------------------


@pytest.mark.parametrize(
    ("subject", "headers"),
    [
        ("Automatic reply: Budgets", {}),
        ("Out of Office: back on Monday", {}),
        ("AutoReply: away", {}),
        ("Re: Budgets", {"X_Autoreply": "yes"}),
        ("Re: Budgets", {"X_Autorespond": "Away until 3 March"}),
    ],
)
def test_auto_replies_without_auto_submitted_are_ignored(outbox, lmtp, make_user, subject, headers):
    make_user(email="away@example.org")
    send(lmtp, email("away@example.org", subject, "I am away", **headers), to=f"c5@{DOMAIN}")
    assert last_record().outcome == Outcome.IGNORED
    assert post_count() == 0
    assert not mail_to(outbox, "away@example.org")


@pytest.mark.parametrize(
    "senders",
    ["From: one@example.org, two@example.org", "From: one@example.org\r\nFrom: two@example.org"],
    ids=["one-header", "two-headers"],
)
def test_a_message_from_several_addresses_is_refused(lmtp, make_user, senders):
    make_user(email="one@example.org")
    make_user(email="two@example.org")
    raw = _plain("Subject: Together\r\nMessage-ID: <two@example.org>").replace(
        b"From: odd@example.org", senders.encode()
    )
    send(lmtp, raw, to=f"c5@{DOMAIN}", sender="one@example.org")
    record = last_record()
    assert record.outcome == Outcome.REFUSED
    assert "several senders" in record.reason
    assert post_count() == 0


def test_refusals_are_answered_only_at_a_return_path_known_to_be_the_senders(outbox, lmtp):
    forged = email("nobody@example.net", "Hello", "Who am I", authenticated=False)
    send(lmtp, forged, to=f"c5@{DOMAIN}", sender="victim@example.net")
    assert last_record().outcome == Outcome.REFUSED
    assert not mail_to(outbox, "victim@example.net"), "no backscatter to an unchecked path"
    vouched = email("nobody@example.net", "Hello again", "Me")
    send(lmtp, vouched, to=f"c5@{DOMAIN}", sender="nobody@example.net")
    assert last_record().outcome == Outcome.REFUSED
    [answer] = mail_to(outbox, "nobody@example.net")
    assert "Not posted" in answer["Subject"]


def test_a_confirmation_link_that_is_not_valid_says_so(client, lmtp, make_user):
    for method in (client.get, client.post):
        response = method("/mail/confirm-post/not-a-token")
        assert response.status_code == 404
        assert "This link is not valid" in text_of(response)


def test_control_characters_in_mail_are_left_out_of_the_post(client, lmtp, make_user):
    make_user(email="ctl@example.org")
    raw = (
        f"Authentication-Results: {mta_verdict('ctl@example.org')}\r\n"
        "From: ctl@example.org\r\nTo: c5@forum.example.org\r\n"
        "Subject: Tabs\x0band\x1bescapes\r\nMessage-ID: <ctl-1@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "One\x00 line\x0b\r\nTwo\tlines\r\n"
    ).encode()

    code, _ = send(lmtp, raw, to=f"c5@{DOMAIN}", sender="ctl@example.org")

    assert code == 250
    post = latest_post()
    assert post.thread.title == "Tabs and escapes"
    assert post.body_source == "One line\nTwo\tlines"
    assert client.get(f"/t/{post.thread_id}.mbox").status_code == 200


def test_a_signed_message_sent_on_to_a_board_it_does_not_name_waits_for_its_sender(
    lmtp, make_user, dkim_keys
):
    """A DKIM-signed mail its author sent elsewhere, replayed to a board unchanged, is not
    taken as their post: it names another recipient."""
    make_user(email="signed@example.org")
    private = email("signed@example.org", "Private", "Just for you", authenticated=False,
                    To="friend@example.net")  # fmt: skip
    raw = signed(private, "example.org", dkim_keys("example.org"))

    send(lmtp, raw, to=f"c5@{DOMAIN}", sender="attacker@example.net")

    assert last_record().outcome == Outcome.UNCONFIRMED
    assert post_count() == 0


def test_a_signature_that_leaves_the_recipients_unsigned_does_not_vouch(lmtp, make_user, dkim_keys):
    make_user(email="signed@example.org")
    message = email("signed@example.org", "Open", "x", authenticated=False, To=f"c5@{DOMAIN}")
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    key = dkim_keys("example.org")
    raw = dkim.sign(raw, b"test", b"example.org", key, include_headers=[b"from", b"subject"]) + raw

    send(lmtp, raw, to=f"c5@{DOMAIN}", sender="signed@example.org")

    assert last_record().outcome == Outcome.UNCONFIRMED


@pytest.mark.parametrize(
    "headers",
    [
        {"To": "friend@example.net"},
        {"date": "Mon, 02 Jan 2023 10:00:00 +0000"},
        {"repeat": b"Subject: Another subject"},
    ],
    ids=["other-recipient", "old", "repeated-headers"],
)
def test_what_the_mta_vouches_for_counts_only_for_mail_written_for_the_board(
    lmtp, make_user, headers
):
    make_user(email="vouched@example.org")
    repeat = headers.pop("repeat", b"")
    message = email("vouched@example.org", "Vouched", "Signed by the provider", **headers)
    raw = message.as_bytes()
    if repeat:
        raw = raw.replace(b"Subject:", repeat + b"\nSubject:", 1)

    send(lmtp, raw, to=f"c5@{DOMAIN}", sender="vouched@example.org")

    assert last_record().outcome == Outcome.UNCONFIRMED
    assert post_count() == 0


def test_an_encoded_subject_cannot_carry_control_characters(lmtp, make_user):
    make_user(email="encoded@example.org")
    message = email("encoded@example.org", "placeholder", "Body")
    message.replace_header("Subject", "=?utf-8?b?SGkAdGhlcmUbIQ==?=")

    send(lmtp, message, to=f"c5@{DOMAIN}")

    assert latest_post().thread.title.replace(" ", "") == "Hithere!"


def test_a_message_id_outside_ascii_is_not_kept(client, lmtp, make_user):
    make_user(email="eight@example.org")
    raw = email("eight@example.org", "Eight bits", "Body").as_bytes()
    raw = raw.replace(b"Message-ID: <", "Message-ID: <é".encode(), 1)

    send(lmtp, raw, to=f"c5@{DOMAIN}", sender="eight@example.org")

    post = latest_post()
    assert post.message_id is None
    assert client.get(f"/t/{post.thread_id}.mbox").status_code == 200


def test_a_reply_to_a_confirmation_must_say_yes(app, lmtp, outbox, make_user):
    make_user(email="unsigned@example.org")
    send(lmtp, email("unsigned@example.org", "Unsigned", "Please post", authenticated=False),
         to=f"c5@{DOMAIN}")  # fmt: skip
    [ask] = [m for m in outbox() if m["To"] == "unsigned@example.org"]
    confirm_address = str(ask["Reply-To"])

    away = email("unsigned@example.org", "Re: away", "I am away until Monday.",
                 authenticated=False)  # fmt: skip
    send(lmtp, away, to=confirm_address)
    assert post_count() == 0

    yes = email("unsigned@example.org", "Re: confirm", "Yes\n\n> Post this message?",
                authenticated=False)  # fmt: skip
    send(lmtp, yes, to=confirm_address)
    assert post_count() == 1


def test_no_confirmation_is_asked_for_mail_that_could_not_be_posted_there(lmtp, outbox, make_user):
    make_user(email="outsider2@example.org")
    message = email("outsider2@example.org", "Coordinators only", "x", authenticated=False)

    send(lmtp, message, to=f"coord@{DOMAIN}")

    assert last_record().outcome == Outcome.REFUSED
    [answer] = [m for m in outbox() if m["To"] == "outsider2@example.org"]
    assert str(answer["Subject"]).startswith("[WSIS Forum] Not posted")


def test_a_message_id_taken_by_someone_else_does_not_make_a_message_a_duplicate(lmtp, make_user):
    make_user(email="first@example.org")
    make_user(email="genuine@example.org")
    squat = email("first@example.org", "Squat", "Mine first", message_id="<shared@example.org>")
    send(lmtp, squat, to=f"c5@{DOMAIN}")

    genuine = email("genuine@example.org", "Genuine", "Mine", message_id="<shared@example.org>")
    send(lmtp, genuine, to=f"c5@{DOMAIN}")

    assert last_record().outcome == Outcome.POSTED
    assert latest_post().body_source == "Mine"
