"""The rollups' one writer (models/rollups.py says what they hold), their rebuild from the raw
rows, the check that both agree, and the period conditions the reports read them with.

- `change` is called by orders.place, walk_ins.record and by the step every transition and
  correction takes (orders._change), inside that transaction: a figure can never count a change
  that was rolled back, nor miss one that was committed.
- `rebuild` recomputes every row from the orders, service records and ratings and replaces the
  tables in one transaction: readers see the old rows or the new ones, never half (run it with
  `python -m diandan rollups rebuild`; the timezone setting runs it too, since the periods are
  local).
- `check` compares the stored rows with a fresh computation and lists every difference
  (`python -m diandan rollups check` exits 1 on any): a disagreement is a failed check, never a
  silently wrong figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models import (
    ALL_TIME,
    DAY,
    DONE,
    MONTH,
    NO_TEAM,
    ItemRollup,
    OrderAction,
    OrderRollup,
    OrderStatus,
    Rating,
    ServiceRecord,
    VolunteerRollup,
    WorkOrder,
)

LEVELS = (1, 2, 3, 4, 5)
# The actions after which an order counts as done: 完成 (review off), 来访, and an approval
# under 中心审核 (a submission for review counts nothing yet).
DONE_ACTIONS = (OrderAction.complete, OrderAction.walk_in, OrderAction.approve)
STATUS_COLUMN = {s: f"n_{s.value}" for s in OrderStatus}
ORDER_METRICS = (*STATUS_COLUMN.values(), "done", "done_on_time", "beneficiaries",
                 "hours_x100", "done_rated", "done_rating_sum", *(f"level_{n}" for n in LEVELS))
ITEM_METRICS = ("orders", "beneficiaries", *(f"level_{n}" for n in LEVELS))
TABLES = {
    "order": (OrderRollup, ("grain", "period", "site_id", "team_id", "category_id"),
              ORDER_METRICS),
    "item": (ItemRollup, ("grain", "period", "site_id", "item_id"), ITEM_METRICS),
    "volunteer": (VolunteerRollup, ("grain", "period", "site_id", "volunteer_id"), ("orders",)),
}


# --- local periods -------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def aware(moment: datetime) -> datetime:
    # SQLite hands stored times back naive; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_day(moment: datetime, tz: str) -> date:
    moment = aware(moment).astimezone(UTC)
    offset = _offset(moment.replace(minute=0, second=0, microsecond=0), tz)
    if offset is None:  # the zone's offset changes within this hour
        return moment.astimezone(_zone(tz)).date()
    return (moment + offset).date()


@lru_cache(maxsize=65_536)
def _offset(hour: datetime, tz: str) -> timedelta | None:
    """The zone's UTC offset during one UTC hour (a rebuild converts millions of moments; the
    offset is looked up once per hour). An hour in which the offset changes is marked by a
    sentinel and converted moment by moment."""
    zone = _zone(tz)
    start = hour.astimezone(zone).utcoffset()
    end = (hour + timedelta(minutes=59, seconds=59)).astimezone(zone).utcoffset()
    return start if start == end else None


def periods(moment: datetime, tz: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """The day and month rows a moment counts in: (('d', 'YYYY-MM-DD'), ('m', 'YYYY-MM'))."""
    day = local_day(moment, tz).isoformat()
    return (DAY, day), (MONTH, day[:7])


def hundredths(hours: float) -> int:
    return round(float(hours) * 100)


# --- what one change adds ----------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What a completion reports, as the rollups count it."""

    beneficiaries: int
    hours: dict[int, float]   # volunteer id → hours


class Delta:
    """Increments to rollup rows, merged by key, written with one statement per table."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[tuple, dict[str, int]]] = {k: defaultdict(dict) for k in TABLES}
        self.last_order: dict[tuple, str] = {}

    def add(self, table: str, key: tuple, **increments: int) -> None:
        row = self.rows[table][key]
        for column, n in increments.items():
            row[column] = row.get(column, 0) + n

    def order(self, moment: datetime, tz: str, site: int, team: int | None, category: int,
              **increments: int) -> None:
        for grain, period in periods(moment, tz):
            self.add("order", (grain, period, site, team or NO_TEAM, category), **increments)

    def item(self, moment: datetime | None, tz: str, site: int, item: int | None,
             **increments: int) -> None:
        """All-time row when `moment` is None, else its day and month rows."""
        if not item:
            return
        keys = ([(ALL_TIME, "")] if moment is None else periods(moment, tz))
        for grain, period in keys:
            self.add("item", (grain, period, site, item), **increments)

    def volunteers(self, moment: datetime, tz: str, site: int, moves: dict[int, int]) -> None:
        for volunteer, n in moves.items():
            if n:
                for grain, period in periods(moment, tz):
                    self.add("volunteer", (grain, period, site, volunteer), orders=n)

    def write(self, session: Session) -> None:
        for name, rows in self.rows.items():
            rows = {k: v for k, v in rows.items() if any(v.values())}
            if name == "item":
                for key in self.last_order:
                    rows.setdefault(key, {})
            if rows:
                _upsert(session, name, rows, self.last_order if name == "item" else {})


@lru_cache(maxsize=8)
def _upsert_statement(dialect: str, name: str):
    """The upsert of one table, built once per dialect: building it (the excluded columns, the
    SET clause) cost more Python time than running it, on every transition."""
    model, keys, metrics = TABLES[name]
    stmt = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(model)
    table = model.__table__
    sets = {m: table.c[m] + stmt.excluded[m] for m in metrics}
    if name == "item":
        mine, theirs = table.c.last_order_on, stmt.excluded.last_order_on
        sets["last_order_on"] = case((theirs.is_(None), mine), (mine.is_(None), theirs),
                                     (theirs > mine, theirs), else_=mine)
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=sets)


def _upsert(session: Session, name: str, rows: dict[tuple, dict[str, int]],
            last_order: dict[tuple, str]) -> None:
    """INSERT … ON CONFLICT DO UPDATE SET column = column + excluded.column: the same text on
    SQLite (≥ 3.24) and PostgreSQL, one statement for all the rows of a change."""
    _model, keys, metrics = TABLES[name]
    params = [{**dict(zip(keys, key, strict=True)), **{m: inc.get(m, 0) for m in metrics}}
              for key, inc in rows.items()]
    if name == "item":
        for p, key in zip(params, rows, strict=True):
            p["last_order_on"] = last_order.get(key)
    session.connection().execute(_upsert_statement(session.get_bind().dialect.name, name),
                                 params)


def change(session: Session, order: WorkOrder, *, source: OrderStatus | None,
           target: OrderStatus, action: OrderAction, now: datetime, tz: str,
           report: Report | None = None, replaces: Report | None = None,
           level: int | None = None, done_at: datetime | None = None) -> None:
    """The rollups' share of one change of an order, written in the caller's transaction.
    `order` is the order as it was before the change; `report` what a completion records (for
    a correction: the new report, `replaces` the old); `level` the rating given; `done_at` the
    completion time when it is not `now` (an approval under 中心审核 counts the team's time)."""
    delta = Delta()
    site, category, team = order.site_id, order.category_id, order.team_id
    if source is None:  # 点单
        delta.order(order.submitted_at, tz, site, NO_TEAM, category,
                    **{STATUS_COLUMN[target]: 1})
        delta.item(None, tz, site, order.item_id, orders=1)
        if order.item_id:
            delta.last_order[(ALL_TIME, "", site, order.item_id)] = (
                local_day(order.submitted_at, tz).isoformat())
    elif source != target:
        delta.order(order.submitted_at, tz, site, NO_TEAM, category,
                    **{STATUS_COLUMN[source]: -1, STATUS_COLUMN[target]: 1})
    if action in DONE_ACTIONS and report is not None:
        done_at = done_at or now
        on_time = int(local_day(done_at, tz) <= order.due_on)
        delta.order(done_at, tz, site, team, category, done=1, done_on_time=on_time,
                    beneficiaries=report.beneficiaries,
                    hours_x100=sum(hundredths(h) for h in report.hours.values()))
        delta.volunteers(done_at, tz, site, dict.fromkeys(report.hours, 1))
        delta.item(None, tz, site, order.item_id, beneficiaries=report.beneficiaries)
    elif action == OrderAction.correct and report is not None and replaces is not None:
        done_at = order.completed_at
        delta.order(done_at, tz, site, team, category,
                    beneficiaries=report.beneficiaries - replaces.beneficiaries,
                    hours_x100=(sum(hundredths(h) for h in report.hours.values())
                                - sum(hundredths(h) for h in replaces.hours.values())))
        moves = dict.fromkeys(report.hours.keys() - replaces.hours.keys(), 1)
        moves.update(dict.fromkeys(replaces.hours.keys() - report.hours.keys(), -1))
        delta.volunteers(done_at, tz, site, moves)
        delta.item(None, tz, site, order.item_id,
                   beneficiaries=report.beneficiaries - replaces.beneficiaries)
    elif action == OrderAction.rate and level is not None:
        delta.order(now, tz, site, team, category, **{f"level_{level}": 1})
        delta.order(order.completed_at, tz, site, team, category, done_rated=1,
                    done_rating_sum=level)
        delta.item(now, tz, site, order.item_id, **{f"level_{level}": 1})
        delta.item(None, tz, site, order.item_id, **{f"level_{level}": 1})
    delta.write(session)


# --- rebuild and check -------------------------------------------------------------------------


def compute(session: Session, tz: str) -> Delta:
    """Every rollup row computed from the raw rows, streamed (a county's million orders are
    never held as objects)."""
    delta = Delta()
    conn = session.connection()
    w = WorkOrder.__table__.c
    for row in conn.execute(select(w.site_id, w.team_id, w.category_id, w.item_id, w.status,
                                   w.submitted_at, w.completed_at, w.due_on,
                                   w.actual_beneficiaries)).yield_per(20_000):
        site, team, category, item, status, submitted, completed, due, people = row
        status = OrderStatus(status)
        delta.order(submitted, tz, site, NO_TEAM, category, **{STATUS_COLUMN[status]: 1})
        delta.item(None, tz, site, item, orders=1)
        if item:
            key = (ALL_TIME, "", site, item)
            day = local_day(submitted, tz).isoformat()
            if day > delta.last_order.get(key, ""):
                delta.last_order[key] = day
        if status in DONE:
            delta.order(completed, tz, site, team, category, done=1,
                        done_on_time=int(local_day(completed, tz) <= due),
                        beneficiaries=people or 0)
            delta.item(None, tz, site, item, beneficiaries=people or 0)
    done = w.status.in_(DONE)
    r = ServiceRecord.__table__.c
    for site, team, category, completed, volunteer, hours in conn.execute(
            select(w.site_id, w.team_id, w.category_id, w.completed_at, r.volunteer_id, r.hours)
            .select_from(ServiceRecord.__table__.join(WorkOrder.__table__, w.id == r.order_id))
            .where(done)).yield_per(20_000):
        delta.order(completed, tz, site, team, category, hours_x100=hundredths(hours))
        delta.volunteers(completed, tz, site, {volunteer: 1})
    g = Rating.__table__.c
    for site, team, category, item, completed, level, at in conn.execute(
            select(w.site_id, w.team_id, w.category_id, w.item_id, w.completed_at, g.level, g.at)
            .select_from(Rating.__table__.join(WorkOrder.__table__, w.id == g.order_id))
            ).yield_per(20_000):
        delta.order(at, tz, site, team, category, **{f"level_{level}": 1})
        if completed is not None:
            delta.order(completed, tz, site, team, category, done_rated=1,
                        done_rating_sum=level)
        delta.item(at, tz, site, item, **{f"level_{level}": 1})
        delta.item(None, tz, site, item, **{f"level_{level}": 1})
    return delta


def _stored(session: Session) -> Delta:
    delta = Delta()
    conn = session.connection()
    for name, (model, keys, metrics) in TABLES.items():
        table = model.__table__
        extra = [table.c.last_order_on] if name == "item" else []
        for row in conn.execute(select(*(table.c[k] for k in keys),
                                       *(table.c[m] for m in metrics), *extra)).yield_per(20_000):
            key = tuple(row[:len(keys)])
            delta.rows[name][key] = dict(zip(metrics, row[len(keys):len(keys) + len(metrics)],
                                             strict=True))
            if extra and row[-1] is not None:
                delta.last_order[key] = row[-1]
    return delta


def rebuild(session: Session, *, tz: str) -> dict[str, int]:
    """Replace every rollup row by the raw rows' computation, in the caller's transaction
    (the caller commits: readers see the old rows until then). Returns rows per table."""
    delta = compute(session, tz)
    conn = session.connection()
    written = {}
    for name, (model, keys, metrics) in TABLES.items():
        conn.execute(delete(model))
        rows = [{**dict(zip(keys, key, strict=True)), **{m: inc.get(m, 0) for m in metrics}}
                for key, inc in delta.rows[name].items() if any(inc.values())
                or (name == "item" and key in delta.last_order)]
        if name == "item":
            for row in rows:
                row["last_order_on"] = delta.last_order.get(
                    (row["grain"], row["period"], row["site_id"], row["item_id"]))
        for start in range(0, len(rows), 5_000):
            conn.execute(insert(model), rows[start:start + 5_000])
        written[name] = len(rows)
    return written


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple
    column: str
    stored: object
    raw: object


def _normalised(delta: Delta, name: str) -> dict[tuple, dict[str, object]]:
    out = {}
    for key, values in delta.rows[name].items():
        row = {k: v for k, v in values.items() if v}
        if name == "item" and delta.last_order.get(key):
            row["last_order_on"] = delta.last_order[key]
        if row:
            out[key] = row
    if name == "item":
        for key, day in delta.last_order.items():
            out.setdefault(key, {"last_order_on": day})
    return out


def check(session: Session, *, tz: str) -> list[Difference]:
    """Every difference between the stored rollups and the raw rows' computation (rows that
    are all zero count as absent)."""
    raw, stored = compute(session, tz), _stored(session)
    out = []
    for name in TABLES:
        mine, theirs = _normalised(stored, name), _normalised(raw, name)
        for key in sorted(mine.keys() | theirs.keys(), key=repr):
            a, b = mine.get(key, {}), theirs.get(key, {})
            for column in sorted(a.keys() | b.keys()):
                if a.get(column, 0) != b.get(column, 0):
                    out.append(Difference(name, key, column, a.get(column, 0), b.get(column, 0)))
    return out


# --- reading -----------------------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def in_period(model, start: date, end: date | None) -> object:
    """The rows of a local-date period [start, end] (end None: open-ended): the whole months
    inside it at grain `m`, the ragged ends at grain `d` — a year reads 12 month rows per key
    instead of 365 day rows."""
    first_full = start if start.day == 1 else _next_month(start)
    after_last_full = None if end is None else _month_start(end + timedelta(days=1))
    days = lambda lo, hi: and_(model.grain == DAY, model.period >= lo.isoformat(),  # noqa: E731
                               *([] if hi is None else [model.period <= hi.isoformat()]))
    if after_last_full is not None and first_full >= after_last_full:
        return days(start, end)
    parts = []
    if start < first_full:
        parts.append(days(start, first_full - timedelta(days=1)))
    months = [model.grain == MONTH, model.period >= first_full.isoformat()[:7]]
    if after_last_full is not None:
        months.append(model.period < after_last_full.isoformat()[:7])
        if after_last_full <= end:
            parts.append(days(after_last_full, end))
    parts.append(and_(*months))
    return or_(*parts) if len(parts) > 1 else parts[0]


def month_of(model):
    """'YYYY-MM' of a row, at either grain."""
    return func.substr(model.period, 1, 7)


def levels_where(model, rule):
    """SQL: a row's ratings whose level meets a rule of models/ratings (good_rating,
    satisfied): the same cut-offs as for one rating."""
    return sum((getattr(model, f"level_{n}") for n in LEVELS if rule(n)), start=0)


def rated(model):
    return sum((getattr(model, f"level_{n}") for n in LEVELS), start=0)


def level_sum(model):
    return sum((n * getattr(model, f"level_{n}") for n in LEVELS), start=0)


def placed(model):
    """SQL: the orders a row counts as submitted in its period (whatever their status now)."""
    return sum((getattr(model, c) for c in STATUS_COLUMN.values()), start=0)


def total(expression):
    """SQL: the sum over the rows read, 0 when there are none."""
    return func.coalesce(func.sum(expression), 0)
