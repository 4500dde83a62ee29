"""评优推荐: year-end recognition candidates (西安's 四个最美, 瑞金's 志愿者礼遇) — suggestions with
their numbers, never a choice: a leader or manager ticks a shortlist on 绩效评价 and exports it
for 公示. Four lists, each over the actor's sites, for one 考核年度 (`periods.year` with
`eval_period_start_day`, the same year the 绩效评价 page shows; its first and last days are local
days, so 23:30 on 31 December Beijing time is the old year and 00:30 on 1 January the new one):

- **最美志愿者** (`volunteers`): active volunteers with at least `recognition_min_hours` service
  hours in the year — hours of their service records (志愿服务记录: orders and station duty
  alike) served in the year; orders served = distinct orders among those records; their orders'
  好评率 = ratings ≥ 4 ÷ ratings, over the ratings those orders have received so far; star level
  from all their hours up to the year's last day (`volunteer_records.star_progress`). Ranked by
  hours, then orders served, then 好评率.
- **最佳志愿服务队** (`teams`): teams ranked on the year's 志愿服务队 table (综合得分, then
  beneficiaries of the orders they completed in the year); units with 无考核数据 are not
  candidates.
- **最佳志愿服务项目** (`items`): menu items with at least `recognition_min_ratings` ratings
  given in the year on their orders; beneficiaries = of their orders completed in the year;
  好评率 = ratings ≥ 4 ÷ ratings given in the year. Ranked by beneficiaries, then 好评率.
- **最美志愿服务站点** (`sites`): the 站 ranked on the year's 站点 table (综合得分, then
  beneficiaries), with the months of the year with no completed service; 无考核数据 left out.

Each list is one GROUP BY (the teams and sites reuse services/evaluation.py's), returns its first
`limit` candidates and how many there are in all.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    AuditAction,
    OrderFact,
    Rating,
    ServiceCategory,
    ServiceItem,
    ServiceRecord,
    Site,
    SiteLevel,
    Volunteer,
)
from services import audit, evaluation, scope, xlsx
from services import settings as settings_service
from services.clock import local_today
from services.figures import half_up, rate
from services.periods import Period, utc_bounds
from services.periods import year as year_period
from services.permissions import Action, Actor, ensure_allowed
from services.stars import EPSILON
from services.volunteer_records import star_progress

KINDS = ("volunteer", "team", "item", "site")
LIMIT = 100  # candidates shown per list; the total is said beside them

# What each list shows, in order; the same columns on the page and in the 公示 workbook.
COLUMNS: dict[str, tuple[str, ...]] = {
    "volunteer": ("rank", "name", "site", "hours", "orders", "good_rate", "rated", "stars",
                  "total_hours"),
    "team": ("rank", "name", "site", "score", "beneficiaries", "hours", "completed",
             "on_time_rate", "satisfied_rate", "ratings"),
    "item": ("rank", "name", "category", "beneficiaries", "completed", "good_rate", "ratings"),
    "site": ("rank", "name", "score", "beneficiaries", "hours", "completed", "on_time_rate",
             "satisfied_rate", "idle_months"),
}
RATES: dict[str, tuple[str, str]] = {
    "good_rate": ("good", "rated"),
    "on_time_rate": ("on_time", "due"),
    "satisfied_rate": ("satisfied", "ratings"),
}
TEXT = ("name", "site", "category")
ONE_DECIMAL = ("hours", "score", "total_hours")


@dataclass
class Candidates:
    kind: str
    period: Period
    rows: list[dict]    # the first `limit`, best first, `rank` from 1; `key` is the unit's id
    total: int          # how many qualify in all


def the_year(session: Session, number: int) -> Period:
    """The 考核年度 `number`: twelve 考核周期 months from `eval_period_start_day`."""
    return year_period(number, settings_service.current(session)["eval_period_start_day"])


def cell(row: dict, column: str):
    """What a list shows in a cell (and the workbook writes): shares as percentages 0–100
    rounded 四舍五入 to 0.1, hours and scores to 0.1, counts and text as they are."""
    value = row.get(column)
    if column in RATES:
        return None if value is None else half_up(value * 100, 1)
    if column in ONE_DECIMAL:
        return half_up(value, 1)
    return value


def _ranked(kind: str, period: Period, rows: list[dict], total: int) -> Candidates:
    for i, row in enumerate(rows, start=1):
        row["rank"] = i
    return Candidates(kind, period, rows, total)


def volunteers(session: Session, *, actor: Actor, number: int, limit: int = LIMIT) -> Candidates:
    """最美志愿者: hours in the year ≥ `recognition_min_hours`, by hours, orders, 好评率.

    Three small queries, none over all history: the year's hours per volunteer (a range of the
    (volunteer, served_at, hours) index per volunteer), then — only for the first `limit` by
    hours and those tied with the last of them — orders served, their ratings and the hours up
    to the year's end (for the star level)."""
    ensure_allowed(actor, Action.VIEW_EVALUATION)
    values = settings_service.current(session)
    period = the_year(session, number)
    lo, hi = utc_bounds(period, values["timezone"])
    in_year = (ServiceRecord.served_at >= lo, ServiceRecord.served_at < hi)
    mine = select(Volunteer.id).where(Volunteer.active,
                                      Volunteer.site_id.in_(scope.sites_under(actor.site_path)))
    hours = func.sum(ServiceRecord.hours)
    qualified = session.exec(
        select(ServiceRecord.volunteer_id, hours)
        .where(ServiceRecord.volunteer_id.in_(mine), *in_year)
        .group_by(ServiceRecord.volunteer_id)
        .having(hours >= values["recognition_min_hours"] - EPSILON)).all()
    qualified.sort(key=lambda r: -round(float(r[1]), 2))
    total = len(qualified)
    if len(qualified) > limit:  # the ties of the last shown may rank above it by orders
        last = round(float(qualified[limit - 1][1]), 2)
        qualified = [r for r in qualified if round(float(r[1]), 2) >= last]
    shown = {vid: round(float(h), 2) for vid, h in qualified}
    ids = list(shown)
    detail = dict.fromkeys(ids, (0, 0, 0))
    cumulative: dict = {}
    names: dict = {}
    if ids:
        # orders served = the year's order records (one per order and volunteer), with the
        # ratings those orders have received so far
        for vid, orders, n_rated, good in session.exec(
                select(ServiceRecord.volunteer_id, func.count(ServiceRecord.order_id),
                       func.count(Rating.id), func.count(case((Rating.level >= 4, 1))))
                .select_from(ServiceRecord)
                .join(Rating, Rating.order_id == ServiceRecord.order_id, isouter=True)
                .where(ServiceRecord.volunteer_id.in_(ids), *in_year)
                .group_by(ServiceRecord.volunteer_id)).all():
            detail[vid] = (int(orders), int(n_rated), int(good))
        cumulative = dict(session.exec(
            select(ServiceRecord.volunteer_id, func.sum(ServiceRecord.hours))
            .where(ServiceRecord.volunteer_id.in_(ids), ServiceRecord.served_at < hi)
            .group_by(ServiceRecord.volunteer_id)).all())
        names = {vid: (name, site) for vid, name, site in session.exec(
            select(Volunteer.id, Volunteer.name, Site.name)
            .join(Site, Site.id == Volunteer.site_id).where(Volunteer.id.in_(ids))).all()}
    rows = []
    for vid in ids:
        orders, n_rated, good = detail[vid]
        total_hours = round(float(cumulative.get(vid, 0)), 2)
        rows.append({"key": vid, "name": names[vid][0], "site": names[vid][1],
                     "hours": shown[vid], "total_hours": total_hours, "orders": orders,
                     "rated": n_rated, "good": good, "good_rate": rate(good, n_rated),
                     "stars": star_progress(total_hours, values)["stars"]})
    rows.sort(key=lambda r: (-r["hours"], -r["orders"],
                             -(r["good_rate"] if r["good_rate"] is not None else -1),
                             r["name"], r["key"]))
    return _ranked("volunteer", period, rows[:limit], total)


def _by_score(result: evaluation.Table) -> list[dict]:
    rows = [dict(r) for r in result.ranked if r.get("score") is not None]
    rows.sort(key=lambda r: (-r["score"], -r["beneficiaries"], r["name"]))
    return rows


def teams(session: Session, *, actor: Actor, number: int, limit: int = LIMIT,
          now: datetime | None = None) -> Candidates:
    """最佳志愿服务队: the year's 志愿服务队 table by 综合得分, then beneficiaries."""
    period = the_year(session, number)
    rows = _by_score(evaluation.teams(session, actor=actor, period=period, now=now,
                                      brief=True))
    return _ranked("team", period, rows[:limit], len(rows))


def sites(session: Session, *, actor: Actor, number: int, limit: int = LIMIT,
          now: datetime | None = None) -> Candidates:
    """最美志愿服务站点: the year's 站 by 综合得分, then beneficiaries."""
    period = the_year(session, number)
    rows = _by_score(evaluation.sites(session, actor=actor, period=period,
                                      level=SiteLevel.point, now=now))
    return _ranked("site", period, rows[:limit], len(rows))


def items(session: Session, *, actor: Actor, number: int, limit: int = LIMIT) -> Candidates:
    """最佳志愿服务项目: items with ≥ `recognition_min_ratings` ratings in the year, by
    beneficiaries of their orders completed in the year, then 好评率."""
    ensure_allowed(actor, Action.VIEW_EVALUATION)
    values = settings_service.current(session)
    period = the_year(session, number)
    lo, hi = utc_bounds(period, values["timezone"])
    # Each order's facts (services/order_facts.py): its item, and its completion while done.
    mine = scope.rows_of(session, actor, OrderFact.site_id, OrderFact.team_id)
    given = (select(OrderFact.item_id.label("iid"), func.count().label("ratings"),
                    func.sum(case((Rating.level >= 4, 1), else_=0)).label("good"))
             .select_from(Rating).join(OrderFact, OrderFact.order_id == Rating.order_id)
             .where(*mine, OrderFact.item_id.is_not(None), Rating.at >= lo, Rating.at < hi)
             .group_by(OrderFact.item_id)
             .having(func.count() >= values["recognition_min_ratings"]).subquery())
    done = (select(OrderFact.item_id.label("iid"), func.count().label("completed"),
                   func.coalesce(func.sum(OrderFact.beneficiaries), 0).label("b"))
            .where(*mine, OrderFact.item_id.in_(select(given.c.iid)),
                   OrderFact.completed_at >= lo, OrderFact.completed_at < hi)
            .group_by(OrderFact.item_id).subquery())
    total = session.exec(select(func.count()).select_from(given)).one()
    beneficiaries = func.coalesce(done.c.b, 0)
    q = (select(ServiceItem.id, ServiceItem.title, ServiceCategory.name, beneficiaries,
                func.coalesce(done.c.completed, 0), given.c.ratings, given.c.good)
         .join(given, given.c.iid == ServiceItem.id)
         .join(ServiceCategory, ServiceCategory.id == ServiceItem.category_id)
         .join(done, done.c.iid == ServiceItem.id, isouter=True)
         .order_by(beneficiaries.desc(), (given.c.good * 1.0 / given.c.ratings).desc(),
                   ServiceItem.title, ServiceItem.id)
         .limit(limit))
    rows = [{"key": iid, "name": title, "category": category, "beneficiaries": int(b),
             "completed": int(completed), "ratings": int(n), "good": int(good),
             "rated": int(n), "good_rate": rate(int(good), int(n))}
            for iid, title, category, b, completed, n, good in session.exec(q).all()]
    return _ranked("item", period, rows, total)


def candidates(session: Session, *, actor: Actor, kind: str, number: int,
               limit: int = LIMIT, now: datetime | None = None) -> Candidates:
    if kind == "volunteer":
        return volunteers(session, actor=actor, number=number, limit=limit)
    if kind == "team":
        return teams(session, actor=actor, number=number, limit=limit, now=now or utcnow())
    if kind == "item":
        return items(session, actor=actor, number=number, limit=limit)
    if kind == "site":
        return sites(session, actor=actor, number=number, limit=limit, now=now or utcnow())
    raise ValueError(kind)


# --- the 公示 shortlist --------------------------------------------------------------------------

Words = Callable[..., str]


def shortlist(session: Session, *, actor: Actor, number: int, picked: dict[str, list[int]],
              now: datetime | None = None) -> dict[str, list[dict]]:
    """The ticked candidates of each list, recounted here (never taken from the screen), in
    their rank order; a key that is no longer a candidate is dropped."""
    out = {}
    for kind in KINDS:
        keys = set(picked.get(kind) or ())
        if keys:
            found = candidates(session, actor=actor, kind=kind, number=number, now=now)
            out[kind] = [r for r in found.rows if r["key"] in keys]
        else:
            out[kind] = []
    return out


def _write_rows(book, fmt: dict, name: str, kind: str, rows: list[dict], words: Words) -> None:
    sheet = book.add_worksheet(name)
    columns = COLUMNS[kind]
    for c, column in enumerate(columns):
        sheet.write_string(0, c, words(f"recognition.col.{column}"), fmt["bold"])
        sheet.set_column(c, c, 20 if column in TEXT else 11)
    for r, row in enumerate(rows, start=1):
        for c, column in enumerate(columns):
            value = cell(row, column)
            if value is None:
                sheet.write_blank(r, c, None)
            elif column in RATES:
                sheet.write_number(r, c, value / 100, fmt["percent"])
            elif column in ONE_DECIMAL:
                sheet.write_number(r, c, value, fmt["decimal"])
            else:
                xlsx.write_cell(sheet, r, c, value)
    if not rows:
        sheet.write_string(1, 0, words("recognition.none_picked"))
    sheet.freeze_panes(1, 0)
    sheet.repeat_rows(0)
    sheet.set_paper(9)  # A4
    if len(columns) >= xlsx.WIDE_COLUMNS:
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)


def workbook(session: Session, *, actor: Actor, number: int, picked: dict[str, list[int]],
             words: Words, now: datetime | None = None) -> bytes:
    """The shortlist for 公示 as an .xlsx: a cover sheet (centre, year with its first and last
    day as date cells, the day it was made, the rules the lists follow), then one sheet per
    list with the ticked candidates and their figures. Audited."""
    ensure_allowed(actor, Action.VIEW_EVALUATION)
    now = now or utcnow()
    values = settings_service.current(session)
    period = the_year(session, number)
    chosen = shortlist(session, actor=actor, number=number, picked=picked, now=now)
    centre = session.get(Site, actor.site_id)
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    fmt = {"bold": bold, "percent": book.add_format({"num_format": "0.0%"}),
           "decimal": book.add_format({"num_format": "0.0"}),
           "date": book.add_format({"num_format": xlsx.DATE_FORMAT}),
           "title": book.add_format({"bold": True, "font_size": 14}),
           "wrap": book.add_format({"text_wrap": True, "valign": "top"})}
    cover = book.add_worksheet(words("recognition.cover_sheet"))
    cover.set_column(0, 0, 22)
    cover.set_column(1, 1, 60)
    cover.write_string(0, 0, words("recognition.heading", centre=centre.name, year=number),
                       fmt["title"])
    cover.write_string(1, 0, words("recognition.from"))
    xlsx.write_cell(cover, 1, 1, period.start, fmt["date"])
    cover.write_string(2, 0, words("recognition.to"))
    xlsx.write_cell(cover, 2, 1, period.end, fmt["date"])
    cover.write_string(3, 0, words("recognition.made_on"))
    xlsx.write_cell(cover, 3, 1, local_today(now, values["timezone"]), fmt["date"])
    r = 4
    for kind in KINDS:
        cover.write_string(r, 0, words(f"recognition.kind.{kind}"))
        cover.write_number(r, 1, len(chosen[kind]))
        r += 1
    cover.write_string(r, 0, words("recognition.rules_title"), fmt["bold"])
    cover.write_string(r, 1, words("recognition.rules", hours=values["recognition_min_hours"],
                                   ratings=values["recognition_min_ratings"]), fmt["wrap"])
    cover.set_row(r, 120)
    cover.write_string(r + 1, 1, words("recognition.only_suggestions"), fmt["wrap"])
    cover.set_paper(9)
    for kind in KINDS:
        _write_rows(book, fmt, words(f"recognition.kind.{kind}"), kind, chosen[kind], words)
    book.close()
    counts = " ".join(f"{kind}={len(chosen[kind])}" for kind in KINDS)
    audit.record(session, AuditAction.recognition_export, actor_id=actor.id,
                 detail=f"{number} {counts}")
    session.commit()
    return buffer.getvalue()
