"""志愿者名册 from Excel: the import format, its template, and the importer.

The same order as the survey import (services/survey_import.py), so that a bad file costs
nothing: the file checks of services/xlsx.py (size before anything is read, a real .xlsx, the
unpacked size), the header row, then every row validated before any is written. `preview`
names each bad cell by row and column and says which rows are new and which phones are already
registered; `import_file` checks the same again and writes all rows in one transaction, or
nothing. A phone already registered (to a volunteer of the manager's sites) is updated only
when the manager asks for it (`update_existing`); otherwise that row is left as it is. A phone
registered by a site outside the manager's is an error: it cannot be updated from here.

A 5,000-row file is read once, its names resolved against lookups loaded once and its phones
looked up in batches; `progress(done, total)` is called as rows are checked and written so the
page can show a progress bar.

**The file format is data, not screen text**: the headers (`COLUMNS`), the gender and yes/no
words and the separators are what a county's spreadsheets say, in Chinese, whatever the screen's
language.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    AuditAction,
    Gender,
    Site,
    Skill,
    Team,
    Volunteer,
    VolunteerSkill,
    VolunteerTeam,
)
from services import audit, sites, validate, volunteers, xlsx
from services import settings as settings_service
from services.clock import local_today
from services.errors import DomainError, Invalid
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed
from services.survey_import import RowError, Words, _blank, _date, _text

MAX_ROWS = 10_000
SHEET = "志愿者名册"
COLUMNS = (("name", "姓名"), ("phone", "手机号"), ("gender", "性别"), ("site", "所属站点"),
           ("teams", "志愿服务队"), ("party_member", "党员"), ("skills", "特长"),
           ("registered_on", "注册日期"))
HEADERS = tuple(h for _c, h in COLUMNS)
GENDER_WORDS = {"男": Gender.male, "女": Gender.female}
YES_NO_WORDS = {"是": True, "否": False, "": False}
SEPARATORS = re.compile(r"[、，,；;/\s]+")
TEMPLATE_NOTES = tuple(f"roster_template.note_{i}" for i in range(1, 6))
PHONE_BATCH = 500

Progress = Callable[[int, int], None]


@dataclass
class Preview:
    rows: list[dict]
    errors: list[RowError]
    new: int = 0
    existing: list[dict] = field(default_factory=list)  # {"row", "phone", "name"} already there

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def _header(row: tuple) -> None:
    found = [("" if v is None else str(v).strip()) for v in row]
    while found and not found[-1]:
        found.pop()
    for i, expected in enumerate(HEADERS):
        got = found[i] if i < len(found) else ""
        if got != expected:
            raise Invalid("error.import_column", column=xlsx.column_letter(i), expected=expected,
                          found=got)
    if len(found) > len(HEADERS):
        raise Invalid("error.import_column", column=xlsx.column_letter(len(HEADERS)),
                      expected="", found=found[len(HEADERS)])


class _Lookups:
    def __init__(self, session: Session, actor: Actor):
        self.sites: dict[str, list[Site]] = {}
        for site in sites.subtree(session, actor.site_path):
            self.sites.setdefault(site.name, []).append(site)
        self.teams: dict[str, list[int]] = {}
        for team_id, name in session.exec(
                select(Team.id, Team.name).join(Site, Site.id == Team.site_id)
                .where(Site.path.startswith(actor.site_path), Team.active)):
            self.teams.setdefault(name, []).append(team_id)
        self.skills = {s.name: s.id for s in session.exec(select(Skill).where(Skill.active))}

    def site(self, name: str) -> Site:
        if not name:
            raise Invalid("error.required", field="site")
        found = self.sites.get(name, [])
        if not found:
            raise Invalid("error.import_site", name=name)
        if len(found) > 1:
            raise Invalid("error.import_site_ambiguous", name=name)
        return found[0]

    def team_ids(self, cell: str) -> tuple[int, ...]:
        out = []
        for name in (n for n in SEPARATORS.split(cell) if n):
            found = self.teams.get(name, [])
            if len(found) != 1:
                raise Invalid("error.roster_team", name=name)
            out.append(found[0])
        return tuple(dict.fromkeys(out))

    def skill_ids(self, cell: str) -> tuple[int, ...]:
        out = []
        for name in (n for n in SEPARATORS.split(cell) if n):
            if name not in self.skills:
                raise Invalid("error.roster_skill", name=name)
            out.append(self.skills[name])
        return tuple(dict.fromkeys(out))


def _word(table: dict, value: str, key: str):
    if value not in table:
        raise Invalid(key)
    return table[value]


def _registered(value, today: date) -> date:
    day = _date(value)
    if day > today:
        raise Invalid("error.roster_future")
    return day


def _clean_row(raw: dict, names: _Lookups, today: date, errors: list[RowError],
               row_number: int) -> dict | None:
    header = dict(COLUMNS)

    def check(column: str, fn):
        try:
            return fn()
        except DomainError as err:
            errors.append(RowError(row_number, header[column], err.key, dict(err.params)))
            return None

    before = len(errors)
    clean = {
        "name": check("name", lambda: validate.text(_text(raw["name"]), key="name", maximum=40)),
        "phone": check("phone", lambda: validate.phone(_text(raw["phone"]), required=True)),
        "gender": check("gender", lambda: _word(GENDER_WORDS, _text(raw["gender"]),
                                                "error.roster_gender")),
        "site": check("site", lambda: names.site(_text(raw["site"]))),
        "team_ids": check("teams", lambda: names.team_ids(_text(raw["teams"]))),
        "party_member": check("party_member", lambda: _word(
            YES_NO_WORDS, _text(raw["party_member"]), "error.roster_yes_no")),
        "skill_ids": check("skills", lambda: names.skill_ids(_text(raw["skills"]))),
        "registered_on": check("registered_on", lambda: _registered(raw["registered_on"],
                                                                    today)),
    }
    return clean if len(errors) == before else None


def _existing(session: Session, phones: list[str]) -> dict[str, tuple[Volunteer, str]]:
    """Volunteers already registered with these phones, with their site's path, in batches."""
    found: dict[str, tuple[Volunteer, str]] = {}
    for start in range(0, len(phones), PHONE_BATCH):
        for vol, path in session.exec(
                select(Volunteer, Site.path).join(Site, Site.id == Volunteer.site_id)
                .where(Volunteer.phone.in_(phones[start:start + PHONE_BATCH]))):
            found[vol.phone] = (vol, path)
    return found


def _sort_existing(session: Session, actor: Actor, clean: list[dict], result: Preview) -> None:
    """New rows are counted; rows whose phone is registered in the actor's sites are marked
    with that volunteer; a phone registered outside them is an error."""
    existing = _existing(session, [c["phone"] for c in clean])
    for c in clean:
        if c["phone"] not in existing:
            result.new += 1
            continue
        vol, path = existing[c["phone"]]
        if not path.startswith(actor.site_path):
            result.errors.append(RowError(c["row"], dict(COLUMNS)["phone"],
                                          "error.roster_phone_elsewhere", {"phone": c["phone"]}))
            continue
        c["volunteer_id"] = vol.id
        result.existing.append({"row": c["row"], "phone": c["phone"], "name": vol.name})


def _validate(session: Session, actor: Actor, content: bytes, now: datetime,
              progress: Progress | None) -> tuple[Preview, list[dict]]:
    rows = xlsx.first_sheet_rows(content, max_rows=MAX_ROWS, columns=len(HEADERS) + 1)
    if not rows:
        raise Invalid("error.import_empty")
    _header(rows[0])
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if not all(_blank(v) for v in r)]
    if not body:
        raise Invalid("error.import_empty")
    names = _Lookups(session, actor)
    today = local_today(now, settings_service.current(session)["timezone"])
    errors: list[RowError] = []
    shown, clean, seen = [], [], {}
    for i, (n, row) in enumerate(body, start=1):
        row = tuple(row) + (None,) * (len(HEADERS) - len(row))
        raw = {code: row[j] for j, (code, _h) in enumerate(COLUMNS)}
        shown.append({"row": n, **{code: _text(v) if not isinstance(v, (date, datetime))
                                   else _date(v).isoformat() for code, v in raw.items()}})
        if any(not _blank(v) for v in row[len(HEADERS):]):
            errors.append(RowError(n, xlsx.column_letter(len(HEADERS)),
                                   "error.import_extra_cell", {}))
        good = _clean_row(raw, names, today, errors, n)
        if good is not None:
            if good["phone"] in seen:
                errors.append(RowError(n, dict(COLUMNS)["phone"], "error.roster_phone_twice",
                                       {"phone": good["phone"], "row": seen[good["phone"]]}))
            else:
                seen[good["phone"]] = n
                clean.append({**good, "row": n})
        if progress and i % 250 == 0:
            progress(i, len(body))
    result = Preview(rows=shown, errors=errors)
    _sort_existing(session, actor, clean, result)
    if progress:
        progress(len(body), len(body))
    return result, clean


def preview(session: Session, *, actor: Actor, content: bytes, now: datetime | None = None,
            progress: Progress | None = None) -> Preview:
    """Check a roster without writing: each bad cell by row and column, the new rows and the
    phones already registered. File-level faults (size, format, header) raise Invalid."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    return _validate(session, actor, content, now or utcnow(), progress)[0]


def import_file(session: Session, *, actor: Actor, content: bytes, update_existing: bool,
                file_name: str = "", now: datetime | None = None,
                progress: Progress | None = None) -> dict:
    """Write a wholly valid roster in one transaction (new volunteers, and the already
    registered ones only with `update_existing`); any bad row and nothing is written."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    now = now or utcnow()
    result, clean = _validate(session, actor, content, now, None)
    if not result.ok:
        raise Invalid("error.import_has_errors", count=len(result.errors))
    updated = 0
    if update_existing:
        for c in (c for c in clean if "volunteer_id" in c):
            _update(session, c)
            updated += 1
    _add_new(session, [c for c in clean if "volunteer_id" not in c], progress)
    added = result.new
    skipped = len(result.existing) - updated
    audit.record(session, AuditAction.volunteers_import, actor_id=actor.id, target=file_name,
                 detail=f"added={added} updated={updated} skipped={skipped}", at=now)
    session.commit()
    return {"added": added, "updated": updated, "skipped": skipped}


def _add_new(session: Session, rows: list[dict], progress: Progress | None) -> None:
    """New volunteers in batches of multi-row INSERTs, then their teams and skills: building
    an ORM object and flushing per volunteer would take a minute for 5,000."""
    for start in range(0, len(rows), PHONE_BATCH):
        batch = rows[start:start + PHONE_BATCH]
        ids = dict(session.execute(insert(Volunteer).returning(Volunteer.phone, Volunteer.id), [
            {"name": c["name"], "phone": c["phone"], "gender": c["gender"],
             "site_id": c["site"].id, "party_member": c["party_member"], "skills": "",
             "registered_on": c["registered_on"], "active": True, "title": "",
             "inactive_reason": ""} for c in batch]).all())
        teams = [{"volunteer_id": ids[c["phone"]], "team_id": t}
                 for c in batch for t in c["team_ids"]]
        tags = [{"volunteer_id": ids[c["phone"]], "skill_id": k}
                for c in batch for k in c["skill_ids"]]
        if teams:
            session.execute(insert(VolunteerTeam), teams)
        if tags:
            session.execute(insert(VolunteerSkill), tags)
        if progress:
            progress(start + len(batch), len(rows))


def _update(session: Session, c: dict) -> None:
    vol = session.get(Volunteer, c["volunteer_id"])
    vol.name, vol.gender, vol.site_id = c["name"], c["gender"], c["site"].id
    vol.party_member, vol.registered_on = c["party_member"], c["registered_on"]
    session.add(vol)
    volunteers.link(session, vol.id, team_ids=c["team_ids"], skill_ids=c["skill_ids"])


def template(session: Session, *, actor: Actor, words: Words) -> bytes:
    """An empty roster sheet with its header and drop-downs, a sheet of the allowed sites, teams
    and skills, and a sheet of instructions in the reader's language."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    names = _Lookups(session, actor)
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    xlsx.write_sheet(book, bold, SHEET, HEADERS, [], (10, 14, 6, 16, 30, 6, 20, 12))
    sheet = book.get_worksheet_by_name(SHEET)
    sheet.data_validation(1, 2, MAX_ROWS, 2, {"validate": "list", "source": list(GENDER_WORDS)})
    sheet.data_validation(1, 5, MAX_ROWS, 5, {"validate": "list",
                                              "source": [w for w in YES_NO_WORDS if w]})
    lists = [sorted(names.sites), sorted(names.teams), sorted(names.skills)]
    longest = max((len(x) for x in lists), default=0)
    rows = [[lst[i] if i < len(lst) else "" for lst in lists] for i in range(longest)]
    header = dict(COLUMNS)
    xlsx.write_sheet(book, bold, words("roster_template.lists_sheet"),
                     (header["site"], header["teams"], header["skills"]), rows, (16, 24, 12))
    notes = book.add_worksheet(words("roster_template.notes_sheet"))
    for r, key in enumerate(TEMPLATE_NOTES):
        notes.write_string(r, 0, words(key, mb=xlsx.MAX_BYTES // (1024 * 1024), rows=MAX_ROWS,
                                       sep=NAME_SEP))
    notes.set_column(0, 0, 100)
    book.close()
    return buffer.getvalue()
