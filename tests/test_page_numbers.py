"""Page numbers that name no page (`0`, `-1`, `abc`, past the last) are sent on to the
nearest page that exists, at its one address, instead of a 404; and the search page's
filters, dates and pages."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from forum.boards.models import Role
from forum.search import services
from tests.helpers import board, text_of

C5 = "/b/c5-building-confidence-and-security"
# Not a page number: the first page. Larger than the last page: the last.
FIRST = ["0", "-1", "abc", "%C2%B2", "1", "", "2.5"]
LAST = ["3", "999999", "99999999999999999999"]


def _goes_to(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 302, (url, response.status_code)
    return response.headers["Location"]


@pytest.fixture
def small_pages(app, monkeypatch):
    monkeypatch.setitem(app.config, "POSTS_PER_PAGE", 2)
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", 2)


def test_a_thread_page_that_does_not_exist_goes_to_the_nearest(client, make_thread, small_pages):
    thread = make_thread(replies=2)  # three posts: two pages
    here = f"/t/{thread.id}"
    for asked in FIRST:
        assert _goes_to(client, f"{here}?page={asked}") == here
    for asked in LAST:
        assert _goes_to(client, f"{here}?page={asked}") == f"{here}?page=2"
    assert _goes_to(client, f"{here}?page=02") == f"{here}?page=2"
    assert client.get(here).status_code == 200
    last = client.get(f"{here}?page=2")
    assert last.status_code == 200
    assert "Reply number 2" in text_of(last)
    followed = client.get(f"{here}?page=999999", follow_redirects=True)
    assert followed.status_code == 200
    assert "Reply number 2" in text_of(followed)


def test_the_pager_links_the_first_page_at_its_one_address(client, make_thread, small_pages):
    thread = make_thread(replies=2)
    page = text_of(client.get(f"/t/{thread.id}?page=2"))
    assert f'rel="prev" href="/t/{thread.id}"' in page


def test_board_latest_and_logs_send_odd_page_numbers_on(
    client, make_thread, make_user, sign_in, small_pages
):
    for number in range(3):
        make_thread("C5", title=f"Numbered {number}")
    assert _goes_to(client, f"{C5}?page=abc") == C5
    assert _goes_to(client, f"{C5}?page=-1") == C5
    assert _goes_to(client, f"{C5}?page=999999") == f"{C5}?page=2"
    assert _goes_to(client, "/latest?page=0") == "/latest"
    # Other parts of the address are kept.
    latest = urlsplit(_goes_to(client, "/latest?order=new&page=999999"))
    assert (latest.path, parse_qs(latest.query)) == ("/latest", {"order": ["new"], "page": ["2"]})
    assert _goes_to(client, "/moderation-log?page=abc") == "/moderation-log"
    assert _goes_to(client, "/moderation-log?page=999999") == "/moderation-log"
    assert _goes_to(client, f"{C5}/log?page=0") == f"{C5}/log"
    sign_in(make_user(roles={"C5": Role.COORDINATOR}))
    assert _goes_to(client, f"{C5}/subscribers?page=-1") == f"{C5}/subscribers"


def test_a_board_one_may_not_read_is_not_given_away_by_its_page_numbers(client, make_user, sign_in):
    private = f"/b/{board('COORD').slug}"
    for asked in ("abc", "999999"):
        assert _goes_to(client, f"{private}?page={asked}").startswith("/sign-in")
    sign_in(make_user())
    for asked in ("abc", "999999"):
        assert client.get(f"{private}?page={asked}").status_code == 404


def test_pages_without_page_numbers_ignore_them(client, make_thread):
    thread = make_thread()
    for url in (f"/people/{thread.first_post.author_id}", f"{C5}/archive"):
        assert client.get(f"{url}?page=999999").status_code == 200, url


# Search ------------------------------------------------------------------------------


def _index(app) -> None:
    with app.test_request_context():
        while services.drain():
            pass


def _search_with_two_results(app, make_thread) -> None:
    make_thread(title="Spectrum tenders", body="Rural broadband tenders")
    make_thread(title="More tenders", body="Urban tenders")
    _index(app)


def test_a_search_page_past_the_last_shows_the_results(app, client, make_thread):
    _search_with_two_results(app, make_thread)
    location = urlsplit(_goes_to(client, "/search?q=tenders&page=5"))
    assert location.path == "/search"
    assert parse_qs(location.query) == {"q": ["tenders"]}
    page = text_of(client.get("/search?q=tenders&page=5", follow_redirects=True))
    assert "2 results" in page
    assert "Spectrum tenders" in page
    assert "Nothing found" not in page
    assert urlsplit(_goes_to(client, "/search?q=tenders&page=abc")).path == "/search"


def test_a_search_with_no_results_past_the_first_page_says_there_are_none(client):
    page = text_of(client.get("/search?q=nowhere&page=3", follow_redirects=True))
    assert "0 results" in page
    assert "Nothing found" in page


def test_a_date_that_is_no_date_says_so_and_the_search_still_runs(app, client, make_thread):
    _search_with_two_results(app, make_thread)
    response = client.get("/search?q=tenders&from=2025-13-45&to=")
    assert response.status_code == 200
    page = text_of(response)
    assert "This is not a date" in page
    assert 'id="search-from" name="from" value="2025-13-45" aria-invalid="true"' in page
    assert 'aria-describedby="search-from-error"' in page
    assert 'aria-invalid="true" aria-describedby="search-to' not in page
    assert "2 results" in page
    assert '<details class="filters" open>' in page, "the error is in sight"


def test_search_filters_are_folded_away_unless_in_use(client):
    plain = text_of(client.get("/search?q=tenders"))
    assert re.search(r"<details class=\"filters\">\s*<summary>Filters</summary>", plain)
    assert '<details class="filters" open>' in text_of(client.get("/search"))
    filtered = text_of(client.get(f"/search?q=tenders&board={C5.rsplit('/', 1)[1]}"))
    assert '<details class="filters" open>' in filtered
    assert '<details class="filters" open>' in text_of(client.get("/search?q=x&titles=1"))
