"""Demo stocktaking entries: activities across action lines, countries and stakeholder
groups, most published by the coordinators of their action lines (which opens their
discussions), one waiting for review, and one not updated for over a year."""

from datetime import date, datetime, timedelta

from forum.accounts.models import User
from forum.boards.models import Board
from forum.moderation.entries_acts import publish_entry
from forum.permissions import can_moderate_board
from forum.stocktaking.models import EntryStatus, Scope
from forum.stocktaking.services import EntryData, submit_entry

S = EntryStatus
# (person index, action lines, title, summary, lead country, other countries, scope,
#  status, start, end, website, keywords, days since submitted, published)
ENTRIES = [
    (0, ("C3", "C10"), "Community radio and telecentres for rural Senegal",
     "Twelve telecentres run with **community radio** stations give villages shared access "
     "to the Internet, with evening classes for women and young people.", "SN", ["GM", "ML"],
     Scope.COUNTRIES, S.ONGOING, date(2024, 9, 1), None, "https://example.org/telecentres",
     "access, community radio, rural", 120, True),
    (1, ("C2",), "Community network licensing toolkit for the Andean region",
     "Model licence conditions, spectrum fee waivers and a step-by-step guide for community "
     "operators, prepared with four regulators.", "BO", ["PE", "EC", "CO"], Scope.REGIONAL,
     S.COMPLETED, date(2023, 3, 1), date(2025, 6, 30), "https://example.org/andean-toolkit",
     "licensing, spectrum, community networks", 200, True),
    (2, ("C5", "C10"), "Digital safety helpline for women journalists",
     "A helpline in six languages answers journalists facing online harassment, with a "
     "network of volunteer lawyers and security trainers.", "IN", ["BD", "NP", "LK"],
     Scope.COUNTRIES, S.ONGOING, date(2025, 1, 15), None, "https://example.org/helpline",
     "online safety, gender, media", 60, True),
    (3, ("C4", "C7-ELEARN"), "Open courseware on network engineering",
     "Free university courses on routing and network security, in Polish and Ukrainian, "
     "with laboratory exercises that run on a laptop.", "PL", ["UA"], Scope.COUNTRIES,
     S.ONGOING, date(2024, 10, 1), None, "https://example.org/courseware",
     "capacity building, open educational resources", 150, True),
    (4, ("C2", "C5"), "IPv6 deployment training for Pacific island operators",
     "Hands-on workshops and remote mentoring help small operators deploy IPv6 and secure "
     "their routing.", "AU", ["FJ", "PG", "WS", "TO", "VU"], Scope.REGIONAL, S.ONGOING,
     date(2025, 2, 1), None, "https://example.org/ipv6-pacific", "IPv6, routing security", 90,
     True),
    (5, ("C1", "C7-EGOV"), "National e-government interoperability framework",
     "Common data standards let ministries exchange records, so that citizens give their "
     "details once.", "GH", [], Scope.COUNTRIES, S.COMPLETED, date(2022, 1, 10),
     date(2025, 3, 31), "https://example.org/interoperability", "e-government, data standards",
     430, True),
    (7, ("C6", "C5"), "Regulatory sandbox for mobile money",
     "Start-ups test mobile payment services under supervision for a year before a full "
     "licence.", "EG", [], Scope.COUNTRIES, S.ONGOING, date(2025, 5, 1), None,
     "https://example.org/sandbox", "mobile money, regulation", 45, True),
    (8, ("C2", "B"), "Rural 4G coverage with shared infrastructure",
     "Operators share towers and backhaul to bring 4G to 300 rural localities.", "CL",
     ["AR", "PE"], Scope.COUNTRIES, S.PLANNED, date(2026, 3, 1), None,
     "https://example.org/rural-4g", "infrastructure sharing, rural", 30, True),
    (12, ("C7-EHEALTH",), "Telemedicine networks for district hospitals",
     "District hospitals consult specialists by video; guidance on data protection and "
     "clinical safety.", "CH", [], Scope.GLOBAL, S.ONGOING, date(2024, 6, 1), None,
     "https://example.org/telemedicine", "telemedicine, health", 100, True),
    (13, ("C7-EAGRI", "C7-EBUS"), "Market prices by SMS for smallholder farmers",
     "Farmers receive daily market prices by SMS in their own language and sell at better "
     "prices.", "IT", ["KE", "UG", "ET", "MW"], Scope.COUNTRIES, S.ONGOING, date(2024, 4, 1),
     None, "https://example.org/market-prices", "agriculture, SMS, markets", 75, True),
    (11, ("C3", "C8"), "Multilingual public library portals",
     "Public libraries publish their catalogues and local heritage in the languages of "
     "their readers.", "FR", [], Scope.GLOBAL, S.ONGOING, date(2025, 9, 1), None,
     "https://example.org/libraries", "libraries, multilingualism", 20, True),
    (9, ("C7-EBUS",), "Cross-border e-commerce guide for small firms",
     "A practical guide to customs, payments and consumer rules for small firms selling "
     "abroad online.", "JP", ["VN", "TH"], Scope.COUNTRIES, S.PLANNED, date(2026, 4, 1), None,
     "https://example.org/e-commerce", "e-business, SMEs", 2, False),
]  # fmt: skip


def build(boards: dict[str, Board], people: list[User], admin: User, now: datetime) -> None:
    for (index, codes, title, summary, lead, countries, scope, status, start, end, website,
         keywords, days, published) in ENTRIES:  # fmt: skip
        submitter = people[index]
        entry = submit_entry(
            submitter,
            data=EntryData(
                title=title, summary=summary, organisation=submitter.organisation,
                stakeholder_group=submitter.stakeholder_group, lead_country=lead,
                countries=countries, scope=scope, status=status, start_date=start,
                end_date=end, board_ids=[boards[code].id for code in codes], website=website,
                contact_name="Programme office", keywords=keywords,
                colleagues_may_edit=True,
            ),
            at=now - timedelta(days=days),
        )  # fmt: skip
        if published:
            publish_entry(entry, _reviewer(entry.boards, people, submitter) or admin)


def _reviewer(lines: list[Board], people: list[User], submitter: User) -> User | None:
    """A coordinator of one of the entry's action lines other than its submitter."""
    for board in lines:
        for person in people:
            if person.id != submitter.id and can_moderate_board(person, board):
                return person
    return None
