"""Submitting, updating and confirming stocktaking entries, the yearly reminder, and the
figures periodic reports take from the stocktaking. Reviews are moderation acts
(forum.moderation.entries_acts)."""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, func, select, update

from forum.accounts.models import StakeholderGroup, User
from forum.boards.models import Board, BoardKind, BoardRole, Role
from forum.db import utcnow
from forum.extensions import db
from forum.i18n import country_names
from forum.markup import render_markdown
from forum.notices.services import notify
from forum.permissions import Action, can, can_read_board
from forum.stocktaking.models import (
    Entry,
    EntryBoard,
    EntryCountry,
    EntryRevision,
    EntryStatus,
    ReviewState,
    Scope,
)

MAX_ACTION_LINES = 8
MAX_COUNTRIES = 60
SUMMARY_MAX_LENGTH = 5000
# An entry not updated or confirmed for this long may be out of date.
STALE_AFTER = timedelta(days=365)


class EntryError(Exception):
    """An entry that cannot be saved as given; the message is for the person."""


@dataclass
class EntryData:
    """What a person writes about an activity."""

    title: str
    summary: str
    organisation: str
    stakeholder_group: StakeholderGroup
    lead_country: str
    status: EntryStatus
    start_date: date
    board_ids: list[int]
    scope: Scope = Scope.COUNTRIES
    countries: list[str] = field(default_factory=list)
    end_date: date | None = None
    website: str = ""
    contact_name: str = ""
    contact_email: str = ""
    show_email: bool = False
    keywords: str = ""
    colleagues_may_edit: bool = False


def action_lines(user: User) -> list[Board]:
    """The boards an entry may serve: the action lines (C7's e-applications, B, D and E
    among them) this person may read, in the catalogue's order."""
    boards = db.session.scalars(
        select(Board).where(Board.kind == BoardKind.ACTION_LINE).order_by(Board.position)
    )
    return [board for board in boards if can_read_board(user, board)]


def unknown_countries(codes: list[str]) -> list[str]:
    known = country_names()
    return [code for code in codes if code not in known]


def problems(user: User, data: EntryData) -> list[str]:
    """What is wrong with the entry as given, in words for the person (none: it can be
    saved). Forms show these beside their fields; services refuse with the first."""
    found = []
    if not data.title.strip():
        found.append(_("Give the activity a title."))
    if not data.summary.strip():
        found.append(_("Describe the activity in a few sentences."))
    if len(data.summary) > SUMMARY_MAX_LENGTH:
        found.append(_("The summary is %(length)d characters long; the limit is %(limit)d.",
                       length=len(data.summary), limit=SUMMARY_MAX_LENGTH))  # fmt: skip
    if not data.board_ids:
        found.append(_("Choose the action line the activity serves."))
    elif len(set(data.board_ids)) > MAX_ACTION_LINES:
        found.append(_("Choose at most %(limit)d action lines: the ones the activity serves "
                       "most directly.", limit=MAX_ACTION_LINES))  # fmt: skip
    elif set(data.board_ids) - {board.id for board in action_lines(user)}:
        found.append(_("Choose action lines from the list."))
    unknown = unknown_countries([data.lead_country, *data.countries])
    if unknown:
        found.append(ngettext("Unknown country code: %(codes)s. Use two-letter ISO codes (KE).",
                              "Unknown country codes: %(codes)s. Use two-letter ISO codes (KE).",
                              len(unknown), codes=", ".join(unknown)))  # fmt: skip
    if len(set(data.countries)) > MAX_COUNTRIES:
        found.append(_("List at most %(limit)d countries; for more, say the activity is "
                       "regional or global.", limit=MAX_COUNTRIES))  # fmt: skip
    if data.end_date is not None and data.end_date < data.start_date:
        found.append(_("The end date is before the start date."))
    if data.status == EntryStatus.COMPLETED and data.end_date is None:
        found.append(_("Give the end date of a completed activity."))
    return found


def _refuse_problems(user: User, data: EntryData) -> None:
    found = problems(user, data)
    if found:
        raise EntryError(found[0])


def _snapshot(entry: Entry) -> dict[str, Any]:
    """The entry's fields as a revision keeps them."""
    return {
        "title": entry.title, "summary": entry.summary_source,
        "organisation": entry.organisation, "stakeholder_group": entry.stakeholder_group.value,
        "lead_country": entry.lead_country, "countries": entry.country_codes,
        "scope": entry.scope.value, "status": entry.status.value,
        "start_date": entry.start_date.isoformat(),
        "end_date": entry.end_date.isoformat() if entry.end_date else None,
        "action_lines": [line.board_id for line in entry.lines], "website": entry.website,
        "contact_name": entry.contact_name, "contact_email": entry.contact_email,
        "show_email": entry.show_email, "keywords": entry.keywords,
    }  # fmt: skip


def _apply(entry: Entry, data: EntryData, now: datetime) -> None:
    values = asdict(data)
    entry.title = data.title.strip()
    entry.summary_source = data.summary
    entry.summary_html = render_markdown(data.summary)
    entry.organisation = data.organisation.strip()
    entry.stakeholder_group = data.stakeholder_group
    entry.lead_country = data.lead_country
    entry.scope = data.scope
    if data.status == EntryStatus.COMPLETED and entry.status != EntryStatus.COMPLETED:
        entry.completed_at = now
    elif data.status != EntryStatus.COMPLETED:
        entry.completed_at = None
    entry.status = data.status
    entry.start_date, entry.end_date = data.start_date, data.end_date
    for name in ("website", "contact_name", "contact_email", "keywords"):
        setattr(entry, name, values[name].strip())
    entry.show_email = data.show_email and bool(entry.contact_email)
    board_ids = list(dict.fromkeys(data.board_ids))
    entry.lines = [EntryBoard(board_id=board_id, position=position)
                   for position, board_id in enumerate(board_ids)]  # fmt: skip
    codes = list(dict.fromkeys([data.lead_country, *data.countries]))
    entry.countries = [EntryCountry(country=code, position=position)
                       for position, code in enumerate(codes)]  # fmt: skip


def _keep_revision(
    entry: Entry, author: User, *, now: datetime, confirmed_only: bool = False
) -> EntryRevision:
    db.session.flush()
    db.session.expire(entry, ["lines", "countries"])
    revision = EntryRevision(
        entry_id=entry.id, number=entry.revision_count, written_at=now,
        written_by_id=author.id, confirmed_only=confirmed_only, fields=_snapshot(entry),
    )  # fmt: skip
    db.session.add(revision)
    db.session.flush()
    return revision


def submit_entry(submitter: User, *, data: EntryData, at: datetime | None = None) -> Entry:
    """A new entry, held for review by the coordinators of its action lines; the first
    revision is the submission. `at` backdates it (demo data)."""
    if not can(submitter, Action.SUBMIT_ENTRY):
        raise EntryError(_("Confirm your email address before submitting an activity."))
    _refuse_problems(submitter, data)
    now = at or utcnow()
    entry = Entry(submitter_id=submitter.id, created_at=now, updated_at=now,
                  colleagues_may_edit=data.colleagues_may_edit)  # fmt: skip
    _apply(entry, data, now)
    db.session.add(entry)
    _keep_revision(entry, submitter, now=now)
    _tell_reviewers(entry, submitter)
    return entry


def _tell_reviewers(entry: Entry, author: User) -> None:
    """The coordinators of its action lines hear that it waits for them."""
    board_ids = [line.board_id for line in entry.lines]
    coordinators = db.session.scalars(
        select(User)
        .join(BoardRole, BoardRole.user_id == User.id)
        .where(BoardRole.board_id.in_(board_ids), BoardRole.role == Role.COORDINATOR,
               User.id != author.id)
        .distinct()
        .order_by(User.id)
    )  # fmt: skip
    for coordinator in coordinators:
        notify(coordinator, "entry_waiting", entry_id=entry.id, entry=entry.title)


def update_entry(entry: Entry, editor: User, *, data: EntryData) -> EntryRevision:
    """Save a new version; one whose changes were asked for goes back to the reviewers.
    Only the submitter decides whether colleagues may update it."""
    if not can(editor, Action.EDIT_ENTRY, entry):
        raise EntryError(_("You cannot update this entry."))
    _refuse_problems(editor, data)
    now = utcnow()
    _apply(entry, data, now)
    if editor.id == entry.submitter_id:
        entry.colleagues_may_edit = data.colleagues_may_edit
    back_for_review = entry.review_state == ReviewState.CHANGES_REQUESTED
    if back_for_review:
        entry.review_state = ReviewState.PENDING
    entry.updated_at = now
    entry.revision_count += 1
    revision = _keep_revision(entry, editor, now=now)
    if back_for_review:
        _tell_reviewers(entry, editor)
    return revision


def confirm_entry(entry: Entry, editor: User) -> EntryRevision:
    """ "Still accurate": counts as an update that changes nothing."""
    if not can(editor, Action.EDIT_ENTRY, entry):
        raise EntryError(_("You cannot update this entry."))
    now = utcnow()
    entry.updated_at = now
    entry.revision_count += 1
    return _keep_revision(entry, editor, now=now, confirmed_only=True)


def is_stale(entry: Entry, now: datetime | None = None) -> bool:
    return entry.updated_at < (now or utcnow()) - STALE_AFTER


def remind_stale(now: datetime | None = None) -> int:
    """Ask the submitter of each published entry not updated for a year, once, to confirm
    or update it (a notice, which comes by email unless they turned notices off)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Entry)
        .where(
            Entry.review_state == ReviewState.PUBLISHED,
            Entry.submitter_id.is_not(None),
            Entry.updated_at < now - STALE_AFTER,
            Entry.reminded_at.is_(None) | (Entry.reminded_at < Entry.updated_at),
        )
        .order_by(Entry.id)
        .limit(200)
    ).all()
    for entry in due:
        claimed = db.session.execute(
            update(Entry)
            .where(
                Entry.id == entry.id,
                Entry.reminded_at.is_(None) | (Entry.reminded_at < Entry.updated_at),
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1 and entry.submitter is not None and not entry.submitter.is_deleted:
            notify(entry.submitter, "entry_stale", entry_id=entry.id, entry=entry.title)
    db.session.flush()
    return len(due)


def entry_figures(board_ids: list[int], start: datetime, end: datetime) -> dict[str, Any]:
    """The stocktaking of a period for a report: published entries serving any of these
    boards, counted new (submitted in [start, end)), updated (saved or confirmed then,
    after their submission), completed then; and those existing at its end, by status.
    One query, however many entries."""
    serving = select(EntryBoard.entry_id).where(EntryBoard.board_id.in_(board_ids))
    published = and_(Entry.review_state == ReviewState.PUBLISHED, Entry.id.in_(serving))

    def counted(*conditions: Any) -> Any:
        return select(func.count(Entry.id)).where(published, *conditions).scalar_subquery()

    updated = select(EntryRevision.entry_id).where(
        EntryRevision.number > 1, EntryRevision.written_at >= start, EntryRevision.written_at < end
    )
    statuses = list(EntryStatus)
    row = db.session.execute(
        select(
            counted(Entry.created_at >= start, Entry.created_at < end),
            counted(Entry.id.in_(updated)),
            counted(Entry.completed_at >= start, Entry.completed_at < end),
            *(counted(Entry.status == status, Entry.created_at < end) for status in statuses),
        )
    ).one()
    by_status = {status.value: number for status, number in zip(statuses, row[3:], strict=True)}
    return {"new": row[0], "updated": row[1], "completed": row[2], "by_status": by_status}
