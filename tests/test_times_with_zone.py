"""Every time shown says its zone: the reader's if they chose one, else UTC, written for
the reader's language."""

import re
from datetime import UTC, datetime

import pytest

from forum.extensions import db
from forum.posts.models import Post

# CLDR's English puts a narrow no-break space before AM/PM; French says UTC "TU".
# A post's time, as written under its author's name (no machine copy: the page is kept light).
_TIME = re.compile(r"<br>([^<]+)</p><div dir=\"auto\"")
WRITTEN_AT = datetime(2026, 3, 3, 7, 5, tzinfo=UTC)


@pytest.fixture
def thread_written_at_a_known_time(make_thread):
    thread = make_thread("C5", title="Zones", body="When was this?")
    db.session.get(Post, thread.first_post_id).created_at = WRITTEN_AT
    db.session.commit()
    return thread


def _times_on(client, thread, language: str = "en") -> list[str]:
    page = client.get(f"/t/{thread.id}", headers={"Accept-Language": language})
    return _TIME.findall(page.get_data(as_text=True))


def test_a_reader_with_a_zone_sees_times_in_it_and_named(
    client, make_user, sign_in, thread_written_at_a_known_time
):
    reader = make_user()
    reader.timezone = "Africa/Nairobi"
    db.session.commit()
    sign_in(reader)

    assert _times_on(client, thread_written_at_a_known_time) == [
        "Mar 3, 2026, 10:05\u202fAM GMT+03:00"
    ]


def test_an_anonymous_reader_sees_utc_said_as_such(client, thread_written_at_a_known_time):
    assert _times_on(client, thread_written_at_a_known_time) == ["Mar 3, 2026, 7:05\u202fAM UTC"]


@pytest.mark.parametrize(
    ("timezone", "shown"),
    [("UTC", "3 mars 2026, 07:05 TU"), ("Africa/Nairobi", "3 mars 2026, 10:05 UTC+03:00")],
)
def test_times_are_written_the_french_way_in_french(
    client, make_user, sign_in, thread_written_at_a_known_time, timezone, shown
):
    reader = make_user()
    reader.timezone = timezone
    reader.locale = "fr"
    db.session.commit()
    sign_in(reader)

    assert _times_on(client, thread_written_at_a_known_time, "fr") == [shown]
