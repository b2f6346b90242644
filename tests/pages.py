"""A forum with something of every kind to show, and a crawl of every page reachable
from a few starts by following links, as each kind of person sees it (anonymous, member,
coordinator, admin): shared by the checks that look at every page."""

import re
from collections.abc import Callable, Iterator
from datetime import date, time, timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from forum.accounts.models import User
from forum.boards.models import ModerationMode, Role
from forum.consultations import services as consultations
from forum.db import utcnow
from forum.extensions import db
from forum.mail import subscriptions
from forum.mail.models import MailMode
from forum.meetings import services as meetings
from forum.meetings.models import Answer
from forum.moderation import services as moderation
from forum.moderation.models import FlagReason
from forum.posts import services as posting
from forum.posts.models import Post
from forum.reports import services as reporting
from forum.stocktaking import services as stocktaking
from forum.stocktaking.models import EntryStatus
from tests.helpers import PASSWORD, board, post_form, text_of

# Everything people wrote is Arabic or Chinese: any plain English on a page is the forum's.
PEOPLES_TEXT = {
    "member": "أمينة ديالو",
    "coordinator": "كوامي منسا",
    "admin": "李华",
    "outsider": "王明",
    "organisation": "شبكة المواطنين",
    "title": "بناء الثقة والأمن",
    "body": "نص عن أمن الشبكات.",
    "reason": "خارج الموضوع",
}

WHO = ("anonymous", "member", "coordinator", "admin")


def fill_world(app: Flask, make_user: Callable[..., User], *, locale: str) -> dict:
    """People of every kind (writing in `locale`), and something of every kind to show:
    held, flagged, hidden and deleted posts, a locked thread, edits, a ban, notices."""
    people = {
        "member": make_user(name=PEOPLES_TEXT["member"], email="amina@example.org"),
        "coordinator": make_user(
            name=PEOPLES_TEXT["coordinator"], email="kwame@example.org",
            roles={"C5": Role.COORDINATOR, "C3": Role.COORDINATOR},
        ),
        "admin": make_user(name=PEOPLES_TEXT["admin"], email="eleni@example.org", admin=True),
    }  # fmt: skip
    for person in people.values():
        person.organisation = PEOPLES_TEXT["organisation"]
        person.locale = locale
    db.session.commit()
    member, coordinator, admin = people["member"], people["coordinator"], people["admin"]
    with app.test_request_context():
        c5, c3 = board("C5"), board("C3")
        thread = posting.create_thread(
            c5, member, title=PEOPLES_TEXT["title"], body=PEOPLES_TEXT["body"]
        )
        for number in range(3):
            posting.reply(thread, coordinator, body=f"{PEOPLES_TEXT['body']} {number}")
        posts = list(
            db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.id))
        )
        posting.edit_post(posts[1], coordinator, body=PEOPLES_TEXT["body"] + " ✓")
        moderation.flag_post(posts[2], member, reason=FlagReason.SPAM, text=PEOPLES_TEXT["reason"])
        moderation.hide_post(posts[3], coordinator, reason=PEOPLES_TEXT["reason"])
        other = posting.create_thread(
            c5, coordinator, title=PEOPLES_TEXT["title"] + " 二", body="نص"
        )
        moderation.set_locked(other, coordinator, locked=True, reason=PEOPLES_TEXT["reason"])
        gone = posting.create_thread(c5, member, title=PEOPLES_TEXT["title"] + " 三", body="نص")
        moderation.delete_thread(gone, admin, reason=PEOPLES_TEXT["reason"])
        moderation.set_moderation_mode(c3, coordinator, ModerationMode.ALL)
        posting.create_thread(c3, member, title=PEOPLES_TEXT["title"] + " 四", body="نص")
        held = posting.create_thread(c3, member, title=PEOPLES_TEXT["title"] + " 五", body="نص")
        moderation.reject_post(db.session.get(Post, held.first_post_id), coordinator,
                               reason=PEOPLES_TEXT["reason"])  # fmt: skip
        banned = make_user(name=PEOPLES_TEXT["outsider"], email="nikos@example.org")
        banned.organisation = PEOPLES_TEXT["organisation"]
        banned.locale = locale
        moderation.ban_from_board(banned, c5, coordinator, reason=PEOPLES_TEXT["reason"])
        moderation.suspend_user(banned, admin, reason=PEOPLES_TEXT["reason"],
                                until=utcnow() + timedelta(days=3))  # fmt: skip
        _schedule_meetings(coordinator, member)
        _stocktaking(member, coordinator)
        subscriptions.set_board_mode(member, c5, MailMode.EVERY_POST)
        subscriptions.set_board_mode(admin, c5, MailMode.DAILY)
        subscriptions.set_board_mode(coordinator, c5, MailMode.WEEKLY)
        _consultations(coordinator, admin)
        db.session.commit()
        _reports(world_thread=thread, coordinator=coordinator, admin=admin)
    return {"people": people, "thread": thread, "posts": posts, "other": other}


def _schedule_meetings(coordinator: User, member: User) -> None:
    """An upcoming meeting that the member answered, and one that is over (its minutes
    still to post), on C5."""
    upcoming = meetings.schedule_meeting(
        board("C5"), coordinator, details=_meeting_details(timedelta(days=12))
    )
    meetings.answer_meeting(upcoming, member, answer=Answer.IN_PERSON)
    meetings.schedule_meeting(
        board("C5"), coordinator, details=_meeting_details(timedelta(days=-3)),
        at=utcnow() - timedelta(days=20),
    )  # fmt: skip


def _meeting_details(starts_in: timedelta) -> meetings.MeetingDetails:
    day = (utcnow() + starts_in).date()
    return meetings.MeetingDetails(
        title=PEOPLES_TEXT["title"] + " ٦", start_date=day, start_time=time(9),
        end_date=day, end_time=time(11), timezone="Africa/Cairo",
        place=PEOPLES_TEXT["organisation"], online_link="https://meet.example.org/c5",
        agenda="1. " + PEOPLES_TEXT["body"], documents=["https://example.org/a.pdf"],
    )  # fmt: skip


def _reports(*, world_thread, coordinator: User, admin: User) -> None:
    """A published report on C5 citing the thread, a draft on C3, and the overall report."""
    today = utcnow().date()
    start = today - timedelta(days=30)
    written = {"summary": f"{PEOPLES_TEXT['body']} /t/{world_thread.id}",
               "challenges": PEOPLES_TEXT["body"]}  # fmt: skip
    published = reporting.start_report(board("C5"), coordinator, start=start, end=today)
    reporting.save_revision(published, coordinator, sections=written)
    reporting.publish_report(published, admin)
    draft = reporting.start_report(board("C3"), coordinator, start=start, end=today)
    reporting.save_revision(draft, coordinator, sections={"summary": PEOPLES_TEXT["body"]})
    overall = reporting.start_report(board("COORD"), admin, start=start, end=today)
    reporting.save_revision(overall, admin, sections={"summary": PEOPLES_TEXT["body"]})
    reporting.publish_report(overall, admin)
    db.session.commit()


def _stocktaking(member: User, coordinator: User) -> None:
    """A published stocktaking entry (with its discussion) and one waiting for review."""
    fields = {
        "summary": PEOPLES_TEXT["body"], "organisation": PEOPLES_TEXT["organisation"],
        "stakeholder_group": member.stakeholder_group, "lead_country": "EG",
        "countries": ["JO", "LB"], "status": EntryStatus.ONGOING,
        "start_date": date(2025, 5, 1), "end_date": date(2027, 4, 30),
        "website": "https://example.org/", "contact_name": PEOPLES_TEXT["member"],
        "contact_email": "amina@example.org", "show_email": True,
        "keywords": "أمن, شبكات", "colleagues_may_edit": True,
    }  # fmt: skip
    published = stocktaking.submit_entry(member, data=stocktaking.EntryData(
        title=PEOPLES_TEXT["title"] + " 六", board_ids=[board("C5").id, board("C7-EHEALTH").id],
        **fields))  # fmt: skip
    moderation.publish_entry(published, coordinator)
    stocktaking.confirm_entry(published, member)
    stocktaking.submit_entry(member, data=stocktaking.EntryData(
        title=PEOPLES_TEXT["title"] + " 七", board_ids=[board("C3").id], **fields))  # fmt: skip


def _consultations(coordinator: User, admin: User) -> None:
    """An open consultation listed on two boards, a request waiting for the coordinator,
    and a closed one waiting for its summary."""
    c2, c3, c5 = board("C2"), board("C3"), board("C5")
    for opener, home, others, title in [
        (coordinator, c5, [c3], PEOPLES_TEXT["title"] + " 六"),
        (admin, c2, [c5], PEOPLES_TEXT["title"] + " 七"),
        (coordinator, c3, [], PEOPLES_TEXT["title"] + " 八"),
    ]:
        opened = consultations.open_consultation(
            home, opener, title=title, question=PEOPLES_TEXT["body"], body=PEOPLES_TEXT["body"],
            closes_at=utcnow() + timedelta(days=10), other_boards=others,
        )  # fmt: skip
    opened.closes_at = utcnow() - timedelta(minutes=1)
    consultations.close_due()


def client_of(app: Flask, user: User | None, *, language: str) -> FlaskClient:
    """A client asking for pages in `language`, signed in as `user` (None: anonymous)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    if user is not None:
        response = post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, text_of(response)
    return client


def starts(world: dict, who: str) -> list[str]:
    """Where a crawl as `who` begins: pages that no link leads to, and the person's own."""
    common = ["/", "/register", "/sign-in", "/forgot-password", "/search?q=الأمن",
              f"/p/{world['posts'][0].id}/history", "/moderation-log", "/nowhere",
              "/meetings"]  # fmt: skip
    return (
        common
        if who == "anonymous"
        else [*common, "/settings", "/settings/mail", "/notices", "/queue"]
    )


# Pages not reached by following links, and why: each is checked another way below, or
# is not a page.
NOT_CRAWLED = {
    "static": "files",
    "favicon": "a file",
    "archives.month_mbox": "mail files, as written",
    "archives.thread_mbox": "mail files, as written",
    "archives.board_posts_feed": "feeds",
    "archives.board_threads_feed": "feeds",
    "archives.thread_feed": "feeds",
    "archives.site_feed": "feeds",
    "admin.delivered_html": "a mail's HTML",
    "accounts.download_data": "a JSON file of one's data (tests/test_account_data.py)",
    "accounts.download_posts": "mail files, as written",
    "meetings.meeting_ics": "calendar files (tests/test_meetings.py)",
    "meetings.site_feed": "calendar feeds (tests/test_meetings.py)",
    "meetings.board_feed": "calendar feeds (tests/test_meetings.py)",
    "meetings.personal_feed": "calendar feeds (tests/test_meetings.py)",
    "reports.figures": "a CSV file of a report's figures (tests/test_reports.py)",
    "stocktaking.csv_export": "open data files (tests/test_stocktaking.py)",
    "stocktaking.json_export": "open data files (tests/test_stocktaking.py)",
    "stocktaking.board_csv_export": "open data files (tests/test_stocktaking.py)",
    "stocktaking.board_json_export": "open data files (tests/test_stocktaking.py)",
    "stocktaking.board_feed": "feeds",
}

# Pages reached only by a link in a mail, with a token in it.
TOKEN_PAGES = frozenset(
    {
        "accounts.confirm_email",
        "accounts.reset_password",
        "accounts.verify",
        "mail.confirm_address",
        "inbound.confirm",
        "mail.unsubscribe",
    }
)


def _endpoint(app: Flask, path: str) -> str | None:
    adapter = app.url_map.bind("forum.test")
    try:
        endpoint, _args = adapter.match(urlsplit(path).path, method="GET")
    except HTTPException:
        return None
    return endpoint


def crawl(
    app: Flask, client: FlaskClient, starts: list[str], seen: dict[str, list[str]]
) -> Iterator[tuple[str, str]]:
    """Every page reachable by links from the starts (two of each kind, at most), as
    (address, HTML); `seen` gathers the addresses by kind."""
    waiting = list(starts)
    visited: set[str] = set()
    kinds: dict[str, int] = {}
    while waiting:
        path = waiting.pop(0)
        endpoint = _endpoint(app, path)
        if path in visited or endpoint is None or endpoint in NOT_CRAWLED:
            continue
        if kinds.get(endpoint, 0) >= 2 and path not in starts:
            continue
        visited.add(path)
        kinds[endpoint] = kinds.get(endpoint, 0) + 1
        seen.setdefault(endpoint, []).append(path)
        response = client.get(path)
        assert response.status_code in {200, 302, 403, 404}, (path, response.status_code)
        if response.status_code == 302:
            waiting.append(response.headers["Location"])
            continue
        html = text_of(response)
        yield path, html
        for link in re.findall(r'href="(/[^"#]*)"', html):
            link = link.replace("&amp;", "&")
            if not link.startswith("//") and link not in visited:
                waiting.append(link)
