"""Pages for signed-in people are never stored; suspended members lose their boards;
number fields take ASCII digits only."""

import pytest

from forum.boards.models import Role
from forum.extensions import db
from forum.mail.subscriptions import settings_of
from forum.posts.models import Thread
from tests.helpers import post_form, text_of

COORDINATORS_BOARD = "/b/meeting-of-coordinators"


def test_pages_for_signed_in_people_are_not_stored(client, make_user, sign_in, make_thread):
    """Not at all, or (the pages read most, which have a validator of their own) by the
    browser alone, to be checked again on each use."""
    thread = make_thread()
    anonymous = client.get(f"/t/{thread.id}")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    sign_in(make_user(name="Ingrid Halvorsen"))
    for url in ["/settings", "/settings/mail", "/notices"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("Cache-Control", ""), url
    for url in ["/", f"/t/{thread.id}"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "private, no-cache", url
    assert "Ingrid Halvorsen" not in text_of(client.application.test_client().get("/"))


def test_a_suspended_member_no_longer_reads_the_members_board(
    client, make_user, sign_in, make_thread
):
    member = make_user(roles={"COORD": Role.MEMBER})
    make_thread("COORD", author=member, title="Agenda of the meeting")
    sign_in(member)
    assert "Agenda of the meeting" in text_of(client.get(COORDINATORS_BOARD))
    member.is_suspended = True
    db.session.commit()
    sign_in(member)
    assert client.get(COORDINATORS_BOARD).status_code == 404
    assert "Agenda of the meeting" not in text_of(client.get(f"/people/{member.id}"))
    assert "Meeting of" not in text_of(client.get("/"))


def _foreign_digits(number: int, zero: str) -> str:
    return "".join(chr(ord(zero) + int(digit)) for digit in str(number))


@pytest.mark.parametrize(
    "write",
    [
        lambda n: _foreign_digits(n, "\u0966"),  # Devanagari
        lambda n: _foreign_digits(n, "\uff10"),  # fullwidth
        lambda n: _foreign_digits(n, "\u0660"),  # Arabic-Indic
        lambda n: f"+{n}",
        lambda n: f"{str(n)[0]}_{str(n)[1:]}" if n > 9 else f"0_{n}",
    ],
    ids=["devanagari", "fullwidth", "arabic-indic", "plus", "underscore"],
)
def test_merge_takes_a_thread_number_in_ascii_digits_only(
    client, make_user, sign_in, make_thread, write
):
    target = make_thread("C5", title="Target thread")
    source = make_thread("C5", title="Source thread")
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    response = post_form(
        client, f"/t/{source.id}/moderate", {"action": "merge", "target": write(target.id)}
    )
    assert response.status_code == 400
    assert "digits 0 to 9" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Thread, source.id).merged_into_id is None


def test_merge_still_takes_a_plain_number(client, make_user, sign_in, make_thread):
    target = make_thread("C5", title="Target thread")
    source = make_thread("C5", title="Source thread")
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    response = post_form(
        client, f"/t/{source.id}/moderate", {"action": "merge", "target": f" {target.id} "}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Thread, source.id).merged_into_id == target.id


def test_choice_numbers_take_ascii_digits_only(client, make_user, sign_in):
    user = make_user()
    sign_in(user)
    page = text_of(client.get("/settings/mail"))
    assert "Digests arrive at" in page
    response = post_form(
        client,
        "/settings/mail",
        {"digest_hour": "\u0663", "digest_weekday": "0", "format": "html"},
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert settings_of(user).digest_hour != 3
