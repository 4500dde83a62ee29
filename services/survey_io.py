"""Surveys in and out of Excel: the import template, the importer and the two exports.

Import, in this order, so that a bad file costs nothing: the size (before anything is read),
the zip signature and the unpacked size of an .xlsx (a small file can unpack to gigabytes), the
header row, then every row validated before any is written. `preview` reports each bad cell by
row number and column name; `import_file` checks the same again and writes all surveys in one
transaction, or nothing. Rows with the same village, date, respondent and people covered are one
survey with several needs.

Export: xlsxwriter with strings_to_formulas off, and user text written with write_string, so a
cell typed as "=HYPERLINK(...)" stays text in Excel.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

import xlsxwriter
from sqlmodel import Session, select

from core.db import utcnow
from models import (AuditLog, Need, NeedPriority, ServiceCategory, ServiceItem, Site, Survey, User,
                    WorkOrder)
from services import menu, needs, sites, surveys, validate
from services.errors import DomainError, Invalid
from services.permissions import Action, Actor, ensure_allowed

MAX_BYTES = 5 * 1024 * 1024          # refused before parsing
MAX_UNPACKED = 50 * 1024 * 1024      # what the zip may unpack to
MAX_ROWS = 2000
EXPORT_MAX_ROWS = 50_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (code, header) of the import template, in column order; the survey export starts the same way.
COLUMNS = (("site", "村（站）"), ("surveyed_on", "调查日期"), ("respondent", "受访对象"),
           ("people_covered", "覆盖人数"), ("category", "服务类别"), ("item", "服务项目"),
           ("text", "需求内容"), ("priority", "需求类型"))
HEADERS = tuple(h for _c, h in COLUMNS)
PRIORITY_WORDS = {"最想听": NeedPriority.hear, "最想看": NeedPriority.see,
                  "最想要": NeedPriority.get}
PRIORITY_NAMES = {v: k for k, v in PRIORITY_WORDS.items()}
STATE_NAMES = {"open": "待处理", "ordered": "已点单", "done": "已完成", "rated": "已评价",
               "closed": "已关闭"}


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


# --- reading a file -------------------------------------------------------------------------


def _check_file(content: bytes) -> None:
    if len(content) > MAX_BYTES:
        raise Invalid("error.import_too_big", maximum=MAX_BYTES // (1024 * 1024),
                      size=round(len(content) / (1024 * 1024), 1))
    if not content.startswith(b"PK\x03\x04"):
        raise Invalid("error.import_not_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            unpacked = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile:
        raise Invalid("error.import_not_xlsx") from None
    if "xl/workbook.xml" not in names:
        raise Invalid("error.import_not_xlsx")
    if unpacked > MAX_UNPACKED:
        raise Invalid("error.import_too_big", maximum=MAX_BYTES // (1024 * 1024),
                      size=round(unpacked / (1024 * 1024), 1))


def _cells(content: bytes) -> list[tuple]:
    """The first sheet's rows as values; openpyxl (XML through defusedxml) in read-only mode."""
    from openpyxl import load_workbook

    _check_file(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — whatever a broken file raises, it is unreadable
        raise Invalid("error.import_unreadable") from None
    try:
        rows = []
        for row in book.worksheets[0].iter_rows(values_only=True):
            if len(rows) > MAX_ROWS + 1:
                raise Invalid("error.import_too_many_rows", maximum=MAX_ROWS)
            rows.append(tuple(row))
        return rows
    finally:
        book.close()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header(row: tuple) -> None:
    found = [("" if v is None else str(v).strip()) for v in row]
    while found and not found[-1]:
        found.pop()
    for i, expected in enumerate(HEADERS):
        got = found[i] if i < len(found) else ""
        if got != expected:
            raise Invalid("error.import_column", column=_letter(i), expected=expected, found=got)
    if len(found) > len(HEADERS):
        raise Invalid("error.import_column", column=_letter(len(HEADERS)), expected="",
                      found=found[len(HEADERS)])


def _letter(index: int) -> str:
    return xlsxwriter.utility.xl_col_to_name(index)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
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


def _clean_row(session: Session, actor: Actor, raw: dict, names: _Lookups, now: datetime,
               errors: list[RowError], row_number: int) -> dict | None:
    header = dict(COLUMNS)

    def check(column: str, fn):
        try:
            return fn()
        except DomainError as err:
            errors.append(RowError(row_number, header[column], err.key, dict(err.params)))
            return None

    def site():
        found = names.sites.get(_text(raw["site"]), [])
        if not _text(raw["site"]):
            raise Invalid("error.required", field="site")
        if not found:
            raise Invalid("error.import_site", name=_text(raw["site"]))
        if len(found) > 1:
            raise Invalid("error.import_site_ambiguous", name=_text(raw["site"]))
        return found[0]

    def category():
        found = names.categories.get(_text(raw["category"]))
        if found is None:
            raise Invalid("error.import_category", name=_text(raw["category"]))
        return found

    def priority():
        word = _text(raw["priority"])
        if word in PRIORITY_WORDS:
            return PRIORITY_WORDS[word]
        raise Invalid("error.import_priority", value=word)

    place = check("site", site)
    day = check("surveyed_on", lambda: surveys.check_day(session, _date(raw["surveyed_on"]), now))
    respondent = check("respondent", lambda: validate.text(
        _text(raw["respondent"]), key="respondent", maximum=60))
    people = check("people_covered", lambda: validate.whole(
        raw["people_covered"] if raw["people_covered"] is not None else "", key="people_covered",
        minimum=1, maximum=surveys.MAX_PEOPLE))
    cat = check("category", category)
    item = None
    if cat is not None and _text(raw["item"]):
        item = names.items.get((cat.id, _text(raw["item"])))
        if item is None:
            errors.append(RowError(row_number, header["item"], "error.import_item",
                                   {"name": _text(raw["item"]), "category": cat.name}))
    level = check("priority", priority)
    need = None
    if cat is not None and level is not None:
        need = check("text", lambda: surveys.clean_need(
            session, surveys.NeedInput(category_id=cat.id, priority=level.value,
                                       text=_text(raw["text"]),
                                       item_id=item.id if item else None),
            categories=names.by_id_categories, items=names.by_id_items))
    if None in (place, day, respondent, people, need):
        return None
    return {"site_id": place.id, "surveyed_on": day, "respondent": respondent,
            "people_covered": people, "need": need}


def _validate(session: Session, actor: Actor, content: bytes,
              now: datetime) -> tuple[Preview, list[dict]]:
    rows = _cells(content)
    if not rows:
        raise Invalid("error.import_empty")
    _header(rows[0])
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if not all(_blank(v) for v in r)]
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
            errors.append(RowError(n, _letter(len(HEADERS)), "error.import_extra_cell", {}))
        good = _clean_row(session, actor, raw, names, now, errors, n)
        if good is not None:
            clean.append(good)
    groups = {(c["site_id"], c["surveyed_on"], c["respondent"], c["people_covered"])
              for c in clean}
    return Preview(rows=shown, errors=errors, surveys=len(groups), needs=len(clean)), clean


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
        key = (c["site_id"], c["surveyed_on"], c["respondent"], c["people_covered"])
        grouped.setdefault(key, []).append(c["need"])
    for (site_id, day, respondent, people), group in grouped.items():
        for start in range(0, len(group), surveys.MAX_NEEDS):
            surveys.write(session, actor=actor, site_id=site_id, surveyed_on=day,
                          respondent=respondent, people_covered=people,
                          needs=group[start:start + surveys.MAX_NEEDS], now=now)
    session.add(AuditLog(at=now, actor_id=actor.id, action="import.surveys",
                         target=file_name[:100],
                         detail=f"surveys={result.surveys} needs={result.needs}"))
    session.commit()
    return result


# --- writing files --------------------------------------------------------------------------


def _book(buffer: io.BytesIO):
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    return book, book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})


def _write(sheet, row: int, col: int, value) -> None:
    if value is None or value == "":
        sheet.write_blank(row, col, None)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "是" if value else "否")
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    else:  # user text, dates as ISO text: never a formula
        sheet.write_string(row, col, value.isoformat() if isinstance(value, date) else str(value))


def _sheet(book, bold, name: str, headers, rows, widths) -> None:
    sheet = book.add_worksheet(name)
    for c, h in enumerate(headers):
        sheet.write_string(0, c, h, bold)
        sheet.set_column(c, c, widths[c] if c < len(widths) else 14)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            _write(sheet, r, c, value)
    sheet.freeze_panes(1, 0)


def template(session: Session, *, actor: Actor) -> bytes:
    """An empty import sheet with the header row and drop-down lists, and a sheet of the
    allowed villages, categories, items and priorities."""
    ensure_allowed(actor, Action.IMPORT_SURVEYS)
    names = _Lookups(session, actor)
    villages = [s.name for s in sites.villages(session, actor.site_path)]
    buffer = io.BytesIO()
    book, bold = _book(buffer)
    _sheet(book, bold, "需求调查", HEADERS, [], (14, 12, 16, 10, 18, 22, 40, 10))
    sheet = book.get_worksheet_by_name("需求调查")
    sheet.data_validation(1, 7, MAX_ROWS, 7, {"validate": "list",
                                              "source": list(PRIORITY_WORDS)})
    sheet.data_validation(1, 4, MAX_ROWS, 4, {"validate": "list",
                                              "source": "=可选值!$B$2:$B$%d"
                                              % (len(names.categories) + 1)})
    cats = {c.id: c.name for c in names.categories.values()}
    lists = [villages, list(cats.values()),
             [f"{cats.get(c, '')} · {t}" for c, t in sorted(names.items)], list(PRIORITY_WORDS)]
    longest = max(len(x) for x in lists)
    rows = [[lst[i] if i < len(lst) else "" for lst in lists] for i in range(longest)]
    _sheet(book, bold, "可选值", ("村（站）", "服务类别", "服务类别 · 服务项目", "需求类型"), rows,
           (16, 18, 36, 10))
    notes = book.add_worksheet("填写说明")
    for r, line in enumerate((
            "每行一条群众需求；村（站）、调查日期、受访对象、覆盖人数相同的行合并为一次需求调查。",
            "调查日期格式为 YYYY-MM-DD，不能晚于今天；覆盖人数为正整数。",
            "服务项目可不填；填写时须是该服务类别下的在用项目。不填服务项目时须填写需求内容。",
            "需求类型填 最想听、最想看 或 最想要。",
            f"文件不超过 {MAX_BYTES // (1024 * 1024)} MB、{MAX_ROWS} 行；有任何一行出错时整个文件都不会导入。")):
        notes.write_string(r, 0, line)
    notes.set_column(0, 0, 100)
    book.close()
    return buffer.getvalue()


def _audit(session: Session, actor: Actor, action: str, detail: str) -> None:
    session.add(AuditLog(actor_id=actor.id, action=action, detail=detail))
    session.commit()


def export_surveys(session: Session, *, actor: Actor,
                   flt: surveys.SurveyFilter = surveys.SurveyFilter()) -> bytes:
    """The filtered surveys, one row per need, with the need's state and order code."""
    ensure_allowed(actor, Action.RECORD_SURVEY)
    conds = surveys.conditions(session, actor, flt)
    q = (select(Survey, Site.name, User.display_name, ServiceCategory.name, ServiceItem.title,
                Need.text, Need.priority, needs.state(), WorkOrder.code)
         .select_from(Need).join(Survey, Survey.id == Need.survey_id)
         .join(Site, Site.id == Survey.site_id).join(User, User.id == Survey.officer_id)
         .join(ServiceCategory, ServiceCategory.id == Need.category_id)
         .join(ServiceItem, ServiceItem.id == Need.item_id, isouter=True)
         .join(WorkOrder, WorkOrder.id == Need.order_id, isouter=True)
         .where(*conds).order_by(Survey.surveyed_on.desc(), Survey.id.desc(), Need.id)
         .limit(EXPORT_MAX_ROWS))
    rows = [(site, sv.surveyed_on, sv.respondent, sv.people_covered, cat, item or "", text,
             PRIORITY_NAMES[priority], officer, STATE_NAMES[st], code or "")
            for sv, site, officer, cat, item, text, priority, st, code in session.exec(q).all()]
    buffer = io.BytesIO()
    book, bold = _book(buffer)
    _sheet(book, bold, "需求调查", (*HEADERS, "文明实践员", "状态", "工单编号"), rows,
           (14, 12, 16, 10, 18, 22, 40, 10, 12, 10, 18))
    book.close()
    _audit(session, actor, "export.surveys", f"rows={len(rows)}")
    return buffer.getvalue()


def export_menu(session: Session, *, actor: Actor) -> bytes:
    """The menu with its figures and revision flags."""
    items = menu.review(session, actor=actor)
    flag_words = {"low_rating": "评分偏低", "idle": "长期无人点单"}
    rows = [(r["category"], r["title"], "在用" if r["active"] else "已停用", r["retired_reason"],
             r["teams"], r["needs"], r["open_needs"], r["orders"], r["beneficiaries"],
             r["ratings"], r["average"],
             None if r["good_rate"] is None else round(r["good_rate"] * 100, 1),
             r["last_order_on"], "；".join(flag_words[f["kind"]] for f in r["flags"]),
             r["description"]) for r in items]
    buffer = io.BytesIO()
    book, bold = _book(buffer)
    _sheet(book, bold, "服务菜单",
           ("服务类别", "服务项目", "状态", "停用原因", "志愿服务队", "群众需求", "待处理需求",
            "工单", "受益群众", "评价数", "平均评分", "好评率（%）", "最近点单", "修订提示",
            "项目介绍"), rows, (18, 22, 8, 20, 30, 10, 10, 8, 10, 8, 10, 10, 12, 18, 40))
    book.close()
    _audit(session, actor, "export.menu", f"rows={len(rows)}")
    return buffer.getvalue()
