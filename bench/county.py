"""County-scale benchmark of the read side: is every screen fast on one SQLite file?

    PYTHONPATH=. python -m bench.county                  # build once (cached), then measure
    PYTHONPATH=. python -m bench.county --proposals --try-indexes
                                      # + the rewrites in proposals.py, + a copy with new indexes

Builds (or reuses) the county of PRODUCT.md — 1 中心, 20 所, 300 站, 600 teams, 50,000
volunteers, 1,000,000 orders over ten years — with bench/build.py, then times the services' own
read functions as real accounts of that county (built with services.users.to_actor), each a few
times, and prints the median against a budget. A report, not a test: the exit code is 0 unless
--strict and something is over budget. See bench/README.md for the budgets and the last results.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):                     # `python bench/county.py` from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd
from sqlalchemy import event
from sqlmodel import Session, select

from bench import build as builder
from bench import proposals
from core import db
from models import Role, Site, User, WorkOrder
from services import (
    dispatch,
    order_queries,
    reports,
    sites,
    teams,
    users,
    volunteer_records,
    volunteers,
)
from services.order_queries import OrderFilter
from services.permissions import Actor

DEFAULT_DB = Path("/tmp/diandan_county.db")

# Budgets, in seconds, for one call of a service function (what a page waits for).
LIST = 0.5        # one page of a paginated list, with its total
DETAIL = 0.2      # one order with its history
BADGE = 0.05      # a number shown in the navigation on every rerun
REPORT = 1.0      # a tile group or a chart of the overview
TEAMS = 0.5       # the team table / the dispatch team picker

# Index changes to try on a copy of the database (--try-indexes): (index it supersedes, new
# index). Each new index starts with the columns of the one it replaces, so nothing that used the
# old one loses it. See the README for what each is for and its measured effect.
CANDIDATE_INDEXES: tuple[tuple[str | None, str], ...] = (
    # status-filtered lists in submission order (工单 status=…, 评单) without sorting
    ("ix_workorder_status",
     "CREATE INDEX ix_workorder_status_submitted ON workorder (status, submitted_at)"),
    # the overview's "done in period": two range seeks (completed, rated) instead of walking
    # every rated order, and the beneficiaries sum from the index
    ("ix_workorder_completed_at",
     "CREATE INDEX ix_workorder_status_completed ON workorder "
     "(status, completed_at, site_id, actual_beneficiaries)"),
    # a 所's or 站's orders in submission order (with rewrite 1 in bench/proposals.py)
    ("ix_workorder_site_id",
     "CREATE INDEX ix_workorder_site_submitted ON workorder (site_id, submitted_at)"),
    # the urgent order (due_on, submitted_at, id) straight from the index
    ("ix_workorder_due_on",
     "CREATE INDEX ix_workorder_due_submitted ON workorder (due_on, submitted_at)"),
    # volunteer hours per order from the index (order_id alone is already the unique
    # (order_id, volunteer_id) index's prefix)
    ("ix_servicerecord_order_id",
     "CREATE INDEX ix_servicerecord_order_hours ON servicerecord (order_id, volunteer_id, hours)"),
    # the rating tiles from the index
    ("ix_rating_at", "CREATE INDEX ix_rating_at_order ON rating (at, order_id, level)"),
    # the title/code search scans this narrow index instead of the 1 GB table (with rewrite 5)
    (None, "CREATE INDEX ix_workorder_search ON workorder (title, code, site_id, submitted_at)"),
)


@dataclass(frozen=True)
class Case:
    name: str
    budget: float
    run: Callable[[Session], object]
    proposed: Callable[[Session], object] | None = None   # the rewrite in bench/proposals.py


@dataclass
class Result:
    case: Case
    times: list[float]
    error: str = ""
    proposed_times: list[float] = field(default_factory=list)
    proposed_note: str = ""          # a mismatch with the service's result, or an error

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def ratio(self) -> float:
        return self.median / self.case.budget

    @property
    def proposed_median(self) -> float:
        return statistics.median(self.proposed_times) if self.proposed_times else float("nan")


# --- the county's people and the moments to ask about ------------------------------------------


@dataclass(frozen=True)
class Context:
    now: datetime
    county_manager: Actor
    town_manager: Actor
    officer: Actor | None
    lead: Actor
    county_leader: Actor
    town_leader: Actor
    town_id: int
    town_orders: int
    order_any: int           # an order with a decline in its history
    order_village: int       # a rated order in the officer's 站
    order_team: int          # a rated order of the lead's team
    code: str
    biggest_team: int
    month: tuple[date, date]
    year: tuple[date, date]
    category_id: int


def _actor(s: Session, username: str) -> Actor:
    user = s.exec(select(User).where(User.username == username)).one()
    return users.to_actor(s, user)


def _first(s: Session, sql: str, *params):
    return s.connection().exec_driver_sql(sql, params).first()


def context(url: str, now: datetime) -> Context:
    """Pick the busiest 所, its busiest 站 and team, so the numbers are the heavy end."""
    with db.session(url) as s:
        town_id = _first(s, """
            SELECT s.parent_id, count(*) AS n FROM workorder w JOIN site s ON s.id = w.site_id
             WHERE s.level = 'point' GROUP BY s.parent_id ORDER BY n DESC LIMIT 1""")[0]
        town_orders = _first(s, """SELECT count(*) FROM workorder w JOIN site s
                                   ON s.id = w.site_id WHERE s.path LIKE ?""",
                             f"/1/{town_id}/%")[0]
        village_id = _first(s, """
            SELECT w.site_id, count(*) AS n FROM workorder w JOIN site s ON s.id = w.site_id
             WHERE s.parent_id = ? GROUP BY w.site_id ORDER BY n DESC LIMIT 1""", town_id)[0]
        team_id = _first(s, """SELECT team_id FROM workorder WHERE team_id IS NOT NULL
                               GROUP BY team_id ORDER BY count(*) DESC LIMIT 1""")[0]
        town = s.get(Site, town_id)
        officer = s.exec(select(User).where(User.role == Role.officer,
                                            User.site_id == village_id)).first()
        lead = s.exec(select(User).where(User.role == Role.team_lead,
                                         User.team_id == team_id)).one()
        order_any = _first(s, """SELECT max(id) FROM workorder WHERE decline_count > 0
                                 AND status = 'rated'""")[0]
        order_village = _first(s, """SELECT max(id) FROM workorder WHERE site_id = ?
                                     AND status = 'rated'""", village_id)[0]
        order_team = _first(s, """SELECT max(id) FROM workorder WHERE team_id = ?
                                  AND status = 'rated'""", team_id)[0]
        code = s.get(WorkOrder, order_any).code
        biggest_team = _first(s, """SELECT team_id FROM volunteerteam GROUP BY team_id
                                    ORDER BY count(*) DESC LIMIT 1""")[0]
        local = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
        first_this_month = local.replace(day=1)
        last_month_end = first_this_month - timedelta(days=1)
        month = (last_month_end.replace(day=1), last_month_end)
        year = (first_this_month.replace(year=first_this_month.year - 1), last_month_end)
        return Context(
            now=now, county_manager=_actor(s, "county_admin"),
            town_manager=_actor(s, f"town{town_id:03d}_admin"),
            officer=users.to_actor(s, officer) if officer else None,
            lead=users.to_actor(s, lead), county_leader=_actor(s, "county_leader1"),
            town_leader=_actor(s, f"town{town_id:03d}_leader"), town_id=town.id,
            town_orders=town_orders, order_any=order_any, order_village=order_village,
            order_team=order_team, code=code, biggest_team=biggest_team,
            month=month, year=year, category_id=5)


# --- the cases ---------------------------------------------------------------------------------


def cases(c: Context) -> list[Case]:
    now = c.now
    cm, tm, lead = c.county_manager, c.town_manager, c.lead
    m_lo, m_hi = c.month
    y_lo, y_hi = c.year
    town_deep = max(0, min(50_000, c.town_orders - 50))

    def Page(name, actor, flt=None, offset=0, sort="newest", limit=50):  # noqa: N802
        # None, not OrderFilter(): a default is evaluated once, when `def` runs (B008).
        args = {"actor": actor, "flt": flt if flt is not None else OrderFilter(), "offset": offset,
                "sort": sort, "limit": limit, "now": now}
        return Case(name, LIST, lambda s: order_queries.page(s, **args),
                    lambda s: proposals.page(s, **args))

    open_ = ("submitted", "dispatched", "accepted")
    out = [
        # 工单 (pages/orders.py): newest first, 50 a page, with the filter panel
        Page("orders.page county newest p1 [工单]", cm),
        Page("orders.page county newest offset 50k [工单]", cm, offset=50_000),
        Page("orders.page county status=rated [工单]", cm, OrderFilter(statuses=("rated",))),
        Page("orders.page county status=open [工单]", cm, OrderFilter(statuses=open_)),
        Page("orders.page county site=所 [工单]", cm, OrderFilter(site_id=c.town_id)),
        Page("orders.page county overdue_only [工单]", cm, OrderFilter(overdue_only=True)),
        Page("orders.page county last month [工单]", cm,
             OrderFilter(date_from=m_lo, date_to=m_hi)),
        Page("orders.page county search whole code [工单]", cm, OrderFilter(search=c.code)),
        Page("orders.page county search code fragment [工单]", cm,
             OrderFilter(search=c.code[-9:])),
        Page("orders.page county search title 义诊 [工单]", cm, OrderFilter(search="义诊")),
        Page("orders.page 所 newest p1 [工单]", tm),
        Page(f"orders.page 所 newest offset {town_deep // 1000}k [工单]", tm, offset=town_deep),
        Page("orders.page 所 overdue_only [工单]", tm, OrderFilter(overdue_only=True)),
        Page("orders.page 所 last month + search [工单]", tm,
             OrderFilter(date_from=m_lo, date_to=m_hi, search="义诊")),
        # 派单 (pages/dispatch.py): submitted orders, most urgent first, 25 a page
        Page("orders.page county submitted urgent [派单]", cm,
             OrderFilter(statuses=("submitted",)), sort="urgent", limit=25),
        Page("orders.page 所 submitted urgent [派单]", tm, OrderFilter(statuses=("submitted",)),
             sort="urgent", limit=25),
        # 评单 (pages/ratings.py): completed orders, oldest first, 25 a page
        Page("orders.page county completed oldest [评单]", cm,
             OrderFilter(statuses=("completed",)), sort="oldest", limit=25),
        Page("orders.page 所 completed oldest [评单]", tm, OrderFilter(statuses=("completed",)),
             sort="oldest", limit=25),
        # no page asks for these; they show what the sorts cost over a whole scope
        Page("orders.page county urgent, no filter", cm, sort="urgent"),
        Page("orders.page county oldest, no filter", cm, sort="oldest"),
        Page("orders.page 所 urgent, no filter", tm, sort="urgent"),
    ]
    if c.officer:
        out += [
            Page("orders.page officer newest p1 [工单]", c.officer),
            Page("orders.page officer overdue_only [工单]", c.officer,
                 OrderFilter(overdue_only=True)),
            Page("orders.page officer completed oldest [评单]", c.officer,
                 OrderFilter(statuses=("completed",)), sort="oldest", limit=25),
        ]
    out += [
        # 我的工单 (pages/my_orders.py): the lead's three tabs, most urgent first, 25 a page
        Page("orders.page lead dispatched urgent [我的工单]", lead,
             OrderFilter(statuses=("dispatched",)), sort="urgent", limit=25),
        Page("orders.page lead accepted urgent [我的工单]", lead,
             OrderFilter(statuses=("accepted",)), sort="urgent", limit=25),
        Page("orders.page lead done urgent [我的工单]", lead,
             OrderFilter(statuses=("completed", "rated")), sort="urgent", limit=25),
        # orders.detail and the lead's badge
        Case("orders.detail county", DETAIL,
             lambda s: order_queries.detail(s, actor=cm, order_id=c.order_any, now=now)),
        Case("orders.detail lead", DETAIL,
             lambda s: order_queries.detail(s, actor=lead, order_id=c.order_team, now=now)),
        Case("orders.waiting_count lead", BADGE,
             lambda s: order_queries.waiting_count(s, actor=lead)),
    ]
    if c.officer:
        out.append(Case("orders.detail officer", DETAIL,
                        lambda s: order_queries.detail(s, actor=c.officer, order_id=c.order_village,
                                                       now=now)))
    for who, actor in (("county", c.county_leader), ("所", c.town_leader)):
        out += [
            Case(f"reports.overview {who} month", REPORT,
                 lambda s, a=actor: reports.overview(s, actor=a, start=m_lo, end=m_hi, now=now)),
            Case(f"reports.overview {who} year", REPORT,
                 lambda s, a=actor: reports.overview(s, actor=a, start=y_lo, end=y_hi, now=now)),
            Case(f"reports.orders_by_month {who} 12 months", REPORT,
                 lambda s, a=actor: reports.orders_by_month(s, actor=a, start=y_lo, end=y_hi)),
        ]
    for who, actor in (("county", cm), ("所", tm)):
        out += [
            Case(f"teams.overview {who}", TEAMS, lambda s, a=actor: teams.overview(s, actor=a)),
        ]
    # 派单 recommendations: the teams' 12-month numbers, then one order's ranking (the page keeps
    # the 12-month numbers for ten minutes; see ui/dispatch_views.py)
    kept: dict[str, list] = {}

    def recommend_kept(s):
        if "records" not in kept:   # the first repeat pays for them, as the page's first view
            kept["records"] = dispatch.team_records(s, actor=tm, now=now)
        return dispatch.recommend(s, actor=tm, order_ids=[c.order_village], now=now,
                                  records=kept["records"])

    out += [
        Case("dispatch.team_records county [派单, kept 10 min]", REPORT,
             lambda s: dispatch.team_records(s, actor=cm, now=now)),
        Case("dispatch.team_records 所 [派单, kept 10 min]", REPORT,
             lambda s: dispatch.team_records(s, actor=tm, now=now)),
        Case("dispatch.open_orders county [派单]", BADGE,
             lambda s: dispatch.open_orders(s, [t.id for t in teams.in_scope(s, actor=cm)])),
        Case("dispatch.recommend 所, one order, first view [派单]", REPORT,
             lambda s: dispatch.recommend(s, actor=tm, order_ids=[c.order_village], now=now)),
        Case("dispatch.recommend 所, one order, records kept [派单]", TEAMS,
             recommend_kept),
    ]
    out += [
        Case("volunteers.page county p1", LIST, lambda s: volunteers.page(s, actor=cm)),
        Case("volunteers.page county offset 40k", LIST,
             lambda s: volunteers.page(s, actor=cm, offset=40_000)),
        Case("volunteers.page county search name 张", LIST,
             lambda s: volunteers.page(s, actor=cm, search="张")),
        Case("volunteers.page county search phone", LIST,
             lambda s: volunteers.page(s, actor=cm, search="13800")),
        Case("volunteers.page 所 p1", LIST, lambda s: volunteers.page(s, actor=tm)),
        Case("teams.roster biggest team", LIST,
             lambda s: teams.roster(s, team_id=c.biggest_team)),
        Case("sites.subtree + teams.in_scope county [工单 lookups]", LIST,
             lambda s: (sites.subtree(s, cm.site_path), teams.in_scope(s, actor=cm))),
        Case("users.page county p1", LIST, lambda s: users.page(s, actor=cm)),
        Case("users.page 所 p1", LIST, lambda s: users.page(s, actor=tm)),
    ]
    return out


def volunteer_cases(c: Context) -> list[Case]:
    """志愿者 (issue 14): the list, one volunteer's record (the one with most service records)
    and the new-stars list of last month and of the last year, each within 0.5 s."""
    busiest: dict[str, int] = {}

    def record(s: Session):
        if "id" not in busiest:
            busiest["id"] = _first(s, """SELECT volunteer_id FROM servicerecord
                                         GROUP BY volunteer_id ORDER BY count(*) DESC
                                         LIMIT 1""")[0]
        return volunteer_records.record(s, actor=c.county_manager, volunteer_id=busiest["id"],
                                        now=c.now)

    m_lo, m_hi = c.month
    y_lo, y_hi = c.year
    return [
        Case("volunteers.page county p1 [志愿者]", 0.5,
             lambda s: volunteers.page(s, actor=c.county_manager)),
        Case("volunteers.page 所 p1 [志愿者]", 0.5,
             lambda s: volunteers.page(s, actor=c.town_manager)),
        Case("volunteer_records.record busiest [志愿者档案]", 0.5, record),
        Case("volunteer_records.new_stars county last month [星级公示]", 0.5,
             lambda s: volunteer_records.new_stars(s, actor=c.county_manager, date_from=m_lo,
                                                   date_to=m_hi)),
        Case("volunteer_records.new_stars county last year [星级公示]", 0.5,
             lambda s: volunteer_records.new_stars(s, actor=c.county_manager, date_from=y_lo,
                                                   date_to=y_hi)),
    ]


def evaluation_cases(c: Context) -> list[Case]:
    """绩效评价 and 月度通报 (issue 13): each table of last month and of the last full year (the
    year-end assessment) ≤ 1 s for the county leader and the 所 leader, 红榜/黑榜 with the line
    (the table of the month before), 预警, and the whole bulletin workbook ≤ 5 s for the
    county."""
    from services import alerts, bulletin, evaluation, periods
    from ui.i18n import words_in

    bulletin_budget = 5.0
    month = periods.month(c.month[0].year, c.month[0].month)
    year = periods.year(c.now.year - 1)
    out = []
    for who, actor in (("county", c.county_leader), ("所", c.town_leader)):
        for span, period in (("month", month), ("year", year)):
            for kind in evaluation.TABLES:
                out.append(Case(f"evaluation.{kind} {who} {span}", REPORT,
                                lambda s, a=actor, k=kind, p=period: evaluation.table(
                                    s, actor=a, kind=k, period=p, now=c.now)))
        out.append(Case(f"evaluation.standing teams {who} month", REPORT,
                        lambda s, a=actor: evaluation.standing(
                            s, actor=a, now=c.now, result=evaluation.teams(
                                s, actor=a, period=month, now=c.now))))
        out.append(Case(f"alerts {who} month", REPORT,
                        lambda s, a=actor: alerts.alerts(s, actor=a, period=month, now=c.now)))
    out.append(Case("bulletin.workbook county month", bulletin_budget,
                    lambda s: bulletin.workbook(s, actor=c.county_leader, period=month,
                                                words=words_in("zh"), now=c.now)))
    out += recognition_cases(c)
    return out


def recognition_cases(c: Context) -> list[Case]:
    """评优推荐 (issue 13): each candidate list of the last full year ≤ 1 s for the county leader
    and the 所 leader (one GROUP BY each; teams and sites reuse the evaluation tables over a
    year), and the 公示 workbook of a shortlist."""
    from services import recognition
    from ui.i18n import words_in

    number = c.now.year - 1  # the last full year
    out = []
    for who, actor in (("county", c.county_leader), ("所", c.town_leader)):
        for kind in recognition.KINDS:
            out.append(Case(f"recognition.{kind} {who} year", REPORT,
                            lambda s, a=actor, k=kind: recognition.candidates(
                                s, actor=a, kind=k, number=number, now=c.now)))
    out.append(Case("recognition.workbook county year", 5.0,
                    lambda s: recognition.workbook(
                        s, actor=c.county_leader, number=number, words=words_in("zh"),
                        now=c.now, picked={"volunteer": [1, 2, 3], "item": [1]})))
    return out


# --- measuring ---------------------------------------------------------------------------------


class Tracer:
    """Records every SQL statement an engine runs, with its parameters and duration."""

    def __init__(self, engine):
        self.engine, self.on, self.calls = engine, False, []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    # SQLAlchemy passes all six arguments positionally; the ones not needed are prefixed with _.
    def _before(self, conn, _cursor, _statement, _parameters, _context, _executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, _cursor, statement, parameters, _context, _executemany):
        if self.on:
            self.calls.append((time.perf_counter() - conn.info["bench_t0"], statement,
                               parameters))


def _timed(url: str, run: Callable[[Session], object], repeat: int) -> tuple[list[float], str]:
    times = []
    for _ in range(repeat):
        with db.session(url) as s:
            t0 = time.perf_counter()
            try:
                run(s)
            except Exception as err:  # a report: note it and go on
                return times, f"{type(err).__name__}: {err}"
            times.append(time.perf_counter() - t0)
    return times, ""


def _same(a, b) -> bool:
    """The proposal returns what the service returns (pages: the same ids and total)."""
    if isinstance(a, tuple) and len(a) == 2 and isinstance(a[0], list):
        return [r["id"] for r in a[0]] == [r["id"] for r in b[0]] and a[1] == b[1]
    if isinstance(a, pd.DataFrame):
        def norm(df):
            return df.sort_values(list(df.columns)).reset_index(drop=True)
        return norm(a).equals(norm(b))
    return a == b


def measure(url: str, the_cases: list[Case], repeat: int, only: str | None,
            proposed: bool = False, progress=print) -> list[Result]:
    results = []
    for case in the_cases:
        if only and only not in case.name:
            continue
        times, error = _timed(url, case.run, repeat)
        result = Result(case, times, error)
        line = f"  {case.name:<46} {result.median:8.3f} s"
        if proposed and case.proposed and not error:
            with db.session(url) as s:
                try:
                    ok = _same(case.run(s), case.proposed(s))
                except Exception as err:
                    ok, result.proposed_note = False, f"{type(err).__name__}: {err}"
            if ok:
                result.proposed_times, result.proposed_note = _timed(url, case.proposed, repeat)
            elif not result.proposed_note:
                result.proposed_note = "different result"
            line += f"   proposed {result.proposed_median:8.3f} s {result.proposed_note}"
        results.append(result)
        progress(line)
    return results


def trace(url: str, case: Case) -> list[tuple[float, str, tuple]]:
    """One more run of a case, recording its statements, slowest first."""
    tracer = Tracer(db.engine(url))
    tracer.on = True
    try:
        with db.session(url) as s:
            case.run(s)
    finally:
        tracer.on = False
        event.remove(tracer.engine, "before_cursor_execute", tracer._before)
        event.remove(tracer.engine, "after_cursor_execute", tracer._after)
    return sorted(tracer.calls, key=lambda c: -c[0])


def query_plan(url: str, statement: str, parameters) -> list[str]:
    raw = db.engine(url).raw_connection()
    try:
        cur = raw.driver_connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters or ())
        rows = cur.fetchall()
    finally:
        raw.close()
    depth: dict[int, int] = {0: 0}
    out = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        out.append("  " * depth[node] + detail)
    return out


def explain(url: str, results: list[Result], threshold: float, statements: int = 2,
            out=print) -> None:
    slow = [r for r in results if r.times and r.ratio > threshold]
    if not slow:
        return
    out(f"\nQuery plans of the cases over {threshold:.0%} of budget (slowest statements first):")
    for r in sorted(slow, key=lambda r: -r.ratio):
        out(f"\n### {r.case.name}  (median {r.median:.3f} s, budget {r.case.budget} s)")
        for seconds, statement, parameters in trace(url, r.case)[:statements]:
            flat = " ".join(statement.split())
            out(f"- {seconds:.3f} s  {flat[:600]}{' …' if len(flat) > 600 else ''}")
            out(f"  params: {tuple(parameters)[:12]}")
            for line in query_plan(url, statement, parameters):
                out(f"    {line}")


def table(results: list[Result], baseline: dict[str, float] | None = None) -> str:
    """A Markdown table. With proposals: their median and speed-up over the service. With a
    baseline (--try-indexes): the service before and after the index changes, and the
    proposals' speed-up over the service *before* (indexes and rewrites together)."""
    proposed = any(r.proposed_times or r.proposed_note for r in results)
    if baseline is None:
        head = ["case", "median s", "budget s", "ratio", ""]
    else:
        head = ["case", "before s", "after s", "budget s", "ratio", "speed-up", ""]
    if proposed:
        head += ["proposed s", "ratio", "speed-up"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" if h in ("case", "") else "---:" for h in head) + "|"]
    for r in results:
        if r.error:
            lines.append(f"| {r.case.name} | error: {r.error} |" + " |" * (len(head) - 2))
            continue
        cells = [r.case.name]
        reference = r.median
        if baseline is not None:
            reference = baseline.get(r.case.name, float("nan"))
            cells += [f"{reference:.3f}", f"{r.median:.3f}", f"{r.case.budget:g}",
                      f"{r.ratio:.2f}", f"{reference / r.median:.1f}×"]
        else:
            cells += [f"{r.median:.3f}", f"{r.case.budget:g}", f"{r.ratio:.2f}"]
        cells.append("**over**" if r.ratio > 1 else "")
        if proposed:
            if r.proposed_times:
                p = r.proposed_median
                cells += [f"{p:.3f}", f"{p / r.case.budget:.2f}" + (" **over**" if
                          p > r.case.budget else ""), f"{reference / p:.1f}×"]
            else:
                cells += [r.proposed_note, "", ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- the database ------------------------------------------------------------------------------


def ensure_db(path: Path, scale: builder.Scale, rebuild: bool) -> dict:
    meta = builder.read_meta(path)
    if meta and not rebuild and meta.get("scale") == asdict(scale):
        print(f"Reusing {path} (built {meta['now']} in {meta['build_seconds']} s; "
              "--rebuild to make it again)")
        if "rollup_seconds" not in meta:  # built before the rollups existed
            url = f"sqlite:///{path}"
            db.upgrade(url)
            meta["rollup_seconds"] = builder.build_rollups(url)
            builder.meta_path(path).write_text(json.dumps(meta, ensure_ascii=False, indent=1))
        return meta
    if meta and not rebuild:
        print(f"{path} was built at another scale; rebuilding")
    print(f"Building the county into {path} …")
    meta = builder.build(path, scale)
    print(f"Built in {meta['build_seconds']:.0f} s ({meta['size_mb']} MB)")
    return meta


def candidate_copy(path: Path, analyze: bool) -> Path:
    """A copy of the benchmark database with the candidate indexes (and statistics) added."""
    target = path.with_name(path.stem + (".idx-analyze" if analyze else ".idx") + path.suffix)
    for suffix in ("", "-wal", "-shm"):
        p = target.with_name(target.name + suffix)
        if p.exists():
            p.unlink()
    t0 = time.perf_counter()
    src, dst = sqlite3.connect(path), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    for old, sql in CANDIDATE_INDEXES:
        if old:
            dst.execute(f"DROP INDEX IF EXISTS {old}")
        dst.execute(sql)
    if analyze:
        dst.execute("ANALYZE")
    dst.commit()
    dst.close()
    print(f"Copied to {target} with {len(CANDIDATE_INDEXES)} candidate indexes"
          f"{' and ANALYZE' if analyze else ''} in {time.perf_counter() - t0:.0f} s")
    return target


def calibrate() -> float:
    """Seconds for a fixed pure-Python loop: compare machines (and a busy machine with itself)."""
    t0 = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i % 7
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=DEFAULT_DB, help="the cached database file")
    ap.add_argument("--rebuild", action="store_true", help="build the database again")
    ap.add_argument("--orders", type=int, default=builder.Scale.orders,
                    help="orders in the history (default 1,000,000)")
    ap.add_argument("--events-days", type=int, default=0,
                    help="write order events only for the last N days (0: all)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per case (median reported)")
    ap.add_argument("--only", help="run only the cases whose name contains this")
    ap.add_argument("--explain", type=float, default=1.0, metavar="RATIO",
                    help="print query plans of cases above this ratio (default 1.0; 0 = all)")
    ap.add_argument("--try-indexes", action="store_true",
                    help="also measure a copy of the database with the candidate indexes")
    ap.add_argument("--analyze", action="store_true",
                    help="with --try-indexes: run ANALYZE on the copy too")
    ap.add_argument("--proposals", action="store_true",
                    help="also time the rewrites in bench/proposals.py (checked to return the "
                    "same result)")
    ap.add_argument("--check", action="store_true",
                    help="verify the built data against the model rules (slow)")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when a case is over budget or a budget of --budgets is missed")
    ap.add_argument("--budgets", action="store_true",
                    help="also measure issue 12's budgets: pages in AppTest, minimal SQL, a "
                    "naive pandas page, search, writers, growth (bench/budgets.py)")
    ap.add_argument("--writers", type=int, default=8,
                    help="with --budgets: concurrent writers (0: skip)")
    ap.add_argument("--growth-db", type=Path,
                    help="with --budgets: a smaller county built with --orders (e.g. 100000) "
                    "to time the same pages on, for the growth ratio")
    args = ap.parse_args(argv)

    scale = replace(builder.Scale(), orders=args.orders, events_days=args.events_days)
    path = args.db.resolve()
    meta = ensure_db(path, scale, args.rebuild)
    if args.check:
        problems = builder.verify(path)
        print("Data check:", "ok" if not problems else problems)
    url = f"sqlite:///{path}"
    db.upgrade(url)
    now = datetime.fromisoformat(meta["now"])
    ctx = context(url, now)
    counts = meta["counts"]
    print(f"\nCounty: {counts['workorder']:,} orders, {counts['orderevent']:,} events, "
          f"{counts['servicerecord']:,} service records, {counts['rating']:,} ratings, "
          f"{meta['size_mb']} MB; now = {now:%Y-%m-%d %H:%M} UTC")
    print(f"Machine: {platform.machine()}, {meta.get('cpus')} CPUs, Python "
          f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}; {args.repeat} runs "
          f"per case; calibration loop {calibrate():.2f} s (a CPU-speed yardstick; see README)\n")
    the_cases = cases(ctx) + volunteer_cases(ctx) + evaluation_cases(ctx)
    results = measure(url, the_cases, args.repeat, args.only, args.proposals)
    print("\n" + table(results))
    over = [r for r in results if r.times and r.ratio > 1]
    print(f"\n{len(over)} of {len(results)} cases over budget"
          f"{': ' + ', '.join(r.case.name for r in over) if over else ''}")
    explain(url, results, args.explain)

    missed = []
    if args.budgets:
        from bench import budgets

        search = {f"search {r.case.name}": r.median for r in results
                  if r.times and "search code fragment" in r.case.name
                  or r.times and "search title" in r.case.name}
        found = budgets.measure(path, ctx, max(3, args.repeat), growth_db=args.growth_db,
                                writers=args.writers, search_results=search)
        print("\n" + budgets.table(found))
        missed = [b for b in found if not b.ok]
        print(f"\n{len(missed)} of {len(found)} budgets missed")

    if args.try_indexes:
        db.engine(url).dispose()
        target = candidate_copy(path, args.analyze)
        url2 = f"sqlite:///{target}"
        db.upgrade(url2)
        print("\nWith the candidate indexes:")
        for old, sql in CANDIDATE_INDEXES:
            print(f"  {sql};" + (f"  -- replaces {old}" if old else ""))
        ctx2 = context(url2, now)
        results2 = measure(url2, cases(ctx2) + volunteer_cases(ctx2), args.repeat, args.only,
                           args.proposals)
        print("\n" + table(results2, {r.case.name: r.median for r in results if r.times}))
        over2 = [r for r in results2 if r.times and r.ratio > 1]
        print(f"\n{len(over2)} of {len(results2)} cases over budget with the candidates")
        explain(url2, results2, args.explain)
    return 1 if args.strict and (over or missed) else 0


if __name__ == "__main__":
    sys.exit(main())
