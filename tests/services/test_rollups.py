"""The rollups against the raw rows: random histories built through the services with an
injected clock — orders placed, dispatched, declined, accepted, done, corrected, rated, urged
and cancelled at moments around local midnight and month ends — and then every figure the
rollups and the order facts serve (绩效评价's included) is computed both ways (services vs
tests/services/raw_figures.py) and must agree, as must `rollups.check` and
`order_facts.check`. A disagreement fails."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from core import db
from models import (
    OrderFact,
    OrderRollup,
    OrderStatus,
    RatingChannel,
    Role,
    User,
    VolunteerStars,
)
from services import (
    catalog,
    completions,
    escalation,
    evaluation,
    menu,
    order_facts,
    orders,
    periods,
    ratings,
    repeats,
    reports,
    rollups,
    satisfaction,
    stars,
    teams,
    users,
)
from services import settings as settings_service
from services.clock import local_today
from services.errors import Invalid
from tests.factories import build_town
from tests.services import raw_figures as raw

S = OrderStatus
# Histories per run; for a soak: DIANDAN_ROLLUP_EXAMPLES=500 pytest tests/services/test_rollups.py
EXAMPLES = int(os.environ.get("DIANDAN_ROLLUP_EXAMPLES", "8"))
# 2026-01-31 16:00 UTC is local midnight in Shanghai, between January and February.
MIDNIGHT = datetime(2026, 1, 31, 16, 0, tzinfo=UTC)


@lru_cache(maxsize=1)
def _template() -> Path:
    path = Path(tempfile.mkdtemp(prefix="rollups-")) / "template.db"
    db.upgrade(f"sqlite:///{path}")
    return path


@dataclass
class World:
    url: str
    town: object
    items: list[int]
    boss: object


def _world(tmp: Path) -> World:
    target = tmp / "h.db"
    db.backup(f"sqlite:///{_template()}", target)  # the template is in WAL mode: never cp
    url = f"sqlite:///{target}"
    with db.write_session(url) as s:
        town = build_town(s)
        items = [catalog.create_item(s, actor=town.manager, title=title, category_id=category,
                                     description="").id
                 for title, category in (("宣讲进村", town.category), ("党史课", town.category),
                                         ("义诊", town.other_category))]
        boss = users.to_actor(s, s.exec(select(User).where(User.username == "boss")).one())
    return World(url, town, items, boss)


# One order's life: when it is placed (minutes from a local midnight, so many land either side
# of it), its category/item, and a list of (choice, minutes later) steps; each step takes the
# choice-th of the actions its state allows.
steps = st.lists(st.tuples(st.integers(0, 11), st.integers(1, 60 * 30)), max_size=7)
lives = st.lists(st.tuples(st.integers(-60 * 24 * 3, 60 * 24 * 3), st.integers(0, 3),
                           steps), min_size=1, max_size=12)


def _actions(status: OrderStatus, corrected: bool) -> list[str]:
    return {S.submitted: ["dispatch_a", "dispatch_b", "cancel", "urge"],
            S.dispatched: ["accept", "decline", "cancel", "urge"],
            S.accepted: ["complete", "cancel", "urge"],
            S.completed: ["rate", "correct"] if not corrected else ["rate"],
            S.rated: ["correct"] if not corrected else [], S.cancelled: []}[status]


def _report(town, choice: int) -> completions.Completion:
    vols = town.volunteers_a
    picked = [vols[i] for i in range(len(vols)) if (choice >> i) & 1] or [vols[choice % 3]]
    return completions.Completion(
        beneficiaries={"elderly": choice * 3, "general": choice % 4},
        hours={v: round(0.25 + (choice + i) * 0.75, 2) for i, v in enumerate(picked)})


def _live(s, w: World, start_minutes: int, kind: int, plan) -> None:
    t = w.town
    now = MIDNIGHT + timedelta(minutes=start_minutes)
    category = t.other_category if kind == 3 else t.category
    item = None if kind == 0 else w.items[kind - 1]
    order = orders.place(s, actor=t.officer, site_id=t.village_a if kind % 2 else t.village_b,
                         category_id=category, item_id=item, title="进村服务",
                         source="survey", now=now,
                         # the same resident asks again: 重复诉求 marks to keep (repeats.py)
                         requester_phone="13900000001" if kind != 3 else "",
                         due_on=local_today(now, settings_service.timezone(s))
                         + timedelta(days=kind - 1) if kind else None)
    lead, corrected, done_at = None, False, None
    for choice, minutes in plan:
        now += timedelta(minutes=minutes)
        allowed = _actions(order.status, corrected)
        if not allowed:
            break
        action = allowed[choice % len(allowed)]
        if action.startswith("dispatch"):
            team, lead = (t.team_a, t.lead_a) if action == "dispatch_a" else (t.team_b, t.lead_b)
            order = orders.dispatch(s, actor=t.manager, order_id=order.id, team_id=team, now=now)
        elif action == "accept":
            order = orders.accept(s, actor=lead, order_id=order.id, now=now)
        elif action == "decline":
            order = orders.decline(s, actor=lead, order_id=order.id, reason="人手不够", now=now)
        elif action == "urge":  # refused (and nothing written) while the order is not late
            with contextlib.suppress(Invalid):
                escalation.urge(s, actor=t.manager, order_id=order.id, note="请尽快办理", now=now)
        elif action == "cancel":
            order = orders.cancel(s, actor=t.manager, order_id=order.id, reason="居民搬走",
                                  now=now)
        elif action == "complete":
            order = completions.complete(s, actor=lead, order_id=order.id,
                                         done=_report(t, choice), now=now)
            done_at = now
        elif action == "correct":
            when = min(now, done_at + timedelta(hours=23))
            order = completions.correct(s, actor=lead, order_id=order.id,
                                        done=_report(t, choice + 5), reason="人数记错",
                                        now=when)
            corrected = True
        else:
            order = ratings.rate(s, actor=t.officer, order_id=order.id, level=choice % 5 + 1,
                                 channel=RatingChannel.call, now=now)


def _periods() -> list[tuple[date, date]]:
    jan31, feb1 = date(2026, 1, 31), date(2026, 2, 1)
    return [(jan31, jan31), (feb1, feb1), (date(2026, 1, 1), date(2026, 1, 31)),
            (date(2026, 1, 28), date(2026, 2, 3)), (date(2025, 12, 15), date(2026, 3, 10)),
            (date(2026, 2, 1), date(2026, 2, 28)), (date(2025, 1, 1), date(2026, 12, 31))]


def _compare_period(s, actor, start: date, end: date) -> None:
    tiles = reports.overview(s, actor=actor, start=start, end=end)
    tiles.pop("overdue")
    assert tiles == raw.overview(s, actor, start, end), (start, end)
    monthly = reports.orders_by_month(s, actor=actor, start=start, end=end)
    assert sorted(monthly.itertuples(index=False, name=None)) == raw.orders_by_month(
        s, actor, start, end)
    demand = reports.demand_supply(s, actor=actor, start=start, end=end)
    names = {c.id: c.name for c in catalog.categories(s)}
    assert {r.category: r.done for r in demand.itertuples() if r.done} == {
        names[c]: n for c, n in raw.done_by_category(s, actor, start, end).items()}
    assert satisfaction.summary(s, actor=actor, start=start, end=end) == (
        raw.satisfaction_summary(s, actor, start, end))
    for by in satisfaction.DIMENSIONS:
        got = satisfaction.breakdown(s, actor=actor, start=start, end=end, by=by)
        assert list(got.itertuples(index=False, name=None)) == raw.satisfaction_breakdown(
            s, actor, start, end, by), by
    for by in ("item", "team"):
        for minimum in (1, 3):
            got = satisfaction.lowest(s, actor=actor, start=start, end=end, by=by,
                                      min_ratings=minimum)
            assert list(got.itertuples(index=False, name=None)) == raw.satisfaction_lowest(
                s, actor, start, end, by, minimum), (by, minimum)


def _compare_menu(s, actor) -> None:
    expected = raw.menu_items(s, actor)
    for row in menu.review(s, actor=actor):
        want = expected.get(row["id"], {"orders": 0, "beneficiaries": 0, "ratings": 0,
                                        "average": None, "good_rate": None,
                                        "last_order_on": None})
        got = {k: row[k] for k in want}
        assert got == want, row["title"]


def _compare_teams(s, w: World) -> None:
    for offset in (0, 30, 400):
        for hour in (15, 16, 17):  # around 16:00 UTC, local midnight
            now = (MIDNIGHT + timedelta(days=offset)).replace(hour=hour, minute=30)
            for team in (w.town.team_a, w.town.team_b):
                got = teams.detail(s, actor=w.town.manager, team_id=team, now=now, days=365)
                want = raw.team_record(s, team, now - timedelta(days=365))
                assert {k: got[k] for k in want} == want, (now, team)
            for team in (w.town.team_a, w.town.team_b):
                got = teams.detail(s, actor=w.town.manager, team_id=team, now=now, days=2)
                want = raw.team_record(s, team, now - timedelta(days=2))
                assert {k: got[k] for k in want} == want, (now, team, 2)


def _compare_all(w: World) -> None:
    with db.session(w.url) as s:
        tz = settings_service.current(s)["timezone"]
        assert rollups.check(s, tz=tz) == []
        assert stars.check(s, values=settings_service.current(s)) == []  # the star moments
        assert repeats.check(s, repeat_days=settings_service.current(s)["repeat_days"]) == []
        assert order_facts.check(s, tz=tz) == []  # what 绩效评价 reads of each order
        for actor in (w.boss, w.town.manager, w.town.outsider):
            for start, end in _periods():
                _compare_period(s, actor, start, end)
                _compare_evaluation(s, actor, periods.custom(start, end))
            _compare_menu(s, actor)
        _compare_teams(s, w)


EVALUATED = ("due", "done", "on_time", "first_time", "repeats", "urged_late", "accepted",
             "accepted_in_limit", "completed", "beneficiaries", "placed", "ratings", "good",
             "satisfied", "basic", "volunteers")


def _compare_evaluation(s, actor, period) -> None:
    """绩效评价's order figures — read from the order facts and the rollups — against the
    Python oracle, for every kind of unit."""
    if actor.role not in (Role.leader, Role.manager):
        return
    ctx = evaluation._context(s, actor, period, MIDNIGHT)
    assert evaluation._idle_months(ctx)[0] == raw.active_months(s, actor, period), period
    got = {k: {c: v for c, v in row.items() if c not in ("cancelled", "cancel_reasons")}
           for k, row in evaluation._dispatches(ctx).items()}
    want = raw.evaluation_dispatches(s, actor, period)
    assert {k: {c: v for c, v in r.items() if c != "dispatch_median_hours"}
            for k, r in got.items() if r.get("dispatched")} == {
        k: {c: v for c, v in r.items() if c != "dispatch_median_hours"} for k, r in want.items()}
    for k, r in want.items():
        assert abs(got[k].get("dispatch_median_hours", -1)
                   - r.get("dispatch_median_hours", -1)) < 1e-6, (period, k)
    assert evaluation.team_events(ctx) == raw.evaluation_team_events(s, actor, period), period
    for name in raw.EVALUATION_KEYS:
        key = getattr(OrderFact, name)
        got = evaluation._merge(evaluation.resolution(ctx, key), evaluation.acceptance(ctx, key),
                                evaluation.service(ctx, key), evaluation._placed(ctx, key),
                                evaluation.rating_counts(ctx, key))
        want = raw.evaluation_orders(s, actor, period, name)
        for k in set(got) | set(want):
            g, r = got.get(k, {}), want.get(k, {})
            assert {c: g.get(c, 0) for c in EVALUATED} == {c: r.get(c, 0) for c in EVALUATED}, (
                period, name, k)
            assert abs(g.get("hours", 0) - r.get("hours", 0)) < 1e-6, (period, name, k)
            gm, rm = g.get("accept_median_hours"), r.get("accept_median_hours")
            assert (gm is None) == (rm is None) and (gm is None or abs(gm - rm) < 1e-6), (
                period, name, k)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lives=lives)
def test_every_rollup_figure_equals_the_raw_rows_on_random_histories(tmp_path_factory, lives):
    w = _world(tmp_path_factory.mktemp("h"))
    with db.write_session(w.url) as s:
        for start_minutes, kind, plan in lives:
            _live(s, w, start_minutes, kind, plan)
    _compare_all(w)


@settings(max_examples=max(2, EXAMPLES // 4), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lives=lives)
def test_a_timezone_change_recounts_the_rollups_in_the_new_zone(tmp_path_factory, lives):
    w = _world(tmp_path_factory.mktemp("z"))
    with db.write_session(w.url) as s:
        for start_minutes, kind, plan in lives[: len(lives) // 2 + 1]:
            _live(s, w, start_minutes, kind, plan)
        settings_service.update(s, actor=w.town.manager, values={"timezone": "Asia/Kolkata"})
        for start_minutes, kind, plan in lives[len(lives) // 2 + 1:]:
            _live(s, w, start_minutes, kind, plan)
    _compare_all(w)


def _history(w: World) -> None:
    with db.write_session(w.url) as s:
        _live(s, w, 5, 1, [(0, 10), (0, 60), (0, 60), (0, 30), (2, 60)])
        _live(s, w, -5, 2, [(1, 10), (0, 60), (0, 60), (0, 30), (3, 600)])


def test_check_names_a_row_that_disagrees_with_the_raw_rows(tmp_path):
    w = _world(tmp_path)
    _history(w)
    with db.write_session(w.url) as s:
        row = s.exec(select(OrderRollup).where(OrderRollup.done > 0)).first()
        row.done += 1
        s.add(row)
        s.commit()
    with db.session(w.url) as s:
        differences = rollups.check(s, tz="Asia/Shanghai")
    assert [(d.table, d.key, d.column) for d in differences] == [
        ("order", (row.grain, row.period, row.site_id, row.team_id, row.category_id), "done")]
    assert differences[0].stored == differences[0].raw + 1


def test_rebuild_puts_back_what_the_raw_rows_say_in_one_transaction(tmp_path):
    w = _world(tmp_path)
    _history(w)
    with db.session(w.url) as s:
        before = reports.overview(s, actor=w.boss, start=date(2026, 1, 1),
                                  end=date(2026, 2, 28))
    with db.write_session(w.url) as s:
        s.exec(OrderRollup.__table__.delete())
        s.commit()
        assert reports.overview(s, actor=w.boss, start=date(2026, 1, 1),
                                end=date(2026, 2, 28))["placed"] == 0
        written = rollups.rebuild(s, tz="Asia/Shanghai")
        with db.session(w.url) as reader:  # another connection: nothing new until the commit
            assert reader.exec(select(OrderRollup)).first() is None
        s.commit()
        assert written["order"] > 0
    with db.session(w.url) as s:
        assert rollups.check(s, tz="Asia/Shanghai") == []
        assert reports.overview(s, actor=w.boss, start=date(2026, 1, 1),
                                end=date(2026, 2, 28)) == before


def test_the_operator_command_checks_and_rebuilds_the_rollups(tmp_path, monkeypatch, capsys):
    from diandan.__main__ import main

    w = _world(tmp_path)
    _history(w)
    monkeypatch.setenv("DIANDAN_DATABASE_URL", w.url)
    assert main(["rollups", "check"]) == 0
    assert capsys.readouterr().out.endswith("0 differences\n")
    with db.write_session(w.url) as s:
        row = s.exec(select(OrderRollup).where(OrderRollup.done > 0)).first()
        row.done += 1
        s.add(row)
        s.commit()
    assert main(["rollups", "check"]) == 1
    assert "1 differences" in capsys.readouterr().out
    assert main(["rollups", "rebuild"]) == 0
    assert "rebuilt in" in capsys.readouterr().out
    assert main(["rollups", "check"]) == 0
    with db.write_session(w.url) as s:  # a star moment that disagrees is found and rebuilt
        settings_service.update(s, actor=w.town.manager, values={"star_1_hours": 1})
        row = s.exec(select(VolunteerStars).where(VolunteerStars.star_1_at.is_not(None))).first()
        row.star_1_at = None
        s.add(row)
        s.commit()
    capsys.readouterr()
    assert main(["rollups", "check"]) == 1
    assert f"stars ({row.volunteer_id},) star_1_at" in capsys.readouterr().out
    assert main(["rollups", "rebuild"]) == 0
    assert main(["rollups", "check"]) == 0
    with db.write_session(w.url) as s:  # so is an order's fact for 绩效评价
        fact = s.exec(select(OrderFact).where(OrderFact.done == 1)).first()
        fact.done = 0
        s.add(fact)
        s.commit()
    capsys.readouterr()
    assert main(["rollups", "check"]) == 1
    assert f"orderfact ({fact.order_id},) done: kept 0, definition 1" in capsys.readouterr().out
    assert main(["rollups", "rebuild"]) == 0
    assert "orderfact" in capsys.readouterr().out
    assert main(["rollups", "check"]) == 0


def test_a_rolled_back_change_leaves_the_rollups_as_they_were(tmp_path):
    w = _world(tmp_path)
    _history(w)
    with db.write_session(w.url) as s:
        order_id = orders.place(s, actor=w.town.officer, site_id=w.town.village_a,
                                category_id=w.town.category, title="进村", source="survey",
                                now=MIDNIGHT).id
        orders.dispatch(s, actor=w.town.manager, order_id=order_id, team_id=w.town.team_a,
                        now=MIDNIGHT)
        order = orders.load(s, order_id)
        orders.transition(s, order, actor=w.town.lead_a, action="accept", now=MIDNIGHT,
                          values={"accepted_at": MIDNIGHT})
        s.rollback()
    with db.session(w.url) as s:
        assert rollups.check(s, tz="Asia/Shanghai") == []
        assert s.get(orders.WorkOrder, order_id).status == S.dispatched


@pytest.mark.parametrize(("start", "end", "expected"), [
    (date(2026, 1, 1), date(2026, 1, 31), {("m", "2026-01", "2026-01")}),
    (date(2026, 1, 5), date(2026, 1, 20), {("d", "2026-01-05", "2026-01-20")}),
    (date(2026, 1, 5), date(2026, 3, 2), {("d", "2026-01-05", "2026-01-31"),
                                          ("m", "2026-02", "2026-02"),
                                          ("d", "2026-03-01", "2026-03-02")}),
    (date(2025, 12, 31), date(2026, 2, 1), {("d", "2025-12-31", "2025-12-31"),
                                            ("m", "2026-01", "2026-01"),
                                            ("d", "2026-02-01", "2026-02-01")}),
])
def test_a_period_reads_whole_months_by_month_and_its_ends_by_day(start, end, expected):
    rows = [(g, p) for g in "dm" for p in (
        [(date(2025, 12, 1) + timedelta(days=i)).isoformat() for i in range(130)] if g == "d"
        else ["2025-12", "2026-01", "2026-02", "2026-03"])]
    condition = rollups.in_period(OrderRollup, start, end)
    with db.session("sqlite://") as s:
        conn = s.connection()
        conn.exec_driver_sql("CREATE TABLE orderrollup (grain TEXT, period TEXT)")
        conn.exec_driver_sql("INSERT INTO orderrollup VALUES " + ",".join(
            f"('{g}', '{p}')" for g, p in rows))
        got = conn.execute(select(OrderRollup.grain, OrderRollup.period).where(condition)).all()
    want = {(g, p) for g, p in rows for eg, lo, hi in expected if g == eg and lo <= p <= hi}
    assert set(got) == want and len(got) == len(want)


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1),
                           timezones=st.just(UTC)),
       tz=st.sampled_from(["Asia/Shanghai", "Asia/Kolkata", "Asia/Kathmandu",
                           "America/New_York", "Australia/Lord_Howe", "Europe/London"]))
def test_the_local_day_of_a_moment_is_the_zone_s_calendar_day(moment, tz):
    from zoneinfo import ZoneInfo

    assert rollups.local_day(moment, tz) == moment.astimezone(ZoneInfo(tz)).date()
