"""Demo content for newcomers, and the bulk data set for benchmarks."""

import json

from sqlalchemy import func, select

from forum.accounts.models import StakeholderGroup, User
from forum.boards.models import Board, BoardRole, Role
from forum.db import utcnow
from forum.extensions import db
from forum.meetings.models import Meeting
from forum.posts.models import Post, Thread
from forum.reports.models import Report
from forum.stocktaking.models import Entry, ReviewState
from tests.helpers import post_form, text_of


def test_demo_fills_a_fresh_forum_and_prints_the_admin_login(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["forum", "demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Demo admin: admin@forum.example.org" in result.output
    password = result.output.split("password: ")[1].split()[0]
    groups = set(db.session.scalars(select(User.stakeholder_group)))
    assert groups == set(StakeholderGroup)
    assert len(set(db.session.scalars(select(User.country)))) >= 8
    roles = set(db.session.scalars(select(BoardRole.role)))
    assert roles == {Role.COORDINATOR, Role.MEMBER}
    boards_with_threads = db.session.scalar(select(func.count()).where(Board.thread_count > 0))
    assert boards_with_threads >= 14
    assert "Model legislation on cybercrime" in text_of(
        client.get("/b/c5-building-confidence-and-security")
    )
    # Each action line's report; the overall one is for the coordinators' meeting.
    assert text_of(client.get("/reports")).count('href="/reports/') == 14
    c5 = text_of(client.get("/b/c5-building-confidence-and-security/reports"))
    assert "C5 Building confidence and security in the use of ICTs" in c5
    # The reports count the stocktaking (entries of over 92 days ago precede any last
    # quarter's end) and cite an entry of their action line.
    reports = db.session.scalars(select(Report).where(Report.facts.is_not(None))).all()
    lines = [report for report in reports if "stocktaking" in report.facts]
    assert sum(sum(r.facts["stocktaking"]["by_status"].values()) for r in lines) >= 6
    c5_report = next(report for report in reports if report.board.code == "C5")
    assert [ref["kind"] for ref in c5_report.references] == ["thread", "entry"]
    assert "a stocktaking entry" in text_of(client.get(f"/reports/{c5_report.id}"))
    states = dict(
        db.session.execute(
            select(Entry.review_state, func.count()).group_by(Entry.review_state)
        ).all()
    )
    assert states == {ReviewState.PUBLISHED: 11, ReviewState.PENDING: 1}
    lead_countries = set(db.session.scalars(select(Entry.lead_country)))
    assert len(lead_countries) >= 10
    stocktaking = text_of(client.get("/stocktaking"))
    assert "Market prices by SMS for smallholder farmers" in stocktaking
    assert "Cross-border e-commerce guide" not in stocktaking
    signed_in = post_form(
        client, "/sign-in", {"email": "admin@forum.example.org", "password": password}
    )
    assert signed_in.status_code == 302
    meetings = text_of(client.get("/meetings"))
    assert "C5 team meeting: capacity building" in meetings
    assert "Meeting of the coordinators" in meetings  # the admin reads the members' board
    with_minutes = db.session.scalars(
        select(Meeting).where(Meeting.minutes_post_id.is_not(None))
    ).one()
    assert with_minutes.ends_at < utcnow()
    assert text_of(client.get("/reports")).count('href="/reports/') == 15

    again = runner.invoke(args=["forum", "demo", "--if-empty"])
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(User).where(User.is_admin)) == 1


def test_bulk_demo_keeps_counters_consistent(app):
    result = app.test_cli_runner().invoke(
        args=["forum", "demo", "--users", "40", "--threads", "25", "--posts", "400"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["posts"] == 400
    assert db.session.scalar(select(func.count()).select_from(Post)) == 400
    assert db.session.scalar(select(func.sum(Board.post_count))) == 400
    assert db.session.scalar(select(func.sum(Board.thread_count))) == 25
    assert db.session.scalar(select(func.sum(User.post_count))) == 400
    long_thread = db.session.scalars(select(Thread).order_by(Thread.post_count.desc())).first()
    assert long_thread.post_count >= 300
    assert long_thread.last_post.created_at == long_thread.last_activity_at
    assert db.session.scalar(select(func.count()).where(Thread.first_post_id.is_(None))) == 0
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 2


def test_bulk_pages_render(app, client):
    app.test_cli_runner().invoke(
        args=["forum", "demo", "--users", "10", "--threads", "5", "--posts", "50"]
    )
    thread = db.session.scalars(select(Thread)).first()
    assert client.get(f"/t/{thread.id}").status_code == 200
    assert client.get(f"/b/{thread.board.slug}").status_code == 200
    assert client.get("/stocktaking").status_code == 200
    assert client.get("/stocktaking.csv").status_code == 200
