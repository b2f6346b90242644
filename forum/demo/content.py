"""Believable demo content: people of every stakeholder group, coordinators, bureau
members, and discussions in most boards."""

import random
import secrets
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from forum.accounts.models import StakeholderGroup, User
from forum.accounts.services import PASSWORD_METHOD
from forum.boards.models import Board, BoardRole, ModerationMode, Role
from forum.consultations import services as consultations
from forum.db import utcnow
from forum.demo import meetings, stocktaking
from forum.demo import reports as demo_reports
from forum.extensions import db
from forum.mail import subscriptions
from forum.mail.models import MailMode
from forum.moderation.models import FlagReason
from forum.moderation.posts_acts import flag_post
from forum.permissions import can_start_thread
from forum.posts import services as posting
from forum.posts.models import Post, Thread

ADMIN_EMAIL = "admin@forum.example.org"

G = StakeholderGroup
PEOPLE = [
    ("Amina Diallo", G.CIVIL_SOCIETY, "Réseau Africain pour le Développement", "SN"),
    ("Rafael Mendoza", G.CIVIL_SOCIETY, "Asociación para el Progreso Comunitario", "BO"),
    ("Priya Raghavan", G.CIVIL_SOCIETY, "Digital Rights Collective", "IN"),
    ("Tomasz Nowak", G.ACADEMIC_TECHNICAL, "Warsaw University of Technology", "PL"),
    ("Mei Lin", G.ACADEMIC_TECHNICAL, "Asia-Pacific Network Information Centre", "AU"),
    ("Kwame Mensah", G.GOVERNMENT, "Ministry of Communications", "GH"),
    ("Ingrid Halvorsen", G.GOVERNMENT, "Permanent Mission of Norway, Geneva", "NO"),
    ("Ahmed El-Sayed", G.GOVERNMENT, "National Telecom Regulatory Authority", "EG"),
    ("Lucía Fernández", G.PRIVATE_SECTOR, "Telefónica Latinoamérica", "CL"),
    ("Kenji Watanabe", G.PRIVATE_SECTOR, "Japan Business Federation", "JP"),
    ("Sophie Martin", G.INTERGOVERNMENTAL, "ITU", "CH"),
    ("Jean-Paul Habimana", G.INTERGOVERNMENTAL, "UNESCO", "FR"),
    ("Olena Kovalenko", G.INTERGOVERNMENTAL, "WHO", "CH"),
    ("Carlos Brito", G.INTERGOVERNMENTAL, "FAO", "IT"),
]

# (board code, role, person index): who coordinates and who sits on the bureaus.
ROLES = [
    ("C2", Role.COORDINATOR, 10), ("C5", Role.COORDINATOR, 10), ("C6", Role.COORDINATOR, 10),
    ("C8", Role.COORDINATOR, 11), ("C9", Role.COORDINATOR, 11),
    ("C7-EHEALTH", Role.COORDINATOR, 12),
    ("C7-EAGRI", Role.COORDINATOR, 13), ("E", Role.COORDINATOR, 10),
    ("D", Role.COORDINATOR, 10), ("C3", Role.COORDINATOR, 11),
    ("COORD", Role.MEMBER, 10), ("COORD", Role.MEMBER, 11), ("COORD", Role.MEMBER, 12),
    ("COORD", Role.MEMBER, 13), ("COORD", Role.COORDINATOR, 10),
    ("GB", Role.MEMBER, 5), ("GB", Role.MEMBER, 6), ("GB", Role.MEMBER, 7),
    ("CSB", Role.MEMBER, 0), ("CSB", Role.MEMBER, 1), ("CSB", Role.MEMBER, 2),
    ("BB", Role.MEMBER, 8), ("BB", Role.MEMBER, 9),
]  # fmt: skip

DISCUSSIONS = [
    ("C5", "Model legislation on cybercrime: what works for small administrations?", [
        "Several of us are drafting cybercrime laws with very small teams. Which existing texts "
        "have you found **adaptable** without a large enforcement agency behind them?",
        "In our region we started from the Budapest Convention's definitions and trimmed the "
        "procedural parts. The hard part was data retention: see the thread on C6 about it.",
        "Please keep in mind the human rights safeguards. Civil society asked for three things:\n\n"
        "1. judicial oversight of interception\n2. proportionality\n3. public reporting",
    ]),
    ("C5", "Spam in developing countries: costs for end users", [
        "Where bandwidth is paid per megabyte, spam is not a nuisance but a **cost**. Does anyone "
        "have figures on what share of traffic it represents for users on mobile data?",
    ]),
    ("C2", "Community networks and spectrum licensing", [
        "Community networks in rural areas keep running into licensing fees designed for national "
        "operators. Some regulators have created a *social purpose* licence category.",
        "Our authority introduced one in 2004; happy to share the consultation document.",
    ]),
    ("C3", "Public access points in libraries: staffing and training", [
        "Libraries are natural public access points, but who trains the staff? We are collecting "
        "examples of national programmes.",
    ]),
    ("C4", "Capacity building for parliamentarians on ICT policy", [
        "A proposal: short regional workshops for members of parliament before national "
        "e-strategies are debated. Which organisations would co-host?",
        "The regional commissions could host, with the academic community providing material.",
    ]),
    ("C6", "Interconnection costs and international Internet connectivity", [
        "Small island states pay the full cost of links to the backbone. How should the "
        "enabling-environment team report on this?",
    ]),
    ("C7-EHEALTH", "Telemedicine pilots: sharing protocols", [
        "We would like to collect the consent and data-protection protocols used in telemedicine "
        "pilots so that new projects do not start from zero.",
        "Our ministry can share the protocol used in the district hospitals pilot.",
    ]),
    ("C7-EAGRI", "Market price information by SMS", [
        "Farmers' cooperatives in three countries now receive market prices by SMS. What did the "
        "services cost to run, and who pays after the pilot ends?",
    ]),
    ("C7-ELEARN", "Open educational resources in local languages", [
        "Translation of open courseware is slow. Has anyone organised volunteer translation with "
        "review by teachers?",
    ]),
    ("C8", "Internationalised domain names and local content", [
        "Local content grows faster when addresses can be written in local scripts. What is the "
        "status of IDN deployment in your country?",
    ]),
    ("C9", "Community radio and the Internet", [
        "Community radio remains the main medium in many rural areas. Stations are starting to "
        "publish programmes online: what licensing questions has this raised?",
    ]),
    ("E", "Core ICT indicators: first data collection round", [
        "The partnership on measuring ICT for development has published its core list. Please "
        "report which indicators your national statistical office can already produce.",
    ]),
    ("D", "Digital Solidarity Fund: project criteria", [
        "What criteria should projects meet to be financed? A first draft is attached to the "
        "meeting report; comments welcome here.",
    ]),
    ("C1", "National e-strategies and poverty reduction strategies", [
        "How have you tied your national e-strategy to the poverty reduction strategy paper? "
        "We are looking for examples where ICT budgets follow development priorities.",
        "Ours sits in the planning ministry, not the telecom ministry, which helped a lot.",
    ]),
    ("C7-EGOV", "Interoperability frameworks for local government", [
        "Municipalities buy systems that cannot talk to each other. Is there a common "
        "architecture that small administrations can adopt without large costs?",
    ]),
    ("C7-EBUS", "Online payments for small exporters", [
        "Small exporters still struggle to accept payments online. Which arrangements have "
        "worked in your region?",
    ]),
    ("C10", "Protecting children online in national plans", [
        "Several national plans now include measures against the exploitation of children "
        "through ICTs. Which combination of regulation and self-regulation works?",
    ]),
    ("C11", "South-South cooperation on rural connectivity", [
        "Proposal: an exchange of regulators' staff between countries that have rolled out "
        "rural connectivity funds. Who would take part?",
    ]),
    ("B", "Tracking the 2015 connectivity targets", [
        "Which of the indicative targets can be measured with data that exists today? A first "
        "mapping against the core indicators is below.",
    ]),
    ("BB", "Business input to the first stocktaking", [
        "Member companies are invited to send their implementation activities for the "
        "stocktaking database before the end of the month.",
    ]),
    ("CSB", "Joint contribution on the coordination of implementation", [
        "Draft language for the joint contribution of the families and groupings is below. "
        "Please send amendments before Thursday.",
        "The caucus on gender supports the draft with one change to paragraph 27b.",
    ]),
    ("GB", "Meeting schedule of the coordination body", [
        "Permanent missions propose meetings every two months in Geneva, with remote "
        "participation for capitals.",
    ]),
    ("COORD", "Template for the annual report of each action line", [
        "Attached is a proposed outline for the annual reports. Each team reports activities, "
        "partners, and progress towards the indicative targets.",
    ]),
]  # fmt: skip


def has_content() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Post)))


def build(*, seed: int) -> tuple[str, str]:
    """Create the demo people, roles and discussions; returns the admin's login."""
    rng = random.Random(seed)
    now = utcnow()
    password = secrets.token_urlsafe(9)
    admin = User(
        email=ADMIN_EMAIL,
        display_name="Forum administrator",
        is_admin=True,
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
        stakeholder_group=G.INTERGOVERNMENTAL,
        organisation="WSIS Executive Secretariat",
        country="CH",
        email_verified_at=now,
    )
    people = [
        User(
            email=f"{_ascii(name.split()[0].lower())}@example.org",
            display_name=name,
            stakeholder_group=group,
            organisation=organisation,
            country=country,
            accredited=group == G.CIVIL_SOCIETY,
            email_verified_at=now,
            password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
            created_at=now - timedelta(days=400),
        )
        for name, group, organisation, country in PEOPLE
    ]
    db.session.add_all([admin, *people])
    boards = {board.code: board for board in db.session.scalars(select(Board))}
    if not boards:
        raise click.ClickException("Load the boards first: flask forum load-boards")
    for code, role, index in ROLES:
        db.session.add(BoardRole(board=boards[code], user=people[index], role=role))
    db.session.flush()
    _email_followers(admin, people, boards)
    for days_ago, (code, title, bodies) in zip(
        range(len(DISCUSSIONS) * 9, 0, -9), DISCUSSIONS, strict=True
    ):
        board = boards[code]
        authors = _eligible_authors(board, people, rng)
        started = now - timedelta(days=days_ago)
        thread = posting.create_thread(board, authors[0], title=title, body=bodies[0], at=started)
        for offset, body in enumerate(bodies[1:], start=1):
            author = authors[offset % len(authors)]
            posting.reply(thread, author, body=body, at=started + timedelta(hours=5 * offset))
    db.session.flush()
    stocktaking.build(boards, people, admin, now)
    demo_reports.build(admin, people)
    _something_to_moderate(boards, people, password, now)
    meetings.add(boards, people, now)
    _a_consultation(boards, people, now)
    return ADMIN_EMAIL, password


def _ascii(text: str) -> str:
    """Lucía → lucia: mail addresses with a plain local part reach every server."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _email_followers(admin: User, people: list[User], boards: dict[str, Board]) -> None:
    """Bureau members and coordinators follow their boards as members would by default;
    the admin takes a daily digest of a few boards, so that the outgoing mail page shows
    list mail and digests from the start."""
    for code, role, index in ROLES:
        subscriptions.apply_role_default(people[index], boards[code], role)
    for code in ("C1", "C5", "CSB", "GB"):
        subscriptions.set_board_mode(admin, boards[code], MailMode.DAILY)
    subscriptions.set_board_mode(people[0], boards["C3"], MailMode.WEEKLY)


def _something_to_moderate(
    boards: dict[str, Board], people: list[User], password: str, now: datetime
) -> None:
    """A board that holds newcomers' posts, one such post waiting, and a flagged post, so
    that the coordinators' queue has something in it."""
    boards["C10"].moderation_mode = ModerationMode.NEW_MEMBERS
    newcomer = User(
        email="newcomer@example.org", display_name="Nadia Haddad",
        stakeholder_group=G.CIVIL_SOCIETY, organisation="Youth IGF", country="LB",
        email_verified_at=now, created_at=now - timedelta(days=1),
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
    )  # fmt: skip
    db.session.add(newcomer)
    db.session.flush()
    thread = db.session.scalars(
        select(Thread).where(Thread.board_id == boards["C10"].id).order_by(Thread.id)
    ).first()
    if thread is not None:
        posting.reply(thread, newcomer, body="Young people should be consulted when these "
                      "measures are drafted. Our network can organise consultations.")  # fmt: skip
    flagged = db.session.scalars(
        select(Thread).where(Thread.board_id == boards["C9"].id).order_by(Thread.id)
    ).first()
    if flagged is not None and flagged.first_post is not None:
        flaggers = [person for person in people if person.id != flagged.author_id][:2]
        for flagger in flaggers:
            flag_post(flagged.first_post, flagger, reason=FlagReason.OFF_TOPIC)


def _a_consultation(boards: dict[str, Board], people: list[User], now: datetime) -> None:
    """An open consultation of C2, listed on C3 (its coordinator accepted) and on D (the
    same coordinator's), with a request that C8 list it too still waiting."""
    itu, unesco = people[10], people[11]
    consultation = consultations.open_consultation(
        boards["C2"],
        itu,
        title="Consultation: affordable access in rural areas",
        question="What has made connectivity affordable in rural areas where you work, and "
        "what stands in the way?",
        body="Affordable access concerns infrastructure (C2), access to information (C3) and "
        "international cooperation (D) at once, so the three teams ask together. Answer here "
        "until the closing date; the coordinators will post a summary.",
        closes_at=now + timedelta(days=21),
        other_boards=[boards["D"], boards["C3"], boards["C8"]],
    )
    [c3] = [listing for listing in consultation.listings if listing.board.code == "C3"]
    consultations.decide_listing(c3, unesco, accept=True)
    thread = consultation.thread
    posting.reply(thread, people[1], body="Community networks with a social purpose licence: "
                  "fees fell to a tenth of an operator's.")  # fmt: skip
    posting.reply(thread, people[9], body="Shared passive infrastructure (towers, ducts) "
                  "lowered our costs most.")  # fmt: skip


def _eligible_authors(board: Board, people: list[User], rng: random.Random) -> list[User]:
    eligible = [person for person in people if can_start_thread(person, board)]
    rng.shuffle(eligible)
    return eligible


def _admin_file() -> Path:
    return Path(current_app.instance_path) / "demo-admin.txt"


def remember_admin(email: str, password: str) -> None:
    path = _admin_file()
    path.touch(mode=0o600)
    path.write_text(f"{email}\n{password}\n")


def print_admin_hint() -> None:
    path = _admin_file()
    if path.exists():
        email, password = path.read_text().split()[:2]
        click.echo(
            f"Demo admin: {email}  password: {password}   (every demo person has the same password)"
        )
