"""What is new in a reply: the quoting styles of the common mail programs."""

import pytest

from forum.inbound.bounces import classify
from forum.inbound.parse import parse
from forum.inbound.quotes import html_to_text, strip_quotes

NEW = "Thanks, we agree with the proposal."


@pytest.mark.parametrize(
    "text",
    [
        f"{NEW}\n\nOn Tue, 4 Mar 2026 at 09:12, Kofi <kofi@example.org> wrote:\n> old\n> older",
        f"{NEW}\n\nOn Tue, 4 Mar 2026 at 09:12, Kofi Essien <\nkofi@example.org> wrote:\n\n> old",
        f"{NEW}\n\nLe mar. 4 mars 2026 à 09:12, Kofi <kofi@example.org> a écrit :\n> ancien",
        f"{NEW}\n\n-----Original Message-----\nFrom: Kofi\nSent: Tuesday\nSubject: Re: x\n\nold",
        f"{NEW}\n\n________________________________\nFrom: Kofi Essien\nSent: Tuesday\n\nold",
        f"{NEW}\n\nFrom: Kofi Essien <kofi@example.org>\nSent: Tuesday, 4 March 2026\nTo: x\n\nold",
        f"{NEW}\n\n-- \nAmina Diallo\nCivil Society Bureau",
        f"> quoted first\n\n{NEW}",
    ],
)
def test_plain_text_quotes_and_signatures_go(text):
    assert strip_quotes(text) == NEW


def test_code_blocks_and_numbered_lists_survive():
    text = (
        "Steps:\n\n1. Draft\n2. Review\n\n```\n> not a quote, a prompt\n-- \n```\n\n"
        "    indented code\n\nOn Mon, X wrote:\n> old"
    )
    kept = strip_quotes(text)
    assert "1. Draft\n2. Review" in kept
    assert "> not a quote, a prompt" in kept
    assert "    indented code" in kept
    assert "old" not in kept


@pytest.mark.parametrize(
    "html",
    [
        f'<div>{NEW}</div><div class="gmail_quote"><div>On Mon, X wrote:</div>'
        '<blockquote class="gmail_quote">old</blockquote></div>',
        f'<div>{NEW}</div><blockquote type="cite"><div>old</div></blockquote>',
        f'<p>{NEW}</p><div class="moz-cite-prefix">On 04/03/2026 X wrote:</div>'
        '<blockquote type="cite">old</blockquote>',
        f'<div>{NEW}</div><div id="divRplyFwdMsg"><b>From:</b> Kofi</div><div>old</div>',
        f"<html><head><style>p{{color:red}}</style></head><body><p>{NEW}</p></body></html>",
    ],
)
def test_html_quotes_of_gmail_apple_thunderbird_and_outlook_go(html):
    assert strip_quotes(html_to_text(html)) == NEW


def test_a_non_standard_bounce_is_read_for_its_code():
    raw = (
        b"From: postmaster@mx.example.org\r\nSubject: failure notice\r\n\r\n"
        b"Sorry, we were unable to deliver your message.\r\n"
        b"<gone@example.org>: 550 5.1.1 user unknown\r\n"
    )
    assert classify(parse(raw)) == ("hard", "5.1.1")
    soft = raw.replace(b"550 5.1.1 user unknown", b"452 4.2.2 mailbox full")
    assert classify(parse(soft)) == ("soft", "4.2.2")


SOPHIE = "Sophie Martin via WSIS Forum"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"On Tue, Mar 03, 2026 at 10:00:00AM +0100, {SOPHIE} wrote:\n> The draft is ready.\n"
            f"> Comments welcome.\n\n{NEW}\n",
            NEW,
        ),
        (f"On 03/03/2026 10:00, {SOPHIE} wrote:\n> The draft is ready.\n\n{NEW}\n\n-- \nKofi", NEW),
        (
            f"On 3 Mar 2026, at 10:00, {SOPHIE} <c5@forum.example.org>\nwrote:\n\n"
            f"> The draft is ready.\n\n{NEW}",
            NEW,
        ),
        (f"{SOPHIE} wrote:\n> First point?\nYes.\n> Second point?\nNo.\n", "Yes.\n\nNo."),
        (
            f"{NEW}\n\nOn Tue, {SOPHIE} wrote:\n> One\n\nMore of mine.\n\n"
            "On Mon, Kofi wrote:\n> Two",
            f"{NEW}\n\nMore of mine.",
        ),
    ],
    ids=["mutt-bottom", "thunderbird-bottom", "apple-mail-wrapped", "interleaved", "nested"],
)
def test_an_attribution_goes_wherever_it_stands_above_a_removed_quote(text, expected):
    assert strip_quotes(text) == expected


def test_an_html_attribution_above_a_quote_goes_with_it():
    html = f"<div>On Tue, {SOPHIE} wrote:</div><blockquote>The draft</blockquote><p>{NEW}</p>"
    assert strip_quotes(html_to_text(html)) == NEW


def test_html_links_keep_their_addresses():
    html = (
        '<p>Read <a href="https://example.org/report(2026)">the <b>report</b></a>, see '
        '<a href="https://example.org/x">https://example.org/x</a> or write to '
        '<a href="mailto:desk@example.org">desk@example.org</a>.</p>'
    )
    assert html_to_text(html) == (
        "Read [the report](https://example.org/report%282026%29), see "
        "<https://example.org/x> or write to desk@example.org."
    )


@pytest.mark.parametrize(
    ("raw", "verdict"),
    [
        (b"From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail\r\n\r\n"
         b"The mailbox is full; giving up.\r\n", ("soft", "")),
        (b"From: Mail Delivery System <postmaster@mx.example.org>\r\nSubject: x\r\n\r\n"
         b"Sorry, no mailbox here by that name. (#5.1.1)\r\n", ("hard", "5.1.1")),
        (b"From: someone@example.org\r\nSubject: Re: our call\r\n\r\n"
         b"Call me on 555 0100, or at 550 5.1.1 street.\r\n", ("", "")),
        (b"From: MAILER-DAEMON@mx.example.org\r\nSubject: Delayed Mail\r\n"
         b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
         b"--B\r\nContent-Type: text/plain\r\n\r\nStill trying.\r\n"
         b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
         b"Final-Recipient: rfc822; a@example.org\r\nAction: delayed\r\nStatus: 4.4.1\r\n--B--\r\n",
         ("", "4.4.1")),
    ],
    ids=["phrase", "qmail", "not-from-a-server", "delayed-report"],
)  # fmt: skip
def test_only_reports_and_mail_server_failure_texts_count_as_bounces(raw, verdict):
    assert classify(parse(raw)) == verdict
