"""Stocktaking entries for the bulk data set, inserted directly: one for every ten
threads, spread over its three years, most published, across action lines, countries
and statuses, so that the figures reports take from the stocktaking are measured on a
realistic table."""

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from forum.accounts.models import StakeholderGroup
from forum.boards.models import Board, BoardKind
from forum.extensions import db
from forum.markup import render_markdown
from forum.stocktaking.models import (
    Entry,
    EntryBoard,
    EntryCountry,
    EntryRevision,
    EntryStatus,
    ReviewState,
    Scope,
)

COUNTRIES = "AR BD BR CA CH CN DE EG ET FR GH ID IN JP KE MA MX NG PE PH RU SN TN UA US ZA".split()
TOPICS = ("Community networks", "Digital skills", "Open data portal", "Cybersecurity drills",
          "Telemedicine", "E-government services", "Rural connectivity", "Media literacy",
          "Local content", "Accessibility for persons with disabilities")  # fmt: skip
STATES = (ReviewState.PUBLISHED,) * 8 + (ReviewState.PENDING, ReviewState.REJECTED)


def _first_id(model: type) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def insert_entries(
    count: int,
    user_ids: list[int],
    rng: random.Random,
    now: datetime,
    span: timedelta,
    progress: Callable[[str], None],
) -> int:
    boards = list(db.session.scalars(select(Board.id).where(Board.kind == BoardKind.ACTION_LINE)))
    if not boards or not user_ids:
        return 0
    first = _first_id(Entry)
    first_revision = _first_id(EntryRevision)
    entries, lines, countries, revisions = [], [], [], []
    for offset in range(count):
        entry_id = first + offset
        created = now - span * rng.random()
        status = rng.choice(list(EntryStatus))
        start = (created - timedelta(days=rng.randint(0, 400))).date()
        end = (
            start + timedelta(days=rng.randint(60, 900))
            if status == EntryStatus.COMPLETED
            else None
        )
        state = rng.choice(STATES)
        summary = f"{rng.choice(TOPICS)} with local partners, in {rng.randint(2, 40)} districts."
        updated = min(now, created + timedelta(days=rng.randint(0, 500)))
        entries.append({
            "id": entry_id, "title": f"{rng.choice(TOPICS)} {entry_id}",
            "summary_source": summary, "summary_html": render_markdown(summary),
            "organisation": f"Organisation {rng.randint(1, 500)}",
            "stakeholder_group": rng.choice(list(StakeholderGroup)),
            "lead_country": rng.choice(COUNTRIES), "scope": Scope.COUNTRIES, "status": status,
            "start_date": start, "end_date": end, "website": "", "contact_name": "",
            "contact_email": "", "show_email": False, "keywords": "",
            "submitter_id": rng.choice(user_ids), "colleagues_may_edit": False,
            "review_state": state, "review_reason": "", "created_at": created,
            "updated_at": updated,
            "published_at": created + timedelta(days=2) if state == ReviewState.PUBLISHED else None,
            "completed_at": updated if status == EntryStatus.COMPLETED else None,
            "revision_count": 1 if updated == created else 2,
        })  # fmt: skip
        for position, board_id in enumerate(rng.sample(boards, rng.randint(1, 3))):
            lines.append({"entry_id": entry_id, "board_id": board_id, "position": position})
        codes = list(dict.fromkeys([entries[-1]["lead_country"], *rng.sample(COUNTRIES, 2)]))
        countries.extend({"entry_id": entry_id, "country": code, "position": position}
                         for position, code in enumerate(codes))  # fmt: skip
        for number, moment in enumerate(dict.fromkeys([created, updated]), start=1):
            revisions.append({"id": first_revision + len(revisions), "entry_id": entry_id,
                              "number": number, "written_at": moment,
                              "written_by_id": entries[-1]["submitter_id"],
                              "confirmed_only": number > 1, "fields": {}})  # fmt: skip
    for model, rows in ((Entry, entries), (EntryBoard, lines), (EntryCountry, countries),
                        (EntryRevision, revisions)):  # fmt: skip
        if rows:
            db.session.execute(insert(model), rows)
    progress(f"stocktaking entries: {count}")
    return count
