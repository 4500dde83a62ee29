"""绩效评价: the figures leaders judge 志愿服务队, 文明实践员, 中心管理员 and 站点 by, for a
考核周期 (services/periods.py), within the actor's sites. One definition per figure,
one function each:

- **办结率** (`completion_rate`) = orders done (已完成 or 已评价) ÷ orders *due* in the period (due
  date in it, cancelled ones left out — also those cancelled after they were due).
- **按时办结率** (`on_time_rate`) = of the same orders, those done on or before the due date (the
  local day of completion ≤ the due date) ÷ the same denominator.
- **一次办结率** (`first_time_rate`) = done orders that were never declined (a re-dispatch only
  ever follows a decline, so none was re-dispatched), never corrected, and not followed within
  `repeat_days` of their completion by another, not cancelled order of the same site and
  category from the same requester (same phone, or same name) or the same household (a survey
  respondent of the same site) — a **重复诉求** (services/repeats.is_repeat, kept per order
  in `repeatedorder`) — ÷ done orders.
- **接单率** = acceptances ÷ (acceptances + declines) answered in the period; **accepted within
  the limit** = accepted within `accept_days` of dispatch ÷ accepted in the period.
- **好评率** / **满意率**: ratings given in the period (as on 满意度).
- **综合得分** (`composite_score`, 0–100) = the weighted mean of 响应 (share accepted — for
  managers dispatched — within the limit), 解决 (按时办结率) and 满意 (each rating credited
  `score_credit_good` for 满意/非常满意, `score_credit_basic` for 基本满意, 0 below, ÷ ratings),
  weights `score_weight_*` (10 / 50 / 40). A part with no data (nothing accepted, no rating) is
  left out and the other weights share its place. In 解决 (`resolve_part`) an order due in the
  period that was urged (催办) and not done on time counts twice: on time ÷ (due + urged and
  late); the 按时办结率 shown stays on time ÷ due.
- A unit with no order due in the period is **无考核数据**: listed apart, never scored or ranked.

Whose orders: a team's are the orders dispatched to it now; an officer's are the orders they
placed (and those orders' 回访); a manager's are the orders they dispatched last; a site's are
its own and its sub-sites' orders. Orders placed, done (by completion time), beneficiaries and
hours are counted by when they happened in the period, local time.

Every figure is a GROUP BY (no query per unit); each row carries the numerator and denominator
of each rate so a leader can check it. The one exception is the whole county's teams, where no
row's site needs testing: a team's volunteers who served and its dispatches and declines are a
correlated count per team in one statement (`_per_team`), one index range each. The order
figures read each order's facts (models/rollups.OrderFact, defined and kept by
services/order_facts.py: one narrow row per order, a covering index per time axis); 回访,
surveys, dispatch events and ratings are read from their own rows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import String, and_, cast, distinct, func, or_
from sqlmodel import Session, select

from core.db import count_where, dialect_of, flag, utcnow
from models import (
    DONE,
    NO_TEAM,
    FollowUp,
    Need,
    NeedStatus,
    OrderAction,
    OrderEvent,
    OrderFact,
    OrderRollup,
    OrderStatus,
    Rating,
    RepeatedOrder,
    Role,
    ServiceCategory,
    ServiceRecord,
    Site,
    SiteLevel,
    Survey,
    Team,
    User,
    WorkOrder,
    good_rating,
    satisfied,
)
from services import contacts, follow_ups, rollups, scope, sla
from services import repeats as repeats_kept
from services import settings as settings_service
from services.figures import half_up, rate
from services.periods import Period, months_of, previous, utc_bounds
from services.permissions import Action, Actor, ensure_allowed

S = OrderStatus
TABLES = ("team", "officer", "manager", "site")
LEVEL_BELOW = {SiteLevel.center: SiteLevel.station, SiteLevel.station: SiteLevel.point,
               SiteLevel.point: SiteLevel.point}


# --- the definitions ------------------------------------------------------------------------


def completion_rate(done: int, due: int) -> float | None:
    """办结率: done ÷ due in the period (cancelled left out of both)."""
    return rate(done, due)


def on_time_rate(on_time: int, due: int) -> float | None:
    """按时办结率: done on or before the due date ÷ due in the period."""
    return rate(on_time, due)


def first_time_rate(first_time: int, done: int) -> float | None:
    """一次办结率: done never declined, corrected or repeated ÷ done."""
    return rate(first_time, done)


def resolve_part(on_time: int, due: int, urged_late: int) -> float | None:
    """解决 of 综合得分: 按时办结率 with each order that was urged (催办, by a manager or the
    resident) and still not done on time counted twice in the denominator."""
    return rate(on_time, due + urged_late)


def satisfaction_part(good: int, basic: int, ratings: int, values: dict) -> float | None:
    """满意 of 综合得分: 满意/非常满意 credited `score_credit_good`, 基本满意
    `score_credit_basic`, the rest 0, ÷ ratings."""
    if not ratings:
        return None
    return (good * values["score_credit_good"] + basic * values["score_credit_basic"]) / ratings


def composite_score(response: float | None, resolve: float | None, satisfaction: float | None,
                    values: dict) -> float | None:
    """综合得分 on 0–100: the weighted mean of the parts that have data, rounded 四舍五入."""
    parts = {"response": response, "resolve": resolve, "satisfaction": satisfaction}
    weights = {p: values[f"score_weight_{p}"] for p in parts}
    known = {p: v for p, v in parts.items() if v is not None and weights[p] > 0}
    total = sum(weights[p] for p in known)
    if resolve is None or not total:
        return None
    return half_up(100 * sum(weights[p] * v for p, v in known.items()) / total, 1)


F = OrderFact
R = OrderRollup


# --- the aggregates, each one GROUP BY over the unit's key ------------------------------------


@dataclass
class Context:
    session: Session
    actor: Actor
    period: Period
    values: dict
    now: datetime
    dialect: str
    lo: datetime = field(init=False)
    hi: datetime = field(init=False)
    mine: list = field(init=False)
    facts: list = field(init=False)  # the same reach, on OrderFact
    rollup_rows: dict = field(init=False, default_factory=dict)  # _rollup's, per key

    def __post_init__(self):
        self.lo, self.hi = utc_bounds(self.period, self.values["timezone"])
        self.mine = scope.orders_of_in_period(self.session, self.actor, self.period.start,
                                              self.period.end)
        self.facts = scope.rows_of(self.session, self.actor, F.site_id, F.team_id)

    def within(self, column):
        return and_(column >= self.lo, column < self.hi)


def _grouped(session: Session, inner, sums: dict[str, object]) -> dict:
    """GROUP BY the inner query's column k: {k: {name: aggregate}}."""
    sub = inner.subquery()
    columns = [agg(sub.c) if callable(agg) else agg for agg in sums.values()]
    rows = session.exec(select(sub.c.k, *columns).group_by(sub.c.k)).all()
    return {row[0]: {name: (value or 0) for name, value in zip(sums, row[1:], strict=True)}
            for row in rows if row[0] is not None}


def resolution(ctx: Context, key) -> dict:
    """Per unit (`key`, an OrderFact column), of the orders due in the period (cancelled left
    out): due, done, on time, first time, repeated, and urged but not done on time
    (`urged_late`)."""
    due = [*ctx.facts, F.due_on >= ctx.period.start, F.due_on <= ctx.period.end, F.live == 1]
    # Plain sums of the 0/1 facts, each column once per row (a CASE naming the state, read by
    # three sums, was evaluated three times: 0.27 s for a county year, now 0.18).
    out = _grouped(ctx.session, select(key.label("k"), F.done.label("d"),
                                       (F.done * F.clean).label("dc"), F.on_time.label("o"),
                                       (F.urged * (1 - F.on_time)).label("u")).where(*due), {
        "due": func.count(), "done": lambda c: func.sum(c.d),
        "first_time": lambda c: func.sum(c.dc), "on_time": lambda c: func.sum(c.o),
        "urged_late": lambda c: func.sum(c.u)})
    # 重复诉求 are few (kept in repeatedorder): a repeated order is done and never first time.
    repeated = _grouped(ctx.session, select(key.label("k"), F.clean.label("c"))
                        .select_from(RepeatedOrder).join(F, F.order_id == RepeatedOrder.order_id)
                        .where(*due, F.done == 1),
                        {"repeats": func.count(), "clean": lambda c: func.sum(c.c)})
    for k, row in out.items():
        again = repeated.get(k, {"repeats": 0, "clean": 0})
        row["repeats"] = again["repeats"]
        row["first_time"] -= again["clean"]
    return out


# The rollup columns a team's or site's sums are made of, summed as they are: a county year's
# 95,000 month rows, summed column by column and combined in Python for the 600 teams, took
# 0.14 s where the same sums of expressions per row (level_1 + … + level_5) took 0.23 s.
_LEVELS = tuple(f"level_{n}" for n in rollups.LEVELS)
_ROLLED = (*_LEVELS, "done", "beneficiaries", "hours_x100")
_PLACED = tuple(rollups.STATUS_COLUMN.values())  # only on team 0's rows (see _rollup)


def _rollup_sums(row: dict) -> dict:
    """The figures of one unit's summed rollup columns."""
    levels = {n: row[f"level_{n}"] for n in rollups.LEVELS}
    return {"ratings": sum(levels.values()),
            "good": sum(v for n, v in levels.items() if good_rating(n)),
            "satisfied": sum(v for n, v in levels.items() if satisfied(n)), "basic": levels[3],
            "completed": row["done"], "beneficiaries": row["beneficiaries"],
            "hours": row["hours_x100"],
            # the team-0 rows follow each order placed in the period through its statuses
            "placed": sum(row.get(c, 0) for c in _PLACED)}


def _rollup(ctx: Context, key, names: tuple[str, ...]) -> dict:
    """Per team or site (`key`, an OrderFact column), the sums `names` (of `_rollup_sums`) over
    the period's rows of the rollup (models/rollups.OrderRollup: a year is its month rows, the
    ragged ends its day rows); team 0 (an order not yet dispatched) is no team. All the sums
    are read in one pass, kept for the table's other parts (ratings, then service)."""
    if key.key not in ctx.rollup_rows:
        teams = key.key == "team_id"
        k, columns = getattr(R, key.key), (_ROLLED if teams else (*_ROLLED, *_PLACED))
        rows = ctx.session.exec(
            select(k, *[rollups.total(getattr(R, c)) for c in columns])
            .where(rollups.in_period(R, ctx.period.start, ctx.period.end),
                   *scope.rows_of(ctx.session, ctx.actor, R.site_id, R.team_id),
                   *([R.team_id != NO_TEAM] if teams else []))
            .group_by(k)).all()
        ctx.rollup_rows[key.key] = {
            row[0]: _rollup_sums(dict(zip(columns, map(int, row[1:]), strict=True)))
            for row in rows}
    return {k: {name: row[name] for name in names}
            for k, row in ctx.rollup_rows[key.key].items()}


def _by_rollup(key) -> bool:
    return key.key in ("team_id", "site_id")


def rating_counts(ctx: Context, key) -> dict:
    """Per unit, ratings given in the period: all, ≥ 4 (好评), ≥ 3 (满意), = 3 (基本满意)."""
    if _by_rollup(key):
        return _rollup(ctx, key, ("ratings", "good", "satisfied", "basic"))
    inner = (select(key.label("k"), Rating.level.label("level")).select_from(Rating)
             .join(F, F.order_id == Rating.order_id)
             .where(*ctx.facts, ctx.within(Rating.at)))
    return _grouped(ctx.session, inner, {
        "ratings": func.count(), "good": lambda c: count_where(c.level >= 4),
        "satisfied": lambda c: count_where(c.level >= 3),
        "basic": lambda c: count_where(c.level == 3)})


def service(ctx: Context, key, volunteers: bool = True) -> dict:
    """Per unit, orders completed in the period, their beneficiaries, hours and (`volunteers`)
    how many volunteers served them."""
    done_in = ctx.within(F.completed_at)  # kept only while done
    if _by_rollup(key):
        orders = _rollup(ctx, key, ("completed", "beneficiaries", "hours"))
        for row in orders.values():
            row["hours"] = row["hours"] / 100
        if volunteers:
            for k, n in _volunteers(ctx, key).items():
                orders.setdefault(k, {"completed": 0, "beneficiaries": 0, "hours": 0.0}).update(n)
        return orders
    orders = _grouped(ctx.session, select(key.label("k"), F.beneficiaries.label("b"))
                      .where(*ctx.facts, done_in),
                      {"completed": func.count(),
                       "beneficiaries": lambda c: func.coalesce(func.sum(c.b), 0)})
    served = _grouped(ctx.session, select(key.label("k"), ServiceRecord.hours.label("h"),
                                          ServiceRecord.volunteer_id.label("v"))
                      .select_from(F).join(ServiceRecord, ServiceRecord.order_id == F.order_id)
                      .where(*ctx.facts, done_in),
                      {"hours": lambda c: func.coalesce(func.sum(c.h), 0.0),
                       "volunteers": lambda c: func.count(distinct(c.v))})
    for k, row in served.items():
        orders.setdefault(k, {"completed": 0, "beneficiaries": 0}).update(row)
    return orders


def _per_team(ctx: Context, counts: dict[str, object]) -> dict:
    """For the whole county only (no reach to test on each row): per team, each of `counts`
    — a function of the team id column giving a correlated count — as one index range per
    team. A GROUP BY over the period's rows sorted a year's 136,000 events or 390,000
    service records first (0.12 s and 0.4 s at a county's million orders)."""
    columns = [count(Team.id).scalar_subquery() for count in counts.values()]
    return {row[0]: dict(zip(counts, row[1:], strict=True))
            for row in ctx.session.exec(select(Team.id, *columns)).all() if any(row[1:])}


def _volunteers(ctx: Context, key) -> dict:
    """Per unit, the distinct volunteers with a service record on its orders done in the
    period (a record is written with its order's completion time: services/completions.py)."""
    if key.key == "team_id" and not ctx.facts:
        s = ServiceRecord
        return _per_team(ctx, {"volunteers": lambda team: (
            select(func.count(distinct(s.volunteer_id)))
            .where(s.team_id == team, s.served_at >= ctx.lo, s.served_at < ctx.hi))})
    return _grouped(ctx.session, select(key.label("k"), ServiceRecord.volunteer_id.label("v"))
                    .select_from(F).join(ServiceRecord, ServiceRecord.order_id == F.order_id)
                    .where(*ctx.facts, ctx.within(F.completed_at)),
                    {"volunteers": lambda c: func.count(distinct(c.v))})


def _hours_of(ctx: Context, inner) -> dict[object, list[float]]:
    """Per k, the sorted h of the inner query's (k, h) rows, fetched as narrow columns through
    the connection: 0.2 s for a county year's 131,000 acceptances, where two window sorts for
    the median cost SQLite 0.5 s."""
    by: defaultdict = defaultdict(list)
    # Plain integers and floats: the driver's own tuples, without a Row built for each (half
    # the time at a county year); the NULLs are left out in SQL.
    sub = inner.subquery()
    rows = ctx.session.connection().execute(
        select(sub.c.k, sub.c.h).where(sub.c.k.is_not(None), sub.c.h.is_not(None)))
    for k, h in rows.cursor.fetchall():
        by[k].append(h)
    for hs in by.values():
        hs.sort()
    return by


def _middle(ordered: list[float]) -> float:
    """The median of sorted values: the middle one, or the mean of the middle two."""
    n = len(ordered)
    return float(ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2)


def acceptance(ctx: Context, key, with_median: bool = True) -> dict:
    """Per unit, orders accepted in the period: how many, how many within `accept_days` of
    dispatch, and (`with_median`) the median hours from dispatch to acceptance."""
    inner = (select(key.label("k"), F.accept_hours.label("h"))
             .where(*ctx.facts, ctx.within(F.accepted_at), F.accept_hours.is_not(None)))
    limit = ctx.values["accept_days"] * 24
    if not with_median:
        return _grouped(ctx.session, inner, {
            "accepted": func.count(), "accepted_in_limit": lambda c: count_where(c.h <= limit)})
    return {k: {"accepted": len(hs), "accepted_in_limit": bisect_right(hs, limit),
                "accept_median_hours": _middle(hs)}
            for k, hs in _hours_of(ctx, inner).items()}


def team_events(ctx: Context) -> dict:
    """Per team, dispatches to it and declines by it in the period (events)."""
    if not ctx.facts:
        e = OrderEvent
        return _per_team(ctx, {name: lambda team, action=action: (
            select(func.count()).select_from(e)
            .where(e.team_id == team, e.action == action.value, ctx.within(e.at)))
            for name, action in (("dispatched", OrderAction.dispatch),
                                 ("declined", OrderAction.decline))})
    # the reach needs the order's site
    inner = (select(OrderEvent.team_id.label("k"), OrderEvent.action.label("a"))
             .join(F, F.order_id == OrderEvent.order_id)
             .where(*ctx.facts, ctx.within(OrderEvent.at),
                    OrderEvent.action.in_((OrderAction.dispatch.value,
                                           OrderAction.decline.value))))
    return _grouped(ctx.session, inner, {
        "dispatched": lambda c: count_where(c.a == OrderAction.dispatch.value),
        "declined": lambda c: count_where(c.a == OrderAction.decline.value)})


def _merge(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for k, row in part.items():
            out.setdefault(k, {}).update(row)
    return out


# --- rows ------------------------------------------------------------------------------------

COUNTS = ("due", "done", "on_time", "first_time", "repeats", "urged_late", "ratings", "good",
          "satisfied",
          "basic", "completed", "beneficiaries", "hours", "volunteers", "accepted",
          "accepted_in_limit")


# The service figures (services.service) an officer's or a manager's table does not count: no
# figure rather than a 0 that looks like one.
NOT_COUNTED = {"completed": None, "beneficiaries": None, "hours": None, "volunteers": None}


def _finish(row: dict, values: dict, response: tuple[str, str]) -> dict:
    """Rates from counts (numerator and denominator stay in the row) and the score."""
    for name in COUNTS:
        row.setdefault(name, 0)
    row["hours"] = half_up(row["hours"], 1)
    row["beneficiaries"] = int(row["beneficiaries"])
    row["completion_rate"] = completion_rate(row["done"], row["due"])
    row["on_time_rate"] = on_time_rate(row["on_time"], row["due"])
    row["first_time_rate"] = first_time_rate(row["first_time"], row["done"])
    row["good_rate"] = rate(row["good"], row["ratings"])
    row["satisfied_rate"] = rate(row["satisfied"], row["ratings"])
    row["satisfaction_part"] = satisfaction_part(row["good"], row["basic"], row["ratings"],
                                                 values)
    row["response_part"] = rate(row.get(response[0], 0), row.get(response[1], 0))
    row["resolve_part"] = resolve_part(row["on_time"], row["due"], row["urged_late"])
    row["score"] = (composite_score(row["response_part"], row["resolve_part"],
                                    row["satisfaction_part"], values) if row["due"] else None)
    return row


@dataclass
class Table:
    """One evaluation table: the ranked units (best 综合得分 first, `rank` from 1) and the
    units with no order due (无考核数据), by name."""

    kind: str
    period: Period
    ranked: list[dict]
    no_data: list[dict]

    @property
    def rows(self) -> list[dict]:
        return self.ranked + self.no_data


def _rank(kind: str, period: Period, rows: list[dict]) -> Table:
    scored = [r for r in rows if r["due"]]
    scored.sort(key=lambda r: (-(r["score"] or 0), -(r["on_time_rate"] or 0), r["name"]))
    for i, row in enumerate(scored, start=1):
        row["rank"] = i
    rest = sorted((r for r in rows if not r["due"]), key=lambda r: r["name"])
    for row in rest:
        row["rank"] = None
    return Table(kind, period, scored, rest)


def _context(session: Session, actor: Actor, period: Period, now: datetime | None) -> Context:
    ensure_allowed(actor, Action.VIEW_EVALUATION)
    return Context(session, actor, period, settings_service.current(session), now or utcnow(),
                   dialect_of(session))


def teams(session: Session, *, actor: Actor, period: Period,
          now: datetime | None = None, brief: bool = False) -> Table:
    """志愿服务队: dispatched, accepted, declined, 接单率, median hours to accept, share accepted
    within the limit, 办结率, 按时办结率, 一次办结率, 好评率, 满意率, beneficiaries, hours,
    volunteers who served, 综合得分 (响应 = accepted within the limit). `brief` leaves out
    (None) the two figures that need every row instead of a sum — the volunteers who served
    (each service record of the period) and the median hours to accept (each acceptance) —
    which neither the year's recognition list nor the line shows."""
    ctx = _context(session, actor, period, now)
    key = F.team_id
    data = _merge(team_events(ctx), acceptance(ctx, key, with_median=not brief),
                  resolution(ctx, key), rating_counts(ctx, key),
                  service(ctx, key, volunteers=not brief))
    listed = session.exec(select(Team.id, Team.name, Site.name, Team.active)
                          .join(Site, Site.id == Team.site_id)
                          .where(Team.site_id.in_(scope.sites_under(actor.site_path)))).all()
    rows = []
    for team_id, name, site, active in listed:
        if not active and team_id not in data:
            continue
        row = {"key": team_id, "name": name, "site": site, "dispatched": 0, "declined": 0,
               "accept_median_hours": None, **data.get(team_id, {})}
        _finish(row, ctx.values, ("accepted_in_limit", "accepted"))
        row["answered"] = row["accepted"] + row["declined"]
        row["accept_rate"] = rate(row["accepted"], row["answered"])
        row["accept_in_limit_rate"] = row["response_part"]
        row["accept_median_hours"] = half_up(row["accept_median_hours"], 1)
        if brief:
            row["volunteers"] = None
        rows.append(row)
    return _rank("team", period, rows)


def _placed(ctx: Context, key) -> dict:
    """Per unit, orders placed (submitted) in the period, whatever became of them."""
    if key.key == "site_id":
        return _rollup(ctx, key, ("placed",))
    return _grouped(ctx.session, select(key.label("k")).where(*ctx.facts,
                                                              ctx.within(F.submitted_at)),
                    {"placed": func.count()})


def _surveys(ctx: Context) -> dict:
    inner = (select(Survey.officer_id.label("k"), Survey.id.label("sid"),
                    (cast(Survey.site_id, String) + "/" + Survey.respondent).label("hh"),
                    Survey.people_covered.label("p")).select_from(Survey)
             .where(Survey.site_id.in_(scope.sites_under(ctx.actor.site_path)),
                    Survey.surveyed_on >= ctx.period.start,
                    Survey.surveyed_on <= ctx.period.end))
    out = _grouped(ctx.session, inner, {"surveys": func.count(),
                                        "households": lambda c: func.count(distinct(c.hh)),
                                        "people": lambda c: func.sum(c.p)})
    turned = and_(Need.status == NeedStatus.ordered, WorkOrder.status != S.cancelled)
    needs = (select(Survey.officer_id.label("k"), flag(turned).label("t")).select_from(Need)
             .join(Survey, Survey.id == Need.survey_id)
             .join(WorkOrder, WorkOrder.id == Need.order_id, isouter=True)
             .where(Survey.site_id.in_(scope.sites_under(ctx.actor.site_path)),
                    Survey.surveyed_on >= ctx.period.start,
                    Survey.surveyed_on <= ctx.period.end))
    return _merge(out, _grouped(ctx.session, needs, {"needs": func.count(),
                                                     "needs_ordered": lambda c: func.sum(c.t)}))


def _follow_ups(ctx: Context, key) -> dict:
    """Per unit, the 回访 of its orders counted in the period (follow_ups.rates, grouped)."""
    judged = or_(FollowUp.done_at.is_not(None), FollowUp.due_at < ctx.now)
    counted = follow_ups.counted_at()
    rows = (select(key.label("k"), FollowUp.done_at.label("d"),
                   flag(FollowUp.done_at <= FollowUp.due_at).label("ok"))
            .select_from(FollowUp).join(WorkOrder, WorkOrder.id == FollowUp.order_id)
            # due_at >= lo follows from counted >= lo (counted is never after due_at): a bound
            # the due_at index can serve, where the CASE alone made SQLite read every order.
            .where(*ctx.mine, FollowUp.due_at >= ctx.lo, counted >= ctx.lo, counted < ctx.hi,
                   judged))
    out = _grouped(ctx.session, rows, {"follow_ups_due": func.count(),
                                       "follow_ups_done": lambda c: func.count(c.d),
                                       "follow_ups_on_time": lambda c: func.sum(c.ok)})
    _needed, late_after = sla.follow_up_windows(ctx.values)
    virtual = (select(key.label("k")).select_from(WorkOrder).where(
        *follow_ups.unrated_open(ctx.session, ctx.actor, ctx.now, ctx.values, "overdue"),
        WorkOrder.completed_at >= ctx.lo - late_after,
        WorkOrder.completed_at < ctx.hi - late_after))
    for k, row in _grouped(ctx.session, virtual, {"n": func.count()}).items():
        out.setdefault(k, {"follow_ups_due": 0, "follow_ups_done": 0, "follow_ups_on_time": 0})
        out[k]["follow_ups_due"] += row["n"]
    return out


def contact_coverage(paired: int, visited: int) -> float | None:
    """户联系覆盖率 of an officer: households visited ÷ households paired in the period, over the
    户联系 pairs of the households of the officer's site and the sites below it (the 站's coverage,
    services/contacts.py:coverage: a pair is visited when its member visited its household in
    the period). Shown beside the officer's figures; not part of 综合得分."""
    return rate(visited, paired)


def _contact_coverage(ctx: Context) -> dict:
    """Per officer: 户联系 pairs and visited pairs of their sites, the coverage, and the visits
    they recorded themselves in the period. Two GROUP BYs, summed per officer over site paths."""
    start, end, path = ctx.period.start, ctx.period.end, ctx.actor.site_path
    per_site = contacts.site_counts(ctx.session, site_path=path, start=start, end=end)
    recorded = contacts.visits_recorded(ctx.session, site_path=path, start=start, end=end)
    officers = ctx.session.exec(select(User.id, Site.path).join(Site, Site.id == User.site_id)
                                .where(User.role == Role.officer,
                                       Site.path.startswith(path))).all()
    out = {}
    for uid, own in officers:
        paired = sum(p for site, (p, _v) in per_site.items() if site.startswith(own))
        visited = sum(v for site, (_p, v) in per_site.items() if site.startswith(own))
        out[uid] = {"contact_paired": paired, "contact_visited": visited,
                    "contact_coverage": contact_coverage(paired, visited),
                    "contact_visits": recorded.get(uid, 0)}
    return out


def _people(session: Session, actor: Actor, role: Role, data: dict) -> list[tuple]:
    return [(uid, name, site) for uid, name, site, active in session.exec(
        select(User.id, User.display_name, Site.name, User.active)
        .join(Site, Site.id == User.site_id)
        .where(User.role == role, User.site_id.in_(scope.sites_under(actor.site_path)))
        .order_by(User.display_name)).all() if active or uid in data]


def officers(session: Session, *, actor: Actor, period: Period,
             now: datetime | None = None) -> Table:
    """文明实践员: visits (surveys) recorded, households and people covered, needs recorded and
    the share turned into orders, orders placed, 回访 due / done / on time (of the orders they
    placed), and 办结率 / 按时办结率 / 满意率 of those orders; 响应 = 按时回访率; and the 户联系
    coverage of their sites (`contact_coverage`) with the visits they recorded."""
    ctx = _context(session, actor, period, now)
    key = F.created_by_id
    data = _merge(_surveys(ctx), _placed(ctx, key), _follow_ups(ctx, WorkOrder.created_by_id),
                  resolution(ctx, key), rating_counts(ctx, key))
    contact = _contact_coverage(ctx)
    rows = []
    for uid, name, site in _people(session, actor, Role.officer, data):
        row = {"key": uid, "name": name, "site": site, "surveys": 0, "households": 0,
               "people": 0, "needs": 0, "needs_ordered": 0, "placed": 0,
               "follow_ups_due": 0, "follow_ups_done": 0, "follow_ups_on_time": 0,
               **data.get(uid, {}), **contact.get(uid, {})}
        row["people"] = int(row["people"])
        _finish(row, ctx.values, ("follow_ups_on_time", "follow_ups_due"))
        row.update(NOT_COUNTED)
        row["needs_ordered_rate"] = rate(row["needs_ordered"], row["needs"])
        row["follow_up_rate"] = rate(row["follow_ups_done"], row["follow_ups_due"])
        row["follow_up_on_time_rate"] = row["response_part"]
        rows.append(row)
    return _rank("officer", period, rows)


def _dispatches(ctx: Context) -> dict:
    """Per manager, dispatch events in the period: all of them; first dispatches (from each
    order's facts: when, by whom, hours from 点单) and within `dispatch_days`; re-dispatches —
    only a 退单 sends an order back to be dispatched again, so every dispatch after an order's
    first is one — the difference; and cancellations."""
    events = select(OrderEvent.actor_id.label("k"))
    if ctx.facts:  # the reach needs the order's site; the whole county does not
        events = events.join(F, F.order_id == OrderEvent.order_id)
    out = _grouped(ctx.session, events.where(*ctx.facts, ctx.within(OrderEvent.at),
                                             OrderEvent.action == OrderAction.dispatch.value),
                   {"dispatched": func.count()})
    limit = ctx.values["dispatch_days"] * 24
    first = (select(F.first_dispatcher_id.label("k"), F.dispatch_hours.label("h"))
             .where(*ctx.facts, ctx.within(F.first_dispatched_at)))
    for k, hours in _hours_of(ctx, first).items():
        row = out.setdefault(k, {"dispatched": 0})
        row.update(first_dispatched=len(hours), dispatched_in_limit=bisect_right(hours, limit),
                   dispatch_median_hours=_middle(hours))
    for row in out.values():
        row.setdefault("first_dispatched", 0)
        row.setdefault("dispatched_in_limit", 0)
        row["redispatched"] = row["dispatched"] - row["first_dispatched"]
    cancels = select(OrderEvent.actor_id, OrderEvent.note, func.count())
    if ctx.facts:  # the reach needs the order's site; the whole county does not
        cancels = cancels.join(F, F.order_id == OrderEvent.order_id)
    cancels = (cancels.where(*ctx.facts, ctx.within(OrderEvent.at),
                             OrderEvent.action == OrderAction.cancel.value)
               .group_by(OrderEvent.actor_id, OrderEvent.note)
               .order_by(OrderEvent.actor_id, func.count().desc(), OrderEvent.note))
    for k, note, n in ctx.session.exec(cancels).all():
        row = out.setdefault(k, {})
        row["cancelled"] = row.get("cancelled", 0) + n
        row.setdefault("cancel_reasons", []).append((note, n))
    return out


def managers(session: Session, *, actor: Actor, period: Period,
             now: datetime | None = None) -> Table:
    """中心管理员: orders dispatched, median hours from 点单 to 派单 (first dispatches), share
    dispatched within `dispatch_days`, re-dispatches after a decline, cancellations with their
    reasons, and 办结率 / 按时办结率 / 满意率 of the orders they dispatched last; 响应 = share
    dispatched within the limit."""
    ctx = _context(session, actor, period, now)
    key = F.dispatcher_id
    data = _merge(_dispatches(ctx), resolution(ctx, key), rating_counts(ctx, key))
    rows = []
    for uid, name, site in _people(session, actor, Role.manager, data):
        row = {"key": uid, "name": name, "site": site, "dispatched": 0, "redispatched": 0,
               "first_dispatched": 0, "dispatched_in_limit": 0, "dispatch_median_hours": None,
               "cancelled": 0, "cancel_reasons": [], **data.get(uid, {})}
        _finish(row, ctx.values, ("dispatched_in_limit", "first_dispatched"))
        row.update(NOT_COUNTED)
        row["dispatch_in_limit_rate"] = row["response_part"]
        row["dispatch_median_hours"] = half_up(row["dispatch_median_hours"], 1)
        rows.append(row)
    return _rank("manager", period, rows)


def _idle_months(ctx: Context) -> tuple[dict, int]:
    """Per site, which months of the period (by index) had a completed service; and how many
    months the period has."""
    months = months_of(ctx.period, ctx.values["eval_period_start_day"])
    # From the rollup's rows of orders done: each month of the period is its own whole
    # calendar months and day rows (a 考核周期 from the 19th is all day rows), so every row
    # read falls in exactly one of them, the one whose dates hold its first day. With months
    # from the 1st, the period's own rows are the same rows, read as one range (twelve ranges
    # joined by OR cost SQLite four times as much).
    starts = [m.start for m in months]
    read = (rollups.in_period(R, ctx.period.start, ctx.period.end)
            if ctx.values["eval_period_start_day"] == 1 else
            or_(*[rollups.in_period(R, m.start, m.end) for m in months]))
    rows = ctx.session.exec(select(R.site_id, R.period)
                            .where(read, R.done > 0,
                                   *scope.rows_of(ctx.session, ctx.actor, R.site_id, R.team_id))
                            .group_by(R.site_id, R.grain, R.period)).all()
    active: dict = {}
    for site_id, key in rows:
        first = date.fromisoformat(key if len(key) == 10 else f"{key}-01")
        active.setdefault(site_id, set()).add(bisect_right(starts, first) - 1)
    return active, len(months)


def sites(session: Session, *, actor: Actor, period: Period, level: SiteLevel | None = None,
          now: datetime | None = None) -> Table:
    """站点 (所 or 站, one level at a time; default the level below the actor's site): each with
    its own and its sub-sites' orders — placed, done (completed in the period), beneficiaries,
    hours, 满意率, 办结率, and the months of the period with no completed service at all;
    响应 = accepted within the limit."""
    ctx = _context(session, actor, period, now)
    key = F.site_id
    per_site = _merge(_placed(ctx, key), acceptance(ctx, key, with_median=False),
                      resolution(ctx, key), rating_counts(ctx, key),
                      service(ctx, key, volunteers=False))
    active, n_months = _idle_months(ctx)
    tree = session.exec(select(Site.id, Site.name, Site.level, Site.path)
                        .where(Site.path.startswith(actor.site_path))).all()
    own_level = next((lv for sid, _n, lv, _p in tree if sid == actor.site_id), SiteLevel.point)
    level = SiteLevel(level) if level else LEVEL_BELOW[own_level]
    summed = ("placed", "accepted", "accepted_in_limit", *COUNTS)
    rows = []
    for site_id, name, site_level, path in tree:
        if site_level != level:
            continue
        row = {"key": site_id, "name": name, "placed": 0, "level": site_level.value}
        months: set = set()
        for other, _n, _lv, other_path in tree:
            if other_path.startswith(path):
                for column, value in per_site.get(other, {}).items():
                    if column in summed:
                        row[column] = row.get(column, 0) + value
                months |= active.get(other, set())
        _finish(row, ctx.values, ("accepted_in_limit", "accepted"))
        row["volunteers"] = None  # distinct volunteers do not add up across sites
        row["idle_months"] = n_months - len(months)
        row["months"] = n_months
        rows.append(row)
    return _rank("site", period, rows)


def site_levels(session: Session, *, actor: Actor) -> list[str]:
    """The site levels below (or at) the actor's site that have sites: what the 站点 table can
    show."""
    ensure_allowed(actor, Action.VIEW_EVALUATION)
    found = set(session.exec(select(Site.level).where(
        Site.path.startswith(actor.site_path), Site.id != actor.site_id).distinct()))
    order = (SiteLevel.station, SiteLevel.point)
    return [lv.value for lv in order if lv in found] or [SiteLevel.point.value]


def table(session: Session, *, actor: Actor, kind: str, period: Period,
          level: SiteLevel | None = None, now: datetime | None = None,
          line_only: bool = False) -> Table:
    """One evaluation table. `line_only`: only 按时办结率 and 满意率 (what the line reads) are
    asked — for the period before a 红榜/黑榜's, where only 连续 is asked; a team table then
    skips the figures that need every row (see teams)."""
    common = {"actor": actor, "period": period, "now": now}
    if kind == "team":
        return teams(session, brief=line_only, **common)
    if kind == "officer":
        return officers(session, **common)
    if kind == "manager":
        return managers(session, **common)
    if kind == "site":
        return sites(session, level=level, **common)
    raise ValueError(kind)


# --- 红榜 / 黑榜 and the line ----------------------------------------------------------------


def below_line(row: dict, values: dict) -> list[dict]:
    """Why a scored unit is below the line: each figure under its line, with its value."""
    reasons = []
    for figure, setting in (("satisfied_rate", "line_satisfied_percent"),
                            ("on_time_rate", "line_on_time_percent")):
        value = row.get(figure)
        if value is not None and value * 100 < values[setting]:
            reasons.append({"figure": figure, "value": value, "line": values[setting]})
    return reasons


@dataclass
class Standing:
    red: list[dict]     # 红榜: the best N by 综合得分 (at most the better half)
    black: list[dict]   # 黑榜: the worst N, worst first (never one on the 红榜)
    below: list[dict]   # under the line: the row, its reasons, and whether 连续


def standing(session: Session, *, actor: Actor, result: Table, level: SiteLevel | None = None,
             now: datetime | None = None) -> Standing:
    """红榜 / 黑榜 of a table (`roll_size` each) and the units below the line, each marked 连续
    when it was below the line in the period before too (same kind of period)."""
    values = settings_service.current(session)
    n, ranked = values["roll_size"], result.ranked
    # With fewer than 2N units ranked the two rolls share them: the better half (the middle one
    # included) on the 红榜, the rest on the 黑榜, so that no unit is on both.
    red = ranked[:min(n, (len(ranked) + 1) // 2)]
    black = ranked[len(red):][::-1][:n]
    before = table(session, actor=actor, kind=result.kind, level=level, now=now, line_only=True,
                   period=previous(result.period, values["eval_period_start_day"]))
    was_below = {r["key"] for r in before.ranked if below_line(r, values)}
    below = [{"row": r, "reasons": reasons, "running": r["key"] in was_below}
             for r in result.ranked if (reasons := below_line(r, values))]
    return Standing(red, black, below)


def repeats(session: Session, *, actor: Actor, period: Period, limit: int = 200) -> list[dict]:
    """The 重复诉求 behind 一次办结率: each done order due in the period that another order
    repeated, with the first repeating order (up to `limit`, earliest due first)."""
    ctx = _context(session, actor, period, None)
    rows = session.exec(
        select(WorkOrder.code, WorkOrder.title, WorkOrder.due_on, Team.name, Site.name,
               ServiceCategory.name)
        .select_from(WorkOrder).join(Site, Site.id == WorkOrder.site_id)
        .join(ServiceCategory, ServiceCategory.id == WorkOrder.category_id)
        .join(Team, Team.id == WorkOrder.team_id, isouter=True)
        .where(*ctx.mine, WorkOrder.due_on >= period.start, WorkOrder.due_on <= period.end,
               WorkOrder.status.in_(DONE), repeats_kept.repeated())
        .order_by(WorkOrder.due_on, WorkOrder.id).limit(limit)).all()
    return [{"code": code, "title": title, "due_on": due, "team": team or "", "site": site,
             "category": category} for code, title, due, team, site, category in rows]


def previous_period(session: Session, period: Period) -> Period:
    return previous(period, settings_service.current(session)["eval_period_start_day"])

