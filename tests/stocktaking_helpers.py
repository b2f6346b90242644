"""Making stocktaking entries for tests: through the service, as a form would."""

from datetime import date, datetime

from flask import Flask

from forum.accounts.models import StakeholderGroup, User
from forum.extensions import db
from forum.moderation import entries_acts
from forum.stocktaking import services
from forum.stocktaking.models import Entry, EntryStatus
from tests.helpers import board


def make_entry(
    app: Flask,
    submitter: User,
    *,
    codes: tuple[str, ...] = ("C5",),
    title: str = "Cyber drills for small administrations",
    publish_by: User | None = None,
    at: datetime | None = None,
    **fields: object,
) -> Entry:
    """An entry serving the boards `codes`, published by `publish_by` if given."""
    with app.test_request_context():
        values = {
            "title": title,
            "summary": "Three-day exercises for national response teams.",
            "organisation": submitter.organisation,
            "stakeholder_group": StakeholderGroup.CIVIL_SOCIETY,
            "lead_country": "KE",
            "status": EntryStatus.ONGOING,
            "start_date": date(2025, 3, 1),
            "board_ids": [board(code).id for code in codes],
            **fields,
        }
        entry = services.submit_entry(submitter, data=services.EntryData(**values), at=at)
        if publish_by is not None:
            entries_acts.publish_entry(entry, publish_by)
        db.session.commit()
        return entry


def entry_form(codes: list[int], **changes: object) -> dict:
    """The fields of the entry form, as a browser sends them."""
    fields = {
        "title": "Community networks in the Sahel",
        "summary": "Training local operators to run *community* networks.",
        "organisation": "Réseau Sahel",
        "stakeholder_group": "civil_society",
        "lead_country": "ML",
        "scope": "countries",
        "countries": "NE, BF",
        "first_line": str(codes[0]),
        "other_lines": [str(code) for code in codes[1:]],
        "status": "ongoing",
        "start_date": "2025-01-15",
        "end_date": "",
        "website": "https://example.org/sahel",
        "contact_name": "Programme office",
        "contact_email": "office@example.org",
        "keywords": "connectivity, rural",
    }
    fields.update(changes)
    return fields
