"""Applying the board catalogue from config/."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from forum.boards.models import (
    CATALOGUE_LANGUAGE,
    Board,
    BoardKind,
    PostPolicy,
    ReadPolicy,
    Section,
)
from forum.extensions import db


class CatalogueError(ValueError):
    """The board catalogue file is not well formed; the message says where."""


@dataclass
class CatalogueReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def read_catalogue(path: Path) -> list[dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogueError(f"{path}: {error}") from error
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        raise CatalogueError(f"{path}: no [[sections]]")
    return sections


def _translations(entry: dict[str, Any], where: str) -> dict[str, dict[str, str]]:
    """The entry's title and description in each of the forum's languages but English
    (which is `title` and `description` themselves); every one is required."""
    given = entry.get("translations", {})
    languages = [code for code in current_app.config["LANGUAGES"] if code != CATALOGUE_LANGUAGE]
    unknown = sorted(set(given) - set(languages))
    if unknown:
        raise CatalogueError(f"{where}: translations in {', '.join(unknown)}, not a forum language")
    wanted = ["title", "description"] if entry.get("description") else ["title"]
    missing: dict[str, list[str]] = {}
    for code in languages:
        names = [n for n in wanted if not str(given.get(code, {}).get(n, "")).strip()]
        if names:
            missing.setdefault(" or ".join(names), []).append(code)
    if missing:
        gaps = "; ".join(f"no {names} in {', '.join(codes)}" for names, codes in missing.items())
        raise CatalogueError(f"{where}: {gaps}")
    return {code: {name: given[code][name] for name in wanted} for code in languages}


def _board_values(entry: dict[str, Any], position: int) -> dict[str, Any]:
    where = f"board {entry.get('code', '?')}"
    try:
        kind = BoardKind(entry.get("kind", "action_line"))
        values = {
            "title": entry["title"],
            "description": entry.get("description", ""),
            "facilitators": list(entry.get("facilitators", [])),
            "kind": kind,
            "read_policy": ReadPolicy(entry.get("read", "public")),
            "post_policy": PostPolicy(entry.get("post", "verified")),
            "position": position,
        }
    except (KeyError, ValueError) as error:
        raise CatalogueError(f"{where}: {error}") from error
    return {**values, "translations": _translations(entry, where)}


def load_boards(path: Path) -> CatalogueReport:
    """Create or update sections and boards from the catalogue (matched by section slug
    and board code); boards missing from the file are reported, never deleted."""
    report = CatalogueReport()
    sections = read_catalogue(path)
    boards_by_code = {b.code: b for b in db.session.scalars(select(Board))}
    sections_by_slug = {s.slug: s for s in db.session.scalars(select(Section))}
    seen: set[str] = set()
    position = 0
    for section_position, section_entry in enumerate(sections):
        section = _apply_section(section_entry, section_position, sections_by_slug, report)
        for entry in section_entry.get("boards", []):
            position += 1
            code = entry.get("code")
            if not code or "slug" not in entry:
                raise CatalogueError(f"section {section.slug}: a board without code or slug")
            values = _board_values(entry, position)
            parent = boards_by_code.get(entry["parent"]) if "parent" in entry else None
            board = boards_by_code.get(code)
            if board is None:
                board = Board(code=code, slug=entry["slug"], section=section, **values)
                db.session.add(board)
                boards_by_code[code] = board
                report.created.append(code)
            elif _update(board, {"slug": entry["slug"], "section": section, **values}):
                report.updated.append(code)
            if board.parent is not parent:
                board.parent = parent
                if code not in report.created and code not in report.updated:
                    report.updated.append(code)
            seen.add(code)
    report.not_in_file = sorted(set(boards_by_code) - seen)
    db.session.flush()
    return report


def _apply_section(
    entry: dict[str, Any], position: int, existing: dict[str, Section], report: CatalogueReport
) -> Section:
    if "slug" not in entry or "title" not in entry:
        raise CatalogueError("a [[sections]] entry without slug or title")
    values = {
        "title": entry["title"],
        "description": entry.get("description", ""),
        "translations": _translations(entry, f"section {entry['slug']}"),
        "position": position,
    }
    section = existing.get(entry["slug"])
    if section is None:
        section = Section(slug=entry["slug"], **values)
        db.session.add(section)
        existing[section.slug] = section
        report.created.append(f"section {section.slug}")
    elif _update(section, values):
        report.updated.append(f"section {section.slug}")
    return section


def _update(obj: object, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed
