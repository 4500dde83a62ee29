"""Households from Excel, the same validated, all-or-nothing way as the survey import
(services/survey_import.py): the file checks of services/xlsx.py, the header row, then every row
checked by the register's own rules (`households.clean`) before any is written; `preview` names
each bad cell by row and column, `import_file` writes all households in one transaction or none.

A household already registered (same 站, head and address) or twice in the file is a bad row: an
import adds households, it never changes one silently.

**The file format is data**: the column headers (`COLUMNS`) are what a county's spreadsheets say,
in Chinese, whatever the language of the screen. Tags are written in one cell, separated by
`TAG_SEPARATORS`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from core.db import utcnow
from models import AuditAction, Household
from services import audit, households, sites, xlsx
from services.errors import DomainError, Invalid
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed
from services.survey_import import RowError, Words

MAX_ROWS = 5000
SHEET = "户登记"
COLUMNS = (("site", "村（站）"), ("head_name", "户主姓名"), ("address", "住址"),
           ("phone", "联系电话"), ("people", "家庭人口"), ("tags", "标签"), ("note", "备注"))
HEADERS = tuple(h for _c, h in COLUMNS)
TAG_SEPARATORS = re.compile(r"[、,，;；/\s]+")
TEMPLATE_NOTES = tuple(f"household_template.note_{i}" for i in range(1, 5))


@dataclass
class Preview:
    rows: list[dict]
    errors: list[RowError]
    households: int

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Names:
    """Names in the file resolved against the actor's 站 and the active tags."""

    def __init__(self, session: Session, actor: Actor):
        self.villages: dict[str, list[int]] = {}
        for site in sites.villages(session, actor.site_path):
            self.villages.setdefault(site.name, []).append(site.id)
        self.tags = {t.name: t for t in households.tags(session)}
        self.by_id_tags = {t.id: t for t in self.tags.values()}

    def village(self, name: str) -> int | None:
        found = self.villages.get(name, [])
        if not name:
            raise Invalid("error.required", field="site")
        if not found:
            raise Invalid("error.import_site", name=name)
        if len(found) > 1:
            raise Invalid("error.import_site_ambiguous", name=name)
        return found[0]

    def tag_ids(self, cell: str) -> tuple[int, ...]:
        words = [w for w in TAG_SEPARATORS.split(cell) if w]
        unknown = [w for w in words if w not in self.tags]
        if unknown:
            raise Invalid("error.import_tag", name=NAME_SEP.join(unknown))
        return tuple(self.tags[w].id for w in words)


def _check_row(session: Session, actor: Actor, raw: dict, names: _Names, row_number: int,
               errors: list[RowError]) -> dict | None:
    header = dict(COLUMNS)
    before = len(errors)

    def check(column: str, fn):
        try:
            return fn()
        except DomainError as err:
            errors.append(RowError(row_number, header[column], err.key, dict(err.params)))
            return None

    site_id = check("site", lambda: names.village(_text(raw["site"])))
    tag_ids = check("tags", lambda: names.tag_ids(_text(raw["tags"])))
    if site_id is None or tag_ids is None:
        return None
    people = raw["people"] if raw["people"] is not None else ""
    entry = households.HouseholdInput(site_id=site_id, head_name=_text(raw["head_name"]),
                                      address=_text(raw["address"]), phone=_text(raw["phone"]),
                                      people=people, tag_ids=tag_ids, note=_text(raw["note"]))
    for column, rule in households.field_rules(entry):  # each bad cell in its own column
        check(column, rule)
    if len(errors) > before:
        return None
    return households.clean(session, actor, entry, action=Action.IMPORT_HOUSEHOLDS,
                            active_tags=names.by_id_tags)


def _validate(session: Session, actor: Actor, content: bytes) -> tuple[Preview, list[dict]]:
    rows = xlsx.first_sheet_rows(content, max_rows=MAX_ROWS, columns=len(HEADERS) + 1)
    if not rows:
        raise Invalid("error.import_empty")
    xlsx.check_header(rows[0], HEADERS)
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(_text(v) for v in r)]
    if not body:
        raise Invalid("error.import_empty")
    names = _Names(session, actor)
    errors: list[RowError] = []
    shown, clean, seen = [], [], {}
    for n, row in body:
        row = tuple(row) + (None,) * (len(HEADERS) - len(row))
        raw = {code: row[i] for i, (code, _h) in enumerate(COLUMNS)}
        shown.append({"row": n, **{code: _text(v) for code, v in raw.items()}})
        if any(_text(v) for v in row[len(HEADERS):]):
            errors.append(RowError(n, xlsx.column_letter(len(HEADERS)),
                                   "error.import_extra_cell", {}))
        good = _check_row(session, actor, raw, names, n, errors)
        if good is None:
            continue
        key = (good["site_id"], good["head_name"], good["address"])
        if key in seen:
            errors.append(RowError(n, dict(COLUMNS)["head_name"], "error.import_household_twice",
                                   {"row": seen[key]}))
        elif _registered(session, good):
            errors.append(RowError(n, dict(COLUMNS)["head_name"], "error.household_taken",
                                   {"name": good["head_name"]}))
        else:
            seen[key] = n
            clean.append(good)
    return Preview(rows=shown, errors=errors, households=len(clean)), clean


def _registered(session: Session, fields: dict) -> bool:
    return session.exec(select(Household.id).where(
        Household.site_id == fields["site_id"], Household.head_name == fields["head_name"],
        Household.address == fields["address"])).first() is not None


def preview(session: Session, *, actor: Actor, content: bytes) -> Preview:
    """Check a file without writing: every row, each bad cell named by row and column.
    File-level faults (size, format, header) raise Invalid instead. Managers only."""
    ensure_allowed(actor, Action.IMPORT_HOUSEHOLDS)
    return _validate(session, actor, content)[0]


def import_file(session: Session, *, actor: Actor, content: bytes, file_name: str = "",
                now: datetime | None = None) -> Preview:
    """Register the households of a fully valid file in one transaction; any bad row and
    nothing is written. The audit line counts households; it names no one."""
    ensure_allowed(actor, Action.IMPORT_HOUSEHOLDS)
    now = now or utcnow()
    result, clean = _validate(session, actor, content)
    if not result.ok:
        raise Invalid("error.import_has_errors", count=len(result.errors))
    for fields in clean:
        households.write(session, fields)
    audit.record(session, AuditAction.households_import, actor_id=actor.id,
                 target=file_name[:100], detail=f"households={result.households}", at=now)
    session.commit()
    return result


def template(session: Session, *, actor: Actor, words: Words) -> bytes:
    """An empty import sheet with the header row, a sheet of the allowed 站 and tags, and a sheet
    of instructions in the reader's language."""
    ensure_allowed(actor, Action.IMPORT_HOUSEHOLDS)
    names = _Names(session, actor)
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    xlsx.write_sheet(book, bold, SHEET, HEADERS, [], (14, 12, 30, 14, 10, 24, 30))
    lists = [sorted(names.villages), list(names.tags)]
    longest = max(len(x) for x in lists) if any(lists) else 0
    rows = [[lst[i] if i < len(lst) else "" for lst in lists] for i in range(longest)]
    header = dict(COLUMNS)
    xlsx.write_sheet(book, bold, words("household_template.lists_sheet"),
                     (header["site"], header["tags"]), rows, (16, 16))
    notes = book.add_worksheet(words("household_template.notes_sheet"))
    for r, key in enumerate(TEMPLATE_NOTES):
        notes.write_string(r, 0, words(key, mb=xlsx.MAX_BYTES // (1024 * 1024), rows=MAX_ROWS,
                                       tags=NAME_SEP.join(names.tags)))
    notes.set_column(0, 0, 100)
    book.close()
    return buffer.getvalue()
