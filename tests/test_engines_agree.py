"""The demo town on SQLite and on PostgreSQL: every report a leader, manager, officer or team
lead reads gives the same answer on both engines — 0 differences (issue 12).

The town is built twice by the seed, with the same random seed and the same last day, through
the services; then every read function behind a page is called on both, for every account of the
town, over the whole history and over one month, with one fixed clock. Runs where the tests have a
PostgreSQL (tests/engines.py); CI runs it there (.ci/run).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

import pandas as pd
import pytest
from sqlmodel import select

from core import db
from models import Role, Site, Team, User, WorkOrder
from seed import town
from services import (
    dispatch,
    follow_ups,
    menu,
    needs,
    order_queries,
    reports,
    satisfaction,
    surveys,
    teams,
    users,
    volunteers,
)
from services.errors import DomainError
from tests import engines

pytestmark = pytest.mark.skipif(
    not engines.on_postgres(),
    reason="compares SQLite with PostgreSQL: set DIANDAN_TEST_DATABASE_URL")

TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)   # 10:00 in Beijing, the morning after the history
SCALE = 0.25       # ~600 orders over two years, every status: the whole seed takes ~90 s
PERIODS = {"all": (date(2024, 6, 1), TODAY), "may": (date(2026, 5, 1), date(2026, 5, 31))}


@pytest.fixture(scope="module")
def towns(tmp_path_factory):
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('agree') / 'demo.db'}"
    pg_url = engines.fresh_database("agree_demo")
    for url in (sqlite_url, pg_url):
        db.upgrade(url)
        town.build(url, seed=2026, today=TODAY, scale=SCALE)
    yield sqlite_url, pg_url
    db.engine(pg_url).dispose()


def _container(value):
    if isinstance(value, pd.DataFrame):
        return value.to_dict("records")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):  # a table row
        return value.model_dump()
    return value


def _scalar(value):
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "item") and not isinstance(value, str):  # a numpy scalar
        value = value.item()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _plain(value):
    """A report's answer as plain data: frames as records, floats to 9 places, times in UTC."""
    value = _container(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return _scalar(value)


def _calls(s, actor) -> dict[str, object]:
    """Every read behind a page, by name, for one account."""
    out: dict[str, object] = {
        "menu.review": lambda: menu.review(s, actor=actor, now=NOW),
        "menu.unserved": lambda: menu.unserved(s, actor=actor),
        "dispatch.team_records": lambda: dispatch.team_records(s, actor=actor, now=NOW),
        "order_queries.waiting_count": lambda: order_queries.waiting_count(s, actor=actor),
        "needs.heat": lambda: needs.heat(s, actor=actor),
        "needs.page": lambda: needs.page(s, actor=actor, limit=500),
        "needs.page.all_states": lambda: needs.page(
            s, actor=actor, flt=needs.NeedFilter(states=()), limit=500),
        "surveys.page": lambda: surveys.page(s, actor=actor, limit=500),
        "surveys.officers": lambda: surveys.officers(s, actor=actor),
        "teams.overview": lambda: teams.overview(s, actor=actor),
        "volunteers.page": lambda: volunteers.page(s, actor=actor, limit=500),
        "users.page": lambda: users.page(s, actor=actor, limit=500),
    }
    for sort in order_queries.SORTS:
        out[f"order_queries.page.{sort}"] = lambda sort=sort: order_queries.page(
            s, actor=actor, sort=sort, limit=1000, now=NOW)
    out["order_queries.page.overdue"] = lambda: order_queries.page(
        s, actor=actor, flt=order_queries.OrderFilter(overdue_only=True), limit=1000, now=NOW)
    for state in follow_ups.STATES:
        out[f"follow_ups.page.{state}"] = lambda state=state: follow_ups.page(
            s, actor=actor, state=state, limit=1000, now=NOW)
    for name, (start, end) in PERIODS.items():
        span = {"actor": actor, "start": start, "end": end}
        out[f"reports.overview.{name}"] = lambda span=span: reports.overview(s, now=NOW, **span)
        out[f"reports.orders_by_month.{name}"] = lambda span=span: reports.orders_by_month(
            s, **span)
        out[f"reports.demand_supply.{name}"] = lambda span=span: reports.demand_supply(s, **span)
        out[f"satisfaction.summary.{name}"] = lambda span=span: satisfaction.summary(s, **span)
        for by in satisfaction.DIMENSIONS:
            out[f"satisfaction.breakdown.{by}.{name}"] = (
                lambda span=span, by=by: satisfaction.breakdown(s, by=by, **span))
        for by in ("item", "team"):
            out[f"satisfaction.lowest.{by}.{name}"] = (
                lambda span=span, by=by: satisfaction.lowest(s, by=by, **span))
        out[f"satisfaction.comments.{name}"] = lambda span=span: satisfaction.comments(
            s, max_level=5, limit=1000, **span)
        out[f"follow_ups.rates.{name}"] = lambda span=span: follow_ups.rates(s, now=NOW, **span)
    return out


def _per_team(s, actor) -> dict[str, object]:
    ids = s.exec(select(Team.id).order_by(Team.id)).all()
    return {f"teams.detail.{i}": (lambda i=i: teams.detail(s, actor=actor, team_id=i, now=NOW))
            for i in ids}


def _per_order(s, actor) -> dict[str, object]:
    # Every 10th order in full (its detail and its history), so a drift in any column shows.
    ids = s.exec(select(WorkOrder.id).order_by(WorkOrder.id)).all()[::10]
    out = {}
    for i in ids:
        out[f"order_queries.detail.{i}"] = (
            lambda i=i: order_queries.detail(s, actor=actor, order_id=i, now=NOW))
        out[f"order_queries.history.{i}"] = lambda i=i: order_queries.history(s, order_id=i)
    return out


def _answer(call):
    try:
        return _plain(call())
    except DomainError as err:  # refused for this role: both engines must refuse alike
        return {"refused": type(err).__name__, "key": err.key}


def _everything(url: str) -> dict[str, object]:
    answers = {}
    with db.session(url) as s:
        accounts = s.exec(select(User).where(User.active).order_by(User.username)).all()
        for user in accounts:
            actor = users.to_actor(s, user)
            calls = _calls(s, actor)
            if user.role in (Role.manager, Role.leader):
                calls |= _per_team(s, actor)
            if user.role == Role.manager:
                calls |= _per_order(s, actor)
            for name, call in calls.items():
                answers[f"{user.username}:{name}"] = _answer(call)
    return answers


def _first_difference(a, b, path="") -> str:
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} rows != {len(b)} rows"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r} != {b!r}"


def test_the_demo_town_is_the_same_town_on_both_engines(towns):
    rows = []
    for url in towns:
        with db.session(url) as s:
            rows.append((
                s.exec(select(Site.id, Site.name, Site.path).order_by(Site.id)).all(),
                [(o.id, o.code, o.status.value, o.team_id, o.submitted_at, o.completed_at)
                 for o in s.exec(select(WorkOrder).order_by(WorkOrder.id))],
            ))
    assert rows[0] == rows[1]
    assert len(rows[0][1]) > 100


def test_every_report_gives_the_same_answer_on_sqlite_and_postgresql(towns):
    on_sqlite, on_postgres = (_everything(url) for url in towns)
    assert set(on_sqlite) == set(on_postgres)
    differ = {name: _first_difference(on_sqlite[name], on_postgres[name])
              for name in on_sqlite if on_sqlite[name] != on_postgres[name]}
    assert differ == {}, f"{len(differ)} of {len(on_sqlite)} answers differ"
    # Not a comparison of empty answers: the manager's month and lists are full.
    assert on_sqlite["manager:reports.overview.may"]["placed"] > 0
    assert len(on_sqlite["manager:order_queries.page.newest"][0]) > 100
    assert sum(1 for v in on_sqlite.values() if not (isinstance(v, dict) and "refused" in v)) > 200

