"""派单 recommendations: which volunteer team should take an order, and why.

Every active team the manager may dispatch to gets a score from 0 to 100, the weighted mean of
six parts, each between 0 and 1:

| part     | what it measures                       | value                                  |
|----------|----------------------------------------|----------------------------------------|
| category | the team serves the order's category   | 1 if it does, else 0                   |
| workload | orders it holds now (已派单/已接单)    | 1 − open ÷ `team_full_load`, ≥ 0       |
| rating   | average rating, last 12 months         | (average − 1) ÷ 4                      |
| on_time  | share done by the due date, 12 months  | the share                              |
| nearby   | where the team is based                | 1 same 站 · 0.5 same 所 · 0 elsewhere  |
| accept   | median hours 派单 → 接单, 12 months    | 1 − median ÷ (`accept_days` × 24), ≥ 0 |

A part with no record yet (a new team: no ratings, nothing done, nothing accepted) counts 0.5,
neither a reward nor a penalty. The weights are the business settings `weight_category`,
`weight_workload`, `weight_rating`, `weight_on_time`, `weight_nearby` and `weight_accept`:

    score = 100 × Σ weight × part ÷ Σ weight

The 12-month numbers are over the orders the team finished (已完成 / 已评价) in the last 365
days. Ties are broken by fewer open orders, then by name. `score` is the whole rule;
`team_records` and `open_orders` gather the numbers behind it in a few SQL aggregates for every
team at once; `recommend` joins them for one or several orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from core import db
from core.db import utcnow
from models import WITH_TEAM, Site, SiteLevel, Team, TeamCategory, WorkOrder
from services import orders
from services import settings as settings_service
from services import teams as teams_service
from services.errors import Invalid, NotFound
from services.figures import half_up
from services.permissions import Action, Actor, ensure_allowed, in_scope

PARTS = ("category", "workload", "rating", "on_time", "nearby", "accept")
WEIGHT_KEYS = {part: f"weight_{part}" for part in PARTS}
UNKNOWN = 0.5
NEARBY = {"point": 1.0, "station": 0.5, "": 0.0}
RECORD_DAYS = 365


@dataclass(frozen=True)
class TeamRecord:
    """What the score looks at for one team and one order."""

    team_id: int
    name: str
    site: str
    serves_category: bool
    open_orders: int
    average_rating: float | None = None      # 1–5, last 12 months
    on_time_rate: float | None = None        # 0–1, last 12 months
    nearby: str = ""                         # "point" same 站, "station" same 所, "" elsewhere
    median_accept_hours: float | None = None  # last 12 months


def parts(record: TeamRecord, values: dict) -> dict[str, float]:
    """Each part of the score between 0 and 1, by the table in the module's docstring."""
    def known(x: float | None, to_part) -> float:
        return UNKNOWN if x is None else min(1.0, max(0.0, to_part(x)))

    full = max(1, values["team_full_load"])
    limit_hours = values["accept_days"] * 24
    return {
        "category": 1.0 if record.serves_category else 0.0,
        "workload": max(0.0, 1 - record.open_orders / full),
        "rating": known(record.average_rating, lambda r: (r - 1) / 4),
        "on_time": known(record.on_time_rate, lambda r: r),
        "nearby": NEARBY.get(record.nearby, 0.0),
        "accept": known(record.median_accept_hours, lambda h: 1 - h / limit_hours),
    }


def score(record: TeamRecord, values: dict) -> float:
    """The team's score for the order, 0–100, one decimal."""
    weights = {p: max(0, values[WEIGHT_KEYS[p]]) for p in PARTS}
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    got = parts(record, values)
    return half_up(100 * sum(weights[p] * got[p] for p in PARTS) / total, 1)


# --- the numbers behind the score -----------------------------------------------------------


def _station_of(path: str, levels: dict[int, SiteLevel]) -> int | None:
    """The 所 a site belongs to (itself when it is one), from its materialised path."""
    for site_id in (int(x) for x in path.strip("/").split("/") if x):
        if levels.get(site_id) == SiteLevel.station:
            return site_id
    return None


def team_records(session: Session, *, actor: Actor, now: datetime) -> list[dict]:
    """Every active team the actor may dispatch to, with its record over the orders it finished
    in the last 12 months: average rating, on-time share and median hours to accept. One
    aggregate query per number, over all teams at once. These move slowly, so a page may keep
    them for a few minutes; the open workload, which every dispatch changes, is read fresh by
    `recommend`."""
    since = now - timedelta(days=RECORD_DAYS)
    dialect = db.dialect_of(session)
    teams = session.exec(select(Team.id, Team.name, Site.name, Site.path, Team.site_id)
                         .join(Site, Site.id == Team.site_id)
                         .where(Site.path.startswith(actor.site_path), Team.active)).all()
    ids = [row[0] for row in teams]
    if not ids:
        return []
    records = teams_service.finished_record(session, ids, since)
    done = teams_service.finished_since(ids, since)
    medians = _median_accept_hours(session, done, dialect)
    return [{"team_id": tid, "name": name, "site": site, "site_path": path, "site_id": site_id,
             "average_rating": _average(records.get(tid)),
             "on_time_rate": (records[tid]["on_time"] / records[tid]["done"])
             if tid in records else None,
             "median_accept_hours": medians.get(tid)}
            for tid, name, site, path, site_id in teams]


def _average(record: dict | None) -> float | None:
    return half_up(record["average"], 2) if record and record["average"] is not None else None


def open_orders(session: Session, team_ids: list[int]) -> dict[int, int]:
    """Orders each team holds now (已派单 or 已接单)."""
    if not team_ids:
        return {}
    return dict(session.exec(select(WorkOrder.team_id, func.count()).where(
        WorkOrder.team_id.in_(team_ids), WorkOrder.status.in_(WITH_TEAM))
        .group_by(WorkOrder.team_id)).all())


def _median_accept_hours(session: Session, done, dialect: str) -> dict[int, float]:
    """Median hours from dispatch to acceptance per team, by window functions in the database:
    number each team's waits in order; the median is the mean of the middle one or two."""
    hours = db.hours_between(WorkOrder.dispatched_at, WorkOrder.accepted_at, dialect)
    ranked = (select(WorkOrder.team_id.label("team_id"), hours.label("h"),
                     func.row_number().over(partition_by=WorkOrder.team_id, order_by=hours)
                     .label("rn"),
                     func.count().over(partition_by=WorkOrder.team_id).label("n"))
              .where(done, WorkOrder.accepted_at.is_not(None),
                     WorkOrder.dispatched_at.is_not(None))
              .subquery())
    rows = session.exec(select(ranked.c.team_id, func.avg(ranked.c.h))
                        .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
                        .group_by(ranked.c.team_id)).all()
    return {team: half_up(h, 1) for team, h in rows if h is not None}


# --- recommending ---------------------------------------------------------------------------


def records_for(session: Session, order: WorkOrder, stats: list[dict],
                open_now: dict[int, int]) -> list[TeamRecord]:
    """The teams' records as seen from one order: category served and distance added."""
    serving = set(session.exec(select(TeamCategory.team_id).where(
        TeamCategory.category_id == order.category_id)))
    levels = dict(session.exec(select(Site.id, Site.level)).all())
    order_site = session.get(Site, order.site_id)
    order_station = _station_of(order_site.path, levels)

    def nearby(row: dict) -> str:
        if row["site_id"] == order.site_id:
            return "point"
        station = _station_of(row["site_path"], levels)
        return "station" if station is not None and station == order_station else ""

    return [TeamRecord(team_id=row["team_id"], name=row["name"], site=row["site"],
                       serves_category=row["team_id"] in serving,
                       open_orders=open_now.get(row["team_id"], 0),
                       average_rating=row["average_rating"],
                       on_time_rate=row["on_time_rate"], nearby=nearby(row),
                       median_accept_hours=row["median_accept_hours"]) for row in stats]


def recommend(session: Session, *, actor: Actor, order_ids: list[int],
              records: list[dict] | None = None, now: datetime | None = None) -> list[dict]:
    """Teams ranked for one order, or for several sent together (by their mean score), best
    first, each with its score, its parts and the numbers behind them.

    `records` may be passed in (team_records of a few minutes ago, kept by the page) to save
    the yearly aggregates on a rerun; the open workload is always read now."""
    ensure_allowed(actor, Action.DISPATCH)
    if not order_ids:
        return []
    now = now or utcnow()
    values = settings_service.current(session)
    stats = team_records(session, actor=actor, now=now) if records is None else records
    open_now = open_orders(session, [row["team_id"] for row in stats])
    totals: dict[int, float] = {}
    serves: dict[int, int] = {}
    near: dict[int, set[str]] = {}
    first: dict[int, TeamRecord] = {}
    for order_id in order_ids:
        order = session.get(WorkOrder, order_id)
        if order is None:
            raise NotFound(what="order")
        ensure_allowed(actor, Action.DISPATCH, site_path=session.get(Site, order.site_id).path)
        for record in records_for(session, order, stats, open_now):
            totals[record.team_id] = totals.get(record.team_id, 0.0) + score(record, values)
            serves[record.team_id] = serves.get(record.team_id, 0) + record.serves_category
            near.setdefault(record.team_id, set()).add(record.nearby)
            first.setdefault(record.team_id, record)
    ranked = []
    for team_id, record in first.items():
        # With several orders: how many of their categories the team serves, and where it is
        # based only when that is the same for all of them.
        (nearby,) = near[team_id] if len(near[team_id]) == 1 else ("",)
        ranked.append({**record.__dict__, "nearby": nearby, "serves_count": serves[team_id],
                       "score": half_up(totals[team_id] / len(order_ids), 1),
                       "parts": parts(record, values)})
    ranked.sort(key=lambda r: (-r["score"], r["open_orders"], r["name"]))
    return ranked


def dispatch_many(session: Session, *, actor: Actor, order_ids: list[int], team_id: int,
                  now: datetime | None = None) -> list[str]:
    """Send several orders to one team in one transaction: all go, or none does (the message
    names the order that could not go). Returns the codes sent."""
    ensure_allowed(actor, Action.DISPATCH)
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        raise Invalid("error.orders_required")
    now = now or utcnow()
    team = session.get(Team, team_id) if team_id else None
    if team is None or not team.active or not in_scope(
            actor, session.get(Site, team.site_id).path):
        raise Invalid("error.team_required")
    codes = []
    for order_id in ids:
        order = orders.dispatch_step(session, actor=actor, order_id=order_id, team=team, now=now)
        codes.append(order.code)
    session.commit()
    return codes
