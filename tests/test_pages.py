"""The public pages: what they show, and their answers to unknown addresses."""

from tests.helpers import text_of


def test_home_lists_action_lines_and_bureaus(client):
    response = client.get("/")
    page = text_of(response)
    assert response.status_code == 200
    assert "Building confidence and security in the use of ICTs" in page
    assert "E-agriculture" in page
    assert "Civil Society Bureau" in page
    assert '<html lang="en" dir="ltr">' in page


def test_home_hides_members_only_board_from_anonymous(client):
    assert "Meeting of the coordinators" not in text_of(client.get("/"))


def test_board_page_lists_threads_with_counts(client, make_thread):
    make_thread("C5", title="Model legislation on cybercrime", replies=2)
    page = text_of(client.get("/b/c5-building-confidence-and-security"))
    assert "Model legislation on cybercrime" in page
    assert ">3</td>" in page


def test_c7_lists_its_eight_e_applications(client):
    page = text_of(client.get("/b/c7-ict-applications"))
    for title in [
        "E-government",
        "E-business",
        "E-learning",
        "E-health",
        "E-employment",
        "E-environment",
        "E-agriculture",
        "E-science",
    ]:
        assert title in page


def test_unknown_addresses_are_404_pages(client):
    for url in [
        "/b/no-such-board",
        "/t/999999",
        "/p/999999",
        "/people/999999",
        "/nowhere",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Not found" in text_of(response)


def test_page_beyond_the_last_goes_to_the_last(client, make_thread):
    thread = make_thread(replies=1)
    assert client.get(f"/t/{thread.id}?page=2").headers["Location"] == f"/t/{thread.id}"
    assert client.get(f"/t/{thread.id}").status_code == 200


def test_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
