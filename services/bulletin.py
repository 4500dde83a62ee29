"""月度通报 and the evaluation exports: what the 绩效评价 page shows, as an Excel workbook and as a
printable A4 page, with the same numbers — both are made from the same `evaluation` tables
through the same column list (`COLUMNS`) and the same cell values (`cell`).

The workbook: a summary sheet (centre, period, the generated paragraph, the overall figures with
their numerators and denominators, 红榜 / 黑榜, the units below the line), then one sheet per
table with a frozen header; numbers as numbers, percentages as numbers formatted 0.0 %, dates as
date cells, user text (names, reasons) always as text. The printable page: escaped HTML, A4
portrait, Chinese fonts, the centre and the period at the top, the paragraph, the ranked tables
(the bulletin's columns), 红榜 / 黑榜 and the named units. Words come from the caller (`words`,
the UI's t), so both are in the reader's language.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from models import AuditAction, Site
from services import audit, evaluation, follow_ups, xlsx
from services.figures import half_up, percent_value
from services.formats import LABEL_SEP, NAME_SEP
from services.periods import Period
from services.permissions import Action, Actor, ensure_allowed

Words = Callable[..., str]

# Rates, with the counts they are made of: figure → (numerator, denominator).
RATES: dict[str, tuple[str, str]] = {
    "completion_rate": ("done", "due"),
    "on_time_rate": ("on_time", "due"),
    "first_time_rate": ("first_time", "done"),
    "good_rate": ("good", "ratings"),
    "satisfied_rate": ("satisfied", "ratings"),
    "accept_rate": ("accepted", "answered"),
    "accept_in_limit_rate": ("accepted_in_limit", "accepted"),
    "needs_ordered_rate": ("needs_ordered", "needs"),
    "follow_up_rate": ("follow_ups_done", "follow_ups_due"),
    "follow_up_on_time_rate": ("follow_ups_on_time", "follow_ups_due"),
    "dispatch_in_limit_rate": ("dispatched_in_limit", "first_dispatched"),
    "contact_coverage": ("contact_visited", "contact_paired"),
}
TEXT = ("name", "site", "cancel_reasons")
ONE_DECIMAL = ("score", "hours", "accept_median_hours", "dispatch_median_hours")

COLUMNS: dict[str, tuple[str, ...]] = {
    "team": ("rank", "name", "site", "score", "dispatched", "accepted", "declined", "accept_rate",
             "accept_median_hours", "accept_in_limit_rate", "due", "done", "completion_rate",
             "on_time_rate", "first_time_rate", "repeats", "urged_late", "good_rate",
             "satisfied_rate", "ratings", "beneficiaries", "hours", "volunteers"),
    "officer": ("rank", "name", "site", "score", "surveys", "households", "people", "needs",
                "needs_ordered_rate", "placed", "follow_ups_due", "follow_ups_done",
                "follow_ups_on_time", "follow_up_rate", "follow_up_on_time_rate", "due",
                "completion_rate", "on_time_rate", "urged_late", "satisfied_rate",
                "contact_paired",
                "contact_visited", "contact_coverage", "contact_visits"),
    "manager": ("rank", "name", "site", "score", "dispatched", "dispatch_median_hours",
                "dispatch_in_limit_rate", "redispatched", "cancelled", "cancel_reasons", "due",
                "completion_rate", "on_time_rate", "urged_late", "satisfied_rate"),
    "site": ("rank", "name", "score", "placed", "completed", "beneficiaries", "hours", "due",
             "done", "completion_rate", "on_time_rate", "urged_late", "first_time_rate",
             "satisfied_rate", "ratings", "idle_months"),
}
# The columns of the printed bulletin (A4 portrait): the hotline bulletin's figures per unit.
PRINT_COLUMNS: dict[str, tuple[str, ...]] = {
    "team": ("rank", "name", "score", "due", "completion_rate", "on_time_rate",
             "first_time_rate", "accept_rate", "satisfied_rate", "beneficiaries", "hours"),
    "officer": ("rank", "name", "score", "surveys", "placed", "follow_up_rate",
                "follow_up_on_time_rate", "completion_rate", "on_time_rate", "satisfied_rate",
                "contact_coverage"),
    "manager": ("rank", "name", "score", "dispatched", "dispatch_in_limit_rate",
                "redispatched", "cancelled", "completion_rate", "on_time_rate",
                "satisfied_rate"),
    "site": ("rank", "name", "score", "placed", "completed", "beneficiaries", "completion_rate",
             "on_time_rate", "satisfied_rate", "idle_months"),
}
REASON_SEP = "；"  # data: between the reasons (or figures) listed in one cell


def cell(row: dict, column: str, words: Words):
    """The value a table shows in a cell: percentages 0–100 rounded 四舍五入 to 0.1, hours and
    scores to 0.1, counts as they are, text as text (None when there is no figure)."""
    value = row.get(column)
    if column in RATES:
        return percent_value(value)
    if column in ONE_DECIMAL:
        return half_up(value, 1)
    if column == "cancel_reasons":
        return REASON_SEP.join(words("bulletin.reason_count", reason=r, n=n)
                               for r, n in value or ())
    return value


def fraction(row: dict, column: str) -> str:
    """'numerator / denominator' of a rate, for the detail row and the printed page."""
    top, bottom = RATES[column]
    return f"{row.get(top) or 0} / {row.get(bottom) or 0}"


@dataclass
class Bulletin:
    """Everything one bulletin shows, computed once."""

    centre: str
    period: Period
    totals: dict
    follow_up: follow_ups.Rates
    tables: dict[str, evaluation.Table]
    standings: dict[str, evaluation.Standing]


def build(session: Session, *, actor: Actor, period: Period,
          now: datetime | None = None) -> Bulletin:
    """The four tables of a period with their 红榜 / 黑榜 and line, and the overall figures
    (the actor's own site, its whole subtree) the summary paragraph is made from."""
    ensure_allowed(actor, Action.VIEW_EVALUATION)
    centre = session.get(Site, actor.site_id)
    tables = {kind: evaluation.table(session, actor=actor, kind=kind, period=period, now=now)
              for kind in evaluation.TABLES}
    standings = {kind: evaluation.standing(session, actor=actor, result=result, now=now)
                 for kind, result in tables.items()}
    own = evaluation.sites(session, actor=actor, period=period, level=centre.level, now=now)
    totals = next(r for r in own.rows if r["key"] == centre.id)
    rates = follow_ups.rates(session, actor=actor, start=period.start, end=period.end, now=now)
    return Bulletin(centre.name, period, totals, rates, tables, standings)


def has_data(b: Bulletin) -> bool:
    """Anything at all happened or fell due in the period (else the bulletin says so)."""
    t = b.totals
    return bool(t["placed"] or t["due"] or t["completed"] or t["ratings"]
                or b.follow_up.needed)


def period_words(period: Period, words: Words) -> str:
    if period.kind == "month":
        return words("bulletin.period_month", year=period.year, month=period.number,
                     start=period.start.isoformat(), end=period.end.isoformat())
    if period.kind == "quarter":
        return words("bulletin.period_quarter", year=period.year, quarter=period.number,
                     start=period.start.isoformat(), end=period.end.isoformat())
    if period.kind == "year":
        return words("bulletin.period_year", year=period.year, start=period.start.isoformat(),
                     end=period.end.isoformat())
    return words("bulletin.period_custom", start=period.start.isoformat(),
                 end=period.end.isoformat())


def _pct(value) -> str:
    shown = percent_value(value)
    return "—" if shown is None else f"{shown:.1f}%"


def paragraph(b: Bulletin, words: Words) -> str:
    """本月共受理工单 X 件，办结 Y 件，办结率 …；满意率 …；回访 … — from the figures."""
    t, f = b.totals, b.follow_up
    if not has_data(b):
        return words("bulletin.nothing")
    return words("bulletin.paragraph", placed=t["placed"], due=t["due"], done=t["done"],
                 completion=_pct(t["completion_rate"]), on_time=_pct(t["on_time_rate"]),
                 completed=t["completed"], beneficiaries=t["beneficiaries"],
                 hours=f"{half_up(t['hours'], 1):.1f}", ratings=t["ratings"],
                 satisfied=_pct(t["satisfied_rate"]), good=_pct(t["good_rate"]),
                 follow_ups=f.needed, follow_ups_done=f.done,
                 follow_up_rate=_pct(f.follow_up_rate), follow_up_on_time=_pct(f.on_time_rate))


def reason_words(entry: dict, words: Words) -> str:
    """Why a unit is below the line: each figure with its value and the line."""
    return REASON_SEP.join(words("bulletin.reason", figure=words(f"evaluation.col.{r['figure']}"),
                               value=_pct(r["value"]), line=f"{r['line']:g}%")
                         for r in entry["reasons"])


# --- Excel ------------------------------------------------------------------------------------


class _Sheet:
    """Writes rows of a table with the formats its columns need."""

    def __init__(self, book, bold):
        self.bold = bold
        self.percent = book.add_format({"num_format": "0.0%"})
        self.decimal = book.add_format({"num_format": "0.0"})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})

    def value(self, sheet, r: int, c: int, column: str, value) -> None:
        if value is None:
            sheet.write_blank(r, c, None)
        elif column in RATES:
            sheet.write_number(r, c, value / 100, self.percent)
        elif column in ONE_DECIMAL:
            sheet.write_number(r, c, value, self.decimal)
        else:
            xlsx.write_cell(sheet, r, c, value)

    def table(self, sheet, top: int, kind: str, rows: list[dict], words: Words,
              columns: tuple[str, ...] | None = None) -> int:
        columns = columns or COLUMNS[kind]
        for c, column in enumerate(columns):
            sheet.write_string(top, c, words(f"evaluation.col.{column}"), self.bold)
        for r, row in enumerate(rows, start=top + 1):
            for c, column in enumerate(columns):
                self.value(sheet, r, c, column, cell(row, column, words))
        return top + 1 + len(rows)


def _table_sheet(book, fmt: _Sheet, kind: str, result: evaluation.Table, words: Words) -> None:
    sheet = book.add_worksheet(words(f"evaluation.table.{kind}"))
    columns = COLUMNS[kind]
    for c, column in enumerate(columns):
        sheet.set_column(c, c, 18 if column in TEXT else 11)
    end = fmt.table(sheet, 0, kind, result.ranked, words)
    sheet.freeze_panes(1, 2)
    if result.no_data:
        sheet.write_string(end + 1, 0, words("evaluation.no_data_title"), fmt.bold)
        for r, row in enumerate(result.no_data, start=end + 2):
            xlsx.write_cell(sheet, r, 1, row["name"])
            if "site" in row:
                xlsx.write_cell(sheet, r, 2, row["site"])


def _summary_sheet(book, fmt: _Sheet, b: Bulletin, words: Words) -> None:
    sheet = book.add_worksheet(words("bulletin.summary_sheet"))
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 4, 16)
    sheet.write_string(0, 0, words("bulletin.heading", centre=b.centre), fmt.title)
    sheet.write_string(1, 0, period_words(b.period, words))
    sheet.write_string(2, 0, words("bulletin.from"))
    sheet.write_datetime(2, 1, datetime.combine(b.period.start, datetime.min.time()), fmt.date)
    sheet.write_string(2, 2, words("bulletin.to"))
    sheet.write_datetime(2, 3, datetime.combine(b.period.end, datetime.min.time()), fmt.date)
    sheet.merge_range(3, 0, 3, 6, paragraph(b, words), fmt.wrap)
    sheet.set_row(3, 90)
    sheet.freeze_panes(5, 0)
    headers = ("bulletin.figure", "bulletin.value", "bulletin.numerator", "bulletin.denominator")
    for c, key in enumerate(headers):
        sheet.write_string(4, c, words(key), fmt.bold)
    r = 5
    for column in ("placed", "due", "done", "completion_rate", "on_time_rate",
                   "first_time_rate", "completed", "beneficiaries", "hours", "ratings",
                   "good_rate", "satisfied_rate"):
        sheet.write_string(r, 0, words(f"evaluation.col.{column}"))
        fmt.value(sheet, r, 1, column, cell(b.totals, column, words))
        if column in RATES:
            top, bottom = RATES[column]
            sheet.write_number(r, 2, b.totals[top])
            sheet.write_number(r, 3, b.totals[bottom])
        r += 1
    f = b.follow_up
    for key, value, top in (("follow_up_rate", f.follow_up_rate, f.done),
                            ("follow_up_on_time_rate", f.on_time_rate, f.on_time)):
        sheet.write_string(r, 0, words(f"evaluation.col.{key}"))
        fmt.value(sheet, r, 1, key, percent_value(value))
        sheet.write_number(r, 2, top)
        sheet.write_number(r, 3, f.needed)
        r += 1
    for kind in evaluation.TABLES:
        r = _standing_block(sheet, fmt, r + 1, kind, b.standings[kind], words)


def _standing_block(sheet, fmt: _Sheet, r: int, kind: str, st: evaluation.Standing,
                    words: Words) -> int:
    sheet.write_string(r, 0, words(f"evaluation.table.{kind}"), fmt.title)
    r += 1
    for title, rows in (("evaluation.red", st.red), ("evaluation.black", st.black)):
        sheet.write_string(r, 0, words(title), fmt.bold)
        names = NAME_SEP.join(row["name"] for row in rows) or words("bulletin.none")
        xlsx.write_cell(sheet, r, 1, names)
        r += 1
    sheet.write_string(r, 0, words("evaluation.below_title"), fmt.bold)
    if not st.below:
        sheet.write_string(r, 1, words("bulletin.none"))
        return r + 1
    for entry in st.below:
        xlsx.write_cell(sheet, r, 1, entry["row"]["name"])
        xlsx.write_cell(sheet, r, 2, reason_words(entry, words))
        if entry["running"]:
            sheet.write_string(r, 3, words("evaluation.running"))
        r += 1
    return r


def workbook(session: Session, *, actor: Actor, period: Period, words: Words,
             now: datetime | None = None, built: Bulletin | None = None) -> bytes:
    """月度通报 as an .xlsx: the summary sheet, then one sheet per table."""
    b = built or build(session, actor=actor, period=period, now=now)
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    fmt = _Sheet(book, bold)
    _summary_sheet(book, fmt, b, words)
    for kind in evaluation.TABLES:
        _table_sheet(book, fmt, kind, b.tables[kind], words)
    book.close()
    audit.record(session, AuditAction.bulletin_export, actor_id=actor.id,
                 detail=f"{period.start.isoformat()}..{period.end.isoformat()}")
    session.commit()
    return buffer.getvalue()


def table_workbook(session: Session, *, actor: Actor, result: evaluation.Table,
                   words: Words) -> bytes:
    """One evaluation table, as the page shows it, as an .xlsx."""
    ensure_allowed(actor, Action.VIEW_EVALUATION)
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    _table_sheet(book, _Sheet(book, bold), result.kind, result, words)
    book.close()
    audit.record(session, AuditAction.evaluation_export, actor_id=actor.id,
                 detail=f"{result.kind} {result.period.start}..{result.period.end} "
                        f"rows={len(result.rows)}")
    session.commit()
    return buffer.getvalue()


# --- the printable page -------------------------------------------------------------------------

CSS = """
@page { size: A4 portrait; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC",
       "Microsoft YaHei", "SimSun", sans-serif; color: #111; font-size: 10.5pt; margin: 0; }
header { border-bottom: 2px solid #b71c1c; margin-bottom: 4mm; padding-bottom: 2mm; }
header .centre { font-size: 11pt; color: #b71c1c; }
h1 { font-size: 20pt; text-align: center; color: #b71c1c; margin: 2mm 0; letter-spacing: 2pt; }
.period { text-align: center; margin-bottom: 2mm; }
h2 { font-size: 13pt; border-left: 4px solid #b71c1c; padding-left: 2mm; margin: 5mm 0 2mm;
     break-after: avoid; }
p.summary { text-indent: 2em; line-height: 1.7; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; margin-bottom: 2mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 1px solid #777; padding: 1mm 1.2mm; text-align: center; }
th { background: #f3e5e5; }
td.text { text-align: left; }
.rolls { display: flex; gap: 4mm; }
.rolls div { flex: 1; border: 1px solid #999; padding: 1.5mm 2mm; }
.red { color: #b71c1c; font-weight: bold; }
.black { color: #222; font-weight: bold; }
.muted { color: #555; }
.running { color: #b71c1c; font-weight: bold; }
@media screen { body { max-width: 190mm; margin: 8mm auto; } }
"""


def _html_cell(row: dict, column: str, words: Words) -> str:
    value = cell(row, column, words)
    if value is None:
        return '<td class="muted">—</td>'
    if column in RATES:
        return (f'<td title="{html.escape(fraction(row, column))}">{value:.1f}%</td>')
    if column in ONE_DECIMAL:
        return f"<td>{value:.1f}</td>"
    css = ' class="text"' if column in TEXT else ""
    return f"<td{css}>{html.escape(str(value))}</td>"


def _html_table(kind: str, result: evaluation.Table, words: Words) -> str:
    e = html.escape
    columns = PRINT_COLUMNS[kind]
    head = "".join(f"<th>{e(words(f'evaluation.col.{c}'))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_html_cell(row, c, words) for c in columns) + "</tr>"
                   for row in result.ranked)
    out = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if not result.ranked:
        out = f'<p class="muted">{e(words("evaluation.empty_ranked"))}</p>'
    if result.no_data:
        names = NAME_SEP.join(r["name"] for r in result.no_data)
        out += (f'<p class="muted">{e(words("evaluation.no_data_title"))}{LABEL_SEP}{e(names)}</p>')
    return out


def _html_standing(st: evaluation.Standing, words: Words) -> str:
    e = html.escape

    def roll(css: str, key: str, rows: list[dict]) -> str:
        names = NAME_SEP.join(r["name"] for r in rows) or words("bulletin.none")
        return f'<div><span class="{css}">{e(words(key))}</span>{LABEL_SEP}{e(names)}</div>'

    def named(x: dict) -> str:
        running = (f' <span class="running">{e(words("evaluation.running"))}</span>'
                   if x["running"] else "")
        return f"<li>{e(x['row']['name'])}{LABEL_SEP}{e(reason_words(x, words))}{running}</li>"

    below = "".join(named(x) for x in st.below)
    title = f'<b>{e(words("evaluation.below_title"))}</b>{LABEL_SEP}'
    return (f'<div class="rolls">{roll("red", "evaluation.red", st.red)}'
            f'{roll("black", "evaluation.black", st.black)}</div>'
            + (f"<p>{title}</p><ul>{below}</ul>" if below
               else f'<p>{title}{e(words("bulletin.none"))}</p>'))


def printable(session: Session, *, actor: Actor, period: Period, words: Words,
              now: datetime | None = None, built: Bulletin | None = None) -> str:
    """月度通报 as one printable HTML page (A4 portrait); every text is escaped."""
    b = built or build(session, actor=actor, period=period, now=now)
    e = html.escape
    sections = "".join(
        f"<h2>{e(words(f'evaluation.table.{kind}'))}</h2>"
        f"{_html_table(kind, b.tables[kind], words)}{_html_standing(b.standings[kind], words)}"
        for kind in evaluation.TABLES)
    title = words("bulletin.heading", centre=b.centre)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>{CSS}</style></head><body>
<header><span class="centre">{e(b.centre)}</span> · {e(period_words(b.period, words))}</header>
<h1>{e(words("bulletin.title"))}</h1>
<div class="period">{e(period_words(b.period, words))}</div>
<p class="summary">{e(paragraph(b, words))}</p>
<p class="muted">{e(words("bulletin.definitions"))}</p>
{sections}
</body></html>"""
