"""Surveys from Excel: the import format, its template, and the importer.

Import, in this order, so that a bad file costs nothing: the file checks of services/xlsx.py
(size, a real .xlsx, unpacked size), the header row, then every row validated before any is
written. `preview` reports each bad cell by row number and column name; `import_file` checks the
same again and writes all surveys in one transaction, or nothing. Rows with the same village,
date, respondent, people covered and registered household are one survey with several needs.
The last column (登记户) is optional and may be missing altogether (files from the template
before it): a registered household of the row's 站 named by its head; the respondent may then be
left empty.

**The file format is data, not screen text**: the column headers (`COLUMNS`) and the priority
words (`PRIORITY_WORDS`) are what a county's spreadsheets say, in Chinese, whatever the
language of the screen; the template's other sheets are worded by the caller's `words`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from core.db import utcnow
from models import AuditAction, Household, NeedPriority, ServiceCategory, ServiceItem, Site
from services import audit, sites, surveys, validate, xlsx
from services.errors import DomainError, Invalid
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed

Words = Callable[..., str]  # the UI's t(key, **params): services choose keys, the UI words them

MAX_ROWS = 2000
SHEET = "需求调查"  # the first sheet's name in the template (the importer reads the first sheet)

# The file format: (code, header) of the import columns, in order; the survey export starts
# the same way, so an export shows the same columns.
COLUMNS = (("site", "村（站）"), ("surveyed_on", "调查日期"), ("respondent", "受访对象"),
           ("people_covered", "覆盖人数"), ("category", "服务类别"), ("item", "服务项目"),
           ("text", "需求内容"), ("priority", "需求类型"), ("household", "登记户（户主）"))
HEADERS = tuple(h for _c, h in COLUMNS)
# Files made from the template before the household column was added are still read.
HEADERS_BEFORE_HOUSEHOLD = HEADERS[:-1]
PRIORITY_WORDS = {"最想听": NeedPriority.hear, "最想看": NeedPriority.see,
                  "最想要": NeedPriority.get}
PRIORITY_NAMES = {v: k for k, v in PRIORITY_WORDS.items()}
# How officers write dates and counts by hand: 2026年3月1日, 12人 (data: the file's format).
CHINESE_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
PEOPLE_UNITS = ("人", "名", "位")
TEMPLATE_NOTES = tuple(f"survey_template.note_{i}" for i in range(1, 7))


@dataclass
class RowError:
    row: int          # as Excel numbers it: the header is row 1
    column: str       # the header of the column
    key: str
    params: dict = field(default_factory=dict)


@dataclass
class Preview:
    rows: list[dict]
    errors: list[RowError]
    surveys: int
    needs: int

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header(row: tuple) -> None:
    try:
        xlsx.check_header(row, HEADERS)
    except Invalid:
        try:
            xlsx.check_header(row, HEADERS_BEFORE_HOUSEHOLD)
        except Invalid:
            pass
        else:
            return
        raise


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _people(value):
    """A count as typed: 12, 12.0 or "12人"."""
    text = _text(value)
    for unit in PEOPLE_UNITS:
        text = text.removesuffix(unit).strip()
    return text if value is not None else ""


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    written = CHINESE_DATE.match(text)
    if written:
        text = "-".join(f"{int(part):02d}" for part in written.groups())
    text = text.replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.strptime(
            text, "%Y-%m-%d").date()
    except ValueError:
        raise Invalid("error.import_date") from None


class _Lookups:
    """Names in the file resolved against the actor's sites and the active menu."""

    def __init__(self, session: Session, actor: Actor):
        self.sites: dict[str, list[Site]] = {}
        for site in sites.subtree(session, actor.site_path):
            self.sites.setdefault(site.name, []).append(site)
        self.categories = {c.name: c for c in session.exec(
            select(ServiceCategory).where(ServiceCategory.active))}
        self.items = {(i.category_id, i.title): i for i in session.exec(
            select(ServiceItem).where(ServiceItem.active))}
        self.by_id_categories = {c.id: c for c in self.categories.values()}
        self.by_id_items = {i.id: i for i in self.items.values()}
        self.session = session
        self.households: dict[int, dict[str, list[int]]] = {}  # per 站, read when first named

    def site(self, name: str) -> Site:
        found = self.sites.get(name, [])
        if not name:
            raise Invalid("error.required", field="site")
        if not found:
            raise Invalid("error.import_site", name=name)
        if len(found) > 1:
            raise Invalid("error.import_site_ambiguous", name=name)
        return found[0]

    def category(self, name: str) -> ServiceCategory:
        found = self.categories.get(name)
        if found is None:
            raise Invalid("error.import_category", name=name)
        return found

    def household(self, site: Site, head_name: str) -> int:
        """A registered, active household of the row's 站 (already within the actor's sites),
        named by its head."""
        if site.id not in self.households:
            found: dict[str, list[int]] = {}
            for hid, name in self.session.exec(select(Household.id, Household.head_name).where(
                    Household.site_id == site.id, Household.active)):
                found.setdefault(name, []).append(hid)
            self.households[site.id] = found
        ids = self.households[site.id].get(head_name, [])
        if not ids:
            raise Invalid("error.survey_household.unknown", name=head_name, site=site.name)
        if len(ids) > 1:
            raise Invalid("error.survey_household.ambiguous", name=head_name, site=site.name)
        return ids[0]

    def item(self, category: ServiceCategory, title: str) -> ServiceItem:
        found = self.items.get((category.id, title))
        if found is None:
            raise Invalid("error.import_item", name=title, category=category.name)
        return found


def _priority(word: str) -> NeedPriority:
    if word in PRIORITY_WORDS:
        return PRIORITY_WORDS[word]
    raise Invalid("error.import_priority", value=word)


def _clean_row(session: Session, raw: dict, names: _Lookups, now: datetime,
               errors: list[RowError], row_number: int) -> dict | None:
    """One row checked cell by cell; each bad cell adds an error. The clean row, or None."""
    header = dict(COLUMNS)

    def check(column: str, fn):
        try:
            return fn()
        except DomainError as err:
            errors.append(RowError(row_number, header[column], err.key, dict(err.params)))
            return None

    place = check("site", lambda: names.site(_text(raw["site"])))
    day = check("surveyed_on", lambda: surveys.check_day(session, _date(raw["surveyed_on"]), now))
    head = _text(raw.get("household"))
    household = (check("household", lambda: names.household(place, head))
                 if place is not None and head else None)
    # A row about a registered household may leave the respondent empty: it is the head.
    # (an unknown household is one error, on its own column, not a second one here)
    said = _text(raw["respondent"]) or head
    respondent = check("respondent", lambda: validate.text(said, key="respondent", maximum=60))
    people = check("people_covered", lambda: validate.whole(
        _people(raw["people_covered"]), key="people_covered", minimum=1,
        maximum=surveys.MAX_PEOPLE))
    cat = check("category", lambda: names.category(_text(raw["category"])))
    item = (check("item", lambda: names.item(cat, _text(raw["item"])))
            if cat is not None and _text(raw["item"]) else None)
    level = check("priority", lambda: _priority(_text(raw["priority"])))
    need = None
    if cat is not None and level is not None:
        need = check("text", lambda: surveys.clean_need(
            session, surveys.NeedInput(category_id=cat.id, priority=level.value,
                                       text=_text(raw["text"]),
                                       item_id=item.id if item else None),
            categories=names.by_id_categories, items=names.by_id_items))
    if None in (place, day, respondent, people, need) or (head and household is None):
        return None
    return {"site_id": place.id, "surveyed_on": day, "respondent": respondent,
            "people_covered": people, "need": need, "household_id": household}


def _validate(session: Session, actor: Actor, content: bytes,
              now: datetime) -> tuple[Preview, list[dict]]:
    rows = xlsx.first_sheet_rows(content, max_rows=MAX_ROWS, columns=len(HEADERS) + 1)
    if not rows:
        raise Invalid("error.import_empty")
    start = xlsx.header_row(rows, HEADERS)  # a title row above the header is skipped
    _header(rows[start])
    body = [(n, r) for n, r in enumerate(rows[start + 1:], start=start + 2)
            if not all(_blank(v) for v in r)]
    if not body:
        raise Invalid("error.import_empty")
    names = _Lookups(session, actor)
    errors: list[RowError] = []
    shown, clean = [], []
    for n, row in body:
        row = tuple(row) + (None,) * (len(HEADERS) - len(row))
        extra = [v for v in row[len(HEADERS):] if not _blank(v)]
        raw = {code: row[i] for i, (code, _h) in enumerate(COLUMNS)}
        shown.append({"row": n, **{code: _text(v) if not isinstance(v, (date, datetime))
                                   else _date(v).isoformat() for code, v in raw.items()}})
        if extra:
            errors.append(RowError(n, xlsx.column_letter(len(HEADERS)),
                                   "error.import_extra_cell", {}))
        good = _clean_row(session, raw, names, now, errors, n)
        if good is not None:
            clean.append(good)
    groups = {_survey_key(c) for c in clean}
    return Preview(rows=shown, errors=errors, surveys=len(groups), needs=len(clean)), clean


def _survey_key(row: dict) -> tuple:
    """Rows with the same key are one survey with several needs."""
    return (row["site_id"], row["surveyed_on"], row["respondent"], row["people_covered"],
            row["household_id"])


def preview(session: Session, *, actor: Actor, content: bytes,
            now: datetime | None = None) -> Preview:
    """Check a file without writing: every row, with each bad cell named by row and column.
    File-level faults (size, format, header) raise Invalid instead."""
    ensure_allowed(actor, Action.IMPORT_SURVEYS)
    return _validate(session, actor, content, now or utcnow())[0]


def import_file(session: Session, *, actor: Actor, content: bytes, file_name: str = "",
                now: datetime | None = None) -> Preview:
    """Write the surveys of a fully valid file in one transaction; managers only. Any bad row
    and nothing is written."""
    ensure_allowed(actor, Action.IMPORT_SURVEYS)
    now = now or utcnow()
    result, clean = _validate(session, actor, content, now)
    if not result.ok:
        raise Invalid("error.import_has_errors", count=len(result.errors))
    grouped: dict[tuple, list] = {}
    for c in clean:
        grouped.setdefault(_survey_key(c), []).append(c["need"])
    for (site_id, day, respondent, people, household_id), group in grouped.items():
        for start in range(0, len(group), surveys.MAX_NEEDS):
            surveys.write(session, actor=actor, site_id=site_id, surveyed_on=day,
                          respondent=respondent, people_covered=people,
                          needs=group[start:start + surveys.MAX_NEEDS], now=now,
                          household_id=household_id)
    audit.record(session, AuditAction.surveys_import, actor_id=actor.id, target=file_name,
                 detail=f"surveys={result.surveys} needs={result.needs}", at=now)
    session.commit()
    return result



# --- the template -------------------------------------------------------------------------


def template(session: Session, *, actor: Actor, words: Words) -> bytes:
    """An empty import sheet with the header row and drop-down lists, a sheet of the allowed
    villages, categories, items and priorities, and a sheet of instructions. The header row and
    the priority words are the file format; the other sheets are in the reader's language."""
    ensure_allowed(actor, Action.IMPORT_SURVEYS)
    names = _Lookups(session, actor)
    villages = [s.name for s in sites.villages(session, actor.site_path)]
    lists_sheet = words("survey_template.lists_sheet")
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    xlsx.write_sheet(book, bold, SHEET, HEADERS, [], (14, 12, 16, 10, 18, 22, 40, 10, 16))
    sheet = book.get_worksheet_by_name(SHEET)
    sheet.data_validation(1, 7, MAX_ROWS, 7, {"validate": "list",
                                              "source": list(PRIORITY_WORDS)})
    sheet.data_validation(1, 4, MAX_ROWS, 4, {"validate": "list",
                                              "source": f"='{lists_sheet}'!$B$2:$B$"
                                                        f"{len(names.categories) + 1}"})
    cats = {c.id: c.name for c in names.categories.values()}
    lists = [villages, list(cats.values()),
             [f"{cats.get(c, '')} · {t}" for c, t in sorted(names.items)], list(PRIORITY_WORDS)]
    longest = max(len(x) for x in lists)
    rows = [[lst[i] if i < len(lst) else "" for lst in lists] for i in range(longest)]
    header = dict(COLUMNS)
    xlsx.write_sheet(book, bold, lists_sheet,
                     (header["site"], header["category"],
                      f"{header['category']} · {header['item']}", header["priority"]), rows,
                     (16, 18, 36, 10))
    notes = book.add_worksheet(words("survey_template.notes_sheet"))
    for r, key in enumerate(TEMPLATE_NOTES):
        notes.write_string(r, 0, words(key, mb=xlsx.MAX_BYTES // (1024 * 1024), rows=MAX_ROWS,
                                       priorities=NAME_SEP.join(PRIORITY_WORDS)))
    notes.set_column(0, 0, 100)
    book.close()
    return buffer.getvalue()
