"""绩效评价: every figure of the four tables from orders with known timestamps, made through the
services with an injected clock, counted in Beijing time (UTC+8).

Times below are UTC; 15:30 UTC on 31 March is 23:30 on 31 March in Beijing, 16:30 UTC is 00:30
on 1 April.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from models import Need, NeedPriority, OrderSource, SiteLevel
from services import (
    completions,
    escalation,
    evaluation,
    follow_ups,
    needs,
    orders,
    periods,
    ratings,
    surveys,
)
from services import settings as settings_service
from services.errors import Forbidden
from tests.factories import place

H = timedelta(hours=1)
DAY = timedelta(days=1)
MARCH = periods.month(2026, 3)
APRIL = periods.month(2026, 4)
PLACED = datetime(2026, 2, 20, 2, tzinfo=UTC)
NOW = datetime(2026, 5, 1, 2, tzinfo=UTC)
VALUES = {"score_weight_response": 10, "score_weight_resolve": 50,
          "score_weight_satisfaction": 40, "score_credit_good": 1.0, "score_credit_basic": 0.9}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def report(town, hours: float = 2, people: int = 5) -> completions.Completion:
    return completions.Completion(beneficiaries={"general": people},
                                  hours={town.volunteers_a[0]: hours})


def flow(session, town, *, due_on: date, placed: datetime = PLACED, dispatch_at=None,
         accept_at=None, done_at=None, cancel_at=None, decline_at=None, team: str = "a",
         **place_args):
    """An order placed at `placed`, dispatched an hour later (or at `dispatch_at`), and taken as
    far as the times given go; a decline first sends it back and it is dispatched again an hour
    later."""
    lead, team_id = ((town.lead_a, town.team_a) if team == "a" else (town.lead_b, town.team_b))
    order = place(session, town, now=placed, due_on=due_on, **place_args)
    at = dispatch_at or placed + H
    if decline_at is not None:
        orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=team_id, now=at)
        orders.decline(session, actor=lead, order_id=order.id, reason="人手不足", now=decline_at)
        at = decline_at + H
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=team_id, now=at)
    if accept_at is None and done_at is None and cancel_at is None:
        return order
    orders.accept(session, actor=lead, order_id=order.id, now=accept_at or at + H)
    if done_at is not None:
        completions.complete(session, actor=lead, order_id=order.id, done=report(town),
                             now=done_at)
    elif cancel_at is not None:
        orders.cancel(session, actor=town.manager, order_id=order.id, reason="居民搬走",
                      now=cancel_at)
    return order


def row_of(result: evaluation.Table, key: int) -> dict:
    return next(r for r in result.rows if r["key"] == key)


def team_a(session, town, period=MARCH) -> dict:
    return row_of(evaluation.teams(session, actor=town.leader, period=period, now=NOW),
                  town.team_a)


# --- 办结率 and 按时办结率: which orders are due, which are done on time ----------------------


@pytest.mark.parametrize("due_on, fate, expected", [
    # due in March, done the day before: due, done, on time
    (date(2026, 3, 10), {"done_at": utc(2026, 3, 9, 2)}, (1, 1, 1)),
    # done at 23:30 Beijing on the due day: on time
    (date(2026, 3, 31), {"done_at": utc(2026, 3, 31, 15, 30)}, (1, 1, 1)),
    # done at 00:30 Beijing the day after: done, late
    (date(2026, 3, 31), {"done_at": utc(2026, 3, 31, 16, 30)}, (1, 1, 0)),
    # still being worked on: due, not done
    (date(2026, 3, 20), {"accept_at": utc(2026, 3, 1, 2)}, (1, 0, 0)),
    # cancelled after it was due: left out of both
    (date(2026, 3, 15), {"cancel_at": utc(2026, 3, 20, 2)}, (0, 0, 0)),
    # cancelled before it was due: left out too
    (date(2026, 3, 15), {"cancel_at": utc(2026, 3, 1, 2)}, (0, 0, 0)),
    # due on 1 April (Beijing), done in March: April's, not March's
    (date(2026, 4, 1), {"done_at": utc(2026, 3, 30, 2)}, (0, 0, 0)),
    # due in February: not March's
    (date(2026, 2, 28), {"done_at": utc(2026, 2, 27, 2)}, (0, 0, 0)),
])
def test_orders_due_in_the_period_and_done_on_time(session, town, due_on, fate, expected):
    flow(session, town, due_on=due_on, **fate)
    row = team_a(session, town)
    assert (row["due"], row["done"], row["on_time"]) == expected
    due, done, on_time = expected
    assert row["completion_rate"] == (done / due if due else None)
    assert row["on_time_rate"] == (on_time / due if due else None)


def test_rates_over_several_orders_and_a_unit_with_nothing_due(session, town):
    flow(session, town, due_on=date(2026, 3, 10), done_at=utc(2026, 3, 9, 2))
    flow(session, town, due_on=date(2026, 3, 31), done_at=utc(2026, 3, 31, 16, 30))
    flow(session, town, due_on=date(2026, 3, 20), accept_at=utc(2026, 3, 1, 2))
    flow(session, town, due_on=date(2026, 3, 15), cancel_at=utc(2026, 3, 20, 2))
    result = evaluation.teams(session, actor=town.leader, period=MARCH, now=NOW)
    row = row_of(result, town.team_a)
    assert (row["due"], row["done"], row["on_time"]) == (3, 2, 1)
    assert (row["completion_rate"], row["on_time_rate"]) == (2 / 3, 1 / 3)
    assert [r["key"] for r in result.ranked] == [town.team_a]
    # team B and the 总队 had nothing due: 无考核数据, listed apart, never scored or ranked
    assert town.team_b in {r["key"] for r in result.no_data}
    assert all(r["score"] is None and r["rank"] is None for r in result.no_data)


# --- the month boundary for what happened in the period -----------------------------------


def test_completions_and_ratings_fall_in_the_beijing_month(session, town):
    march = flow(session, town, due_on=date(2026, 4, 5), done_at=utc(2026, 3, 31, 15, 30))
    april = flow(session, town, due_on=date(2026, 4, 5), done_at=utc(2026, 3, 31, 16, 30))
    ratings.rate(session, actor=town.officer, order_id=march.id, level=5,
                 now=utc(2026, 3, 31, 15, 45))                      # 23:45 on 31 March
    ratings.rate(session, actor=town.officer, order_id=april.id, level=3,
                 now=utc(2026, 3, 31, 16, 45))                      # 00:45 on 1 April
    m, a = team_a(session, town, MARCH), team_a(session, town, APRIL)
    assert (m["completed"], m["beneficiaries"], m["hours"], m["volunteers"]) == (1, 5, 2.0, 1)
    assert (m["ratings"], m["good"], m["satisfied"]) == (1, 1, 1)
    assert (a["completed"], a["ratings"], a["good"], a["basic"]) == (1, 1, 0, 1)
    assert (a["good_rate"], a["satisfied_rate"]) == (0.0, 1.0)


# --- 一次办结率 and 重复诉求 -------------------------------------------------------------------

DONE = utc(2026, 3, 5, 2)


@pytest.mark.parametrize("case, first_time, repeats", [
    ("plain", 1, 0),
    ("declined then done", 0, 0),
    ("corrected", 0, 0),
    ("same phone asks again 10 days later", 0, 1),
    ("same name asks again 29 days later", 0, 1),
    ("same phone asks again 31 days later", 1, 0),
    ("same phone, another category", 1, 0),
    ("same phone, the repeat was cancelled", 1, 0),
])
def test_first_time_resolution(session, town, case, first_time, repeats):
    who = {"requester_phone": "13900000001", "requester_name": "王大爷"}
    kw = {"decline_at": utc(2026, 3, 1, 5)} if case == "declined then done" else {}
    order = flow(session, town, due_on=date(2026, 3, 10), done_at=DONE, **kw, **who)
    if case == "corrected":
        completions.correct(session, actor=town.lead_a, order_id=order.id,
                            done=report(town, people=6), reason="人数记错", now=DONE + H)
    again = {"same phone asks again 10 days later": (10, {"requester_phone": "13900000001"}),
             "same name asks again 29 days later": (29, {"requester_name": "王大爷"}),
             "same phone asks again 31 days later": (31, {"requester_phone": "13900000001"}),
             "same phone, another category": (5, {"requester_phone": "13900000001",
                                                  "category_id": town.other_category}),
             "same phone, the repeat was cancelled": (5, {"requester_phone": "13900000001"})}
    if case in again:
        days, args = again[case]
        follower = place(session, town, now=DONE + days * DAY, **args)
        if case.endswith("cancelled"):
            orders.cancel(session, actor=town.manager, order_id=follower.id, reason="重复录入",
                          now=DONE + days * DAY + H)
    row = team_a(session, town)
    assert (row["done"], row["first_time"], row["repeats"]) == (1, first_time, repeats)
    assert row["first_time_rate"] == first_time
    listed = evaluation.repeats(session, actor=town.leader, period=MARCH)
    assert [r["code"] for r in listed] == ([order.code] if repeats else [])


@pytest.mark.parametrize("after, repeats", [
    (30 * DAY, 1),                              # exactly repeat_days after completion
    (30 * DAY + timedelta(seconds=1), 0),       # a second later: no longer a repeat
    (30 * DAY - timedelta(milliseconds=1), 1),  # below the window bound's whole seconds
])
def test_the_repeat_window_ends_exactly_repeat_days_after_completion(session, town, after,
                                                                      repeats):
    """The SQL's plain bound on the later order (a day wider) only narrows the search; the exact
    rule decides, to the second."""
    flow(session, town, due_on=date(2026, 3, 10), done_at=DONE, requester_phone="13900000001")
    place(session, town, now=DONE + after, requester_phone="13900000001")
    assert team_a(session, town)["repeats"] == repeats


def test_a_household_asking_again_through_a_survey_is_a_repeat(session, town):
    def visit(on: date, now: datetime) -> int:
        survey = surveys.record(session, actor=town.officer, site_id=town.village_a,
                                surveyed_on=on, respondent="李家", people_covered=3, now=now,
                                needs=[surveys.NeedInput(category_id=town.category,
                                                         priority=NeedPriority.hear,
                                                         text="想听政策宣讲")])
        return session.exec(needs_of(survey.id)).one()

    def needs_of(survey_id):
        return select(Need.id).where(Need.survey_id == survey_id)

    first_need = visit(date(2026, 2, 19), PLACED)
    order = needs.to_order(session, actor=town.officer, need_ids=(first_need,),
                           due_on=date(2026, 3, 10), now=PLACED)
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                    now=PLACED + H)
    orders.accept(session, actor=town.lead_a, order_id=order.id, now=PLACED + 2 * H)
    completions.complete(session, actor=town.lead_a, order_id=order.id, done=report(town),
                         now=DONE)
    second_need = visit(date(2026, 3, 12), DONE + 7 * DAY)
    needs.to_order(session, actor=town.officer, need_ids=(second_need,), now=DONE + 7 * DAY)
    row = team_a(session, town)
    assert (row["done"], row["first_time"], row["repeats"]) == (1, 0, 1)


# --- 综合得分 --------------------------------------------------------------------------------


@pytest.mark.parametrize("response, resolve, satisfaction, weights, expected", [
    (1.0, 1.0, 1.0, {}, 100.0),
    (0.5, 0.8, 0.9, {}, 81.0),                    # 10·0.5 + 50·0.8 + 40·0.9
    (0.5, 0.8, 0.90625, {}, 81.3),                # 81.25 rounds half up
    (None, 0.8, 0.9, {}, 84.4),                   # no acceptance: (40 + 36) ÷ 90
    (0.5, 0.8, None, {}, 75.0),                   # no rating: (5 + 40) ÷ 60
    (1.0, None, 1.0, {}, None),                   # nothing due: no score
    (0.2, 0.7, 0.1, {"score_weight_response": 0, "score_weight_satisfaction": 0}, 70.0),
    (0.0, 0.0, 0.0, {}, 0.0),
])
def test_composite_score(response, resolve, satisfaction, weights, expected):
    values = {**VALUES, **weights}
    assert evaluation.composite_score(response, resolve, satisfaction, values) == expected


@pytest.mark.parametrize("good, basic, n, credits, expected", [
    (3, 1, 5, {}, 0.78),                          # (3·1 + 1·0.9) ÷ 5
    (0, 2, 2, {}, 0.9),
    (0, 0, 0, {}, None),
    (1, 1, 2, {"score_credit_basic": 0.5}, 0.75),
])
def test_satisfaction_part_credits_ratings(good, basic, n, credits, expected):
    got = evaluation.satisfaction_part(good, basic, n, {**VALUES, **credits})
    assert got == pytest.approx(expected) if expected is not None else got is None


def test_the_score_of_a_team_from_its_orders(session, town):
    """Two orders due and done on time, accepted in 1 h and 60 h (the limit is 48 h); rated 5 and
    3: 响应 1/2, 解决 2/2, 满意 (1 + 0.9)/2 → 10·0.5 + 50·1 + 40·0.95 = 93.0."""
    one = flow(session, town, due_on=date(2026, 3, 20), accept_at=utc(2026, 3, 1, 3),
               dispatch_at=utc(2026, 3, 1, 2), done_at=utc(2026, 3, 2, 2))
    two = flow(session, town, due_on=date(2026, 3, 20), dispatch_at=utc(2026, 3, 1, 2),
               accept_at=utc(2026, 3, 3, 14), done_at=utc(2026, 3, 4, 2))
    for order, level in ((one, 5), (two, 3)):
        ratings.rate(session, actor=town.officer, order_id=order.id, level=level,
                     now=utc(2026, 3, 6, 2))
    row = team_a(session, town)
    assert (row["accepted"], row["accepted_in_limit"], row["accept_median_hours"]) == (2, 1, 30.5)
    assert row["score"] == 93.0


# --- 志愿服务队: dispatches, declines, 接单率 -------------------------------------------------


def test_team_dispatches_declines_and_acceptance(session, town):
    """Three orders accepted after 1 h, 10 h and 60 h; a fourth declined by team A and sent on to
    team B. A: 4 dispatches, 1 decline, 3 accepted → 接单率 3/4, median 10 h, 2 of 3 in 48 h."""
    base = utc(2026, 3, 2, 2)
    for wait in (1, 10, 60):
        flow(session, town, due_on=date(2026, 3, 25), dispatch_at=base,
             accept_at=base + wait * H)
    moved = place(session, town, now=PLACED, due_on=date(2026, 3, 25))
    orders.dispatch(session, actor=town.manager, order_id=moved.id, team_id=town.team_a,
                    now=base)
    orders.decline(session, actor=town.lead_a, order_id=moved.id, reason="不对口", now=base + H)
    orders.dispatch(session, actor=town.manager, order_id=moved.id, team_id=town.team_b,
                    now=base + 2 * H)
    row = team_a(session, town)
    assert (row["dispatched"], row["declined"], row["accepted"]) == (4, 1, 3)
    assert (row["accept_rate"], row["accept_median_hours"]) == (3 / 4, 10.0)
    assert (row["accepted_in_limit"], row["accept_in_limit_rate"]) == (2, 2 / 3)
    b = row_of(evaluation.teams(session, actor=town.leader, period=MARCH, now=NOW), town.team_b)
    assert (b["dispatched"], b["declined"], b["accepted"], b["due"]) == (1, 0, 0, 1)


# --- 中心管理员 ------------------------------------------------------------------------------


def test_managers_dispatch_speed_redispatches_and_cancellations(session, town):
    """Placed at 02:00 on 2 March: dispatched after 3 h, 20 h and 30 h (the limit is 24 h); the
    third is declined and dispatched again (a re-dispatch, not timed); two cancellations."""
    base = utc(2026, 3, 2, 2)
    for wait in (3, 20):
        flow(session, town, due_on=date(2026, 3, 25), placed=base, dispatch_at=base + wait * H)
    flow(session, town, due_on=date(2026, 3, 25), placed=base, dispatch_at=base + 30 * H,
         decline_at=base + 31 * H)
    for reason in ("居民搬走", "居民搬走"):
        order = place(session, town, now=base, due_on=date(2026, 3, 25))
        orders.cancel(session, actor=town.manager, order_id=order.id, reason=reason,
                      now=base + H)
    result = evaluation.managers(session, actor=town.leader, period=MARCH, now=NOW)
    row = row_of(result, town.manager.id)
    assert (row["dispatched"], row["first_dispatched"], row["redispatched"]) == (4, 3, 1)
    assert (row["dispatched_in_limit"], row["dispatch_in_limit_rate"]) == (2, 2 / 3)
    assert row["dispatch_median_hours"] == 20.0
    assert (row["cancelled"], row["cancel_reasons"]) == (2, [("居民搬走", 2)])
    assert row["due"] == 3  # the three it dispatched last, due in March


# --- 文明实践员 ------------------------------------------------------------------------------


def test_officers_visits_needs_orders_and_follow_ups(session, town):
    now = utc(2026, 3, 25, 2)
    for respondent, people, n_needs in (("张家", 3, 2), ("张家", 3, 1), ("敬老院", 20, 1)):
        surveys.record(session, actor=town.officer, site_id=town.village_a,
                       surveyed_on=date(2026, 3, 3), respondent=respondent,
                       people_covered=people, now=now,
                       needs=[surveys.NeedInput(category_id=town.category,
                                                priority=NeedPriority.get, text=f"需求{i}")
                              for i in range(n_needs)])
    first_need = session.exec(select(Need.id).order_by(Need.id)).first()
    needs.to_order(session, actor=town.officer, need_ids=(first_need,), now=now)
    # a 差评 on an order the officer placed, followed up early
    order = flow(session, town, due_on=date(2026, 3, 20), done_at=utc(2026, 3, 5, 2))
    ratings.rate(session, actor=town.manager, order_id=order.id, level=1, now=utc(2026, 3, 6, 2))
    follow_ups.record(session, actor=town.officer, order_id=order.id, outcome="已解决",
                      now=utc(2026, 3, 7, 2))
    result = evaluation.officers(session, actor=town.leader, period=MARCH, now=now)
    row = row_of(result, town.officer.id)
    assert (row["surveys"], row["households"], row["people"]) == (3, 2, 26)
    assert (row["needs"], row["needs_ordered"], row["needs_ordered_rate"]) == (4, 1, 1 / 4)
    assert row["placed"] == 1  # the order from the need (the flow's order was placed in Feb.)
    assert (row["follow_ups_due"], row["follow_ups_done"], row["follow_ups_on_time"]) == (1, 1, 1)
    assert (row["follow_up_rate"], row["follow_up_on_time_rate"]) == (1.0, 1.0)


# --- 站点 ------------------------------------------------------------------------------------


def test_sites_add_up_their_villages_and_name_idle_months(session, town):
    """A quarter: 东村 completes in January and March, 西村 nothing at all. The station (所)
    level adds both villages up."""
    q1 = periods.quarter(2026, 1)
    flow(session, town, due_on=date(2026, 1, 20), placed=utc(2026, 1, 5, 2),
         done_at=utc(2026, 1, 10, 2))
    flow(session, town, due_on=date(2026, 3, 20), placed=utc(2026, 3, 5, 2),
         done_at=utc(2026, 3, 31, 15, 30))
    place(session, town, site_id=town.village_b, now=utc(2026, 2, 1, 2), due_on=date(2026, 2, 9))
    result = evaluation.sites(session, actor=town.leader, period=q1, now=NOW)
    east, west = row_of(result, town.village_a), row_of(result, town.village_b)
    assert (east["placed"], east["completed"], east["beneficiaries"], east["hours"]) == (
        2, 2, 10, 4.0)
    assert (east["due"], east["done"], east["completion_rate"]) == (2, 2, 1.0)
    assert (east["months"], east["idle_months"]) == (3, 1)   # February
    assert (west["placed"], west["due"], west["done"], west["idle_months"]) == (1, 1, 0, 3)
    boss = evaluation.sites(session, actor=town.leader, period=q1, now=NOW,
                            level=SiteLevel.station)
    station = row_of(boss, town.station)
    assert (station["placed"], station["due"], station["done"], station["idle_months"]) == (
        3, 3, 2, 1)
    assert evaluation.site_levels(session, actor=town.leader) == ["point"]


def test_idle_months_follow_a_period_from_the_19th(session, town):
    """考核周期 from the 19th: the quarter is 19 Dec–18 Jan, 19 Jan–18 Feb, 19 Feb–18 Mar. 东村
    completes on 25 January and on 18 February at 23:30 Beijing, both in the second month: the
    first and the third are idle, although calendar January and February both had a service.
    A completion at 00:30 on 19 February falls in the third."""
    settings_service.update(session, actor=town.manager, values={"eval_period_start_day": 19})
    q1 = periods.quarter(2026, 1, start_day=19)
    flow(session, town, due_on=date(2026, 1, 28), placed=utc(2026, 1, 5, 2),
         done_at=utc(2026, 1, 25, 2))
    flow(session, town, due_on=date(2026, 2, 25), placed=utc(2026, 2, 5, 2),
         done_at=utc(2026, 2, 18, 15, 30))
    east = row_of(evaluation.sites(session, actor=town.leader, period=q1, now=NOW),
                  town.village_a)
    assert (east["months"], east["idle_months"], east["completed"]) == (3, 2, 2)
    flow(session, town, due_on=date(2026, 2, 25), placed=utc(2026, 2, 5, 2),
         done_at=utc(2026, 2, 18, 16, 30))
    east = row_of(evaluation.sites(session, actor=town.leader, period=q1, now=NOW),
                  town.village_a)
    assert (east["idle_months"], east["completed"]) == (1, 3)


# --- 红榜 / 黑榜 and the line ------------------------------------------------------------------


def test_the_line_names_units_and_marks_two_periods_running(session, town):
    """Team A is late on both February and March orders (按时办结率 0 < 90 %): below the line,
    连续 in March. Team B is on time and rated 满意: on the 红榜."""
    for month in (2, 3):
        flow(session, town, due_on=date(2026, month, 10), placed=utc(2026, month, 1, 2),
             done_at=utc(2026, month, 12, 2))
        good = flow(session, town, team="b", due_on=date(2026, month, 10),
                    placed=utc(2026, month, 1, 2), done_at=utc(2026, month, 5, 2))
        ratings.rate(session, actor=town.officer, order_id=good.id, level=4,
                     now=utc(2026, month, 6, 2))
    result = evaluation.teams(session, actor=town.leader, period=MARCH, now=NOW)
    assert [r["key"] for r in result.ranked] == [town.team_b, town.team_a]
    st = evaluation.standing(session, actor=town.leader, result=result, now=NOW)
    # two units ranked and roll_size 5: the better half on the 红榜, the other on the 黑榜
    assert ([r["key"] for r in st.red], [r["key"] for r in st.black]) == (
        [town.team_b], [town.team_a])
    (below,) = st.below
    assert below["row"]["key"] == town.team_a and below["running"] is True
    assert below["reasons"] == [{"figure": "on_time_rate", "value": 0.0, "line": 90.0}]
    settings_service.update(session, actor=town.manager, values={"roll_size": 1})
    st = evaluation.standing(session, actor=town.leader, result=result, now=NOW)
    assert ([r["key"] for r in st.red], [r["key"] for r in st.black]) == (
        [town.team_b], [town.team_a])
    # April: nothing due, so nothing below the line and nothing running
    april = evaluation.teams(session, actor=town.leader, period=APRIL, now=NOW)
    assert evaluation.standing(session, actor=town.leader, result=april, now=NOW).below == []


def test_satisfaction_below_the_line_is_named_with_its_figure(session, town):
    order = flow(session, town, due_on=date(2026, 3, 10), done_at=utc(2026, 3, 5, 2))
    ratings.rate(session, actor=town.officer, order_id=order.id, level=2, now=utc(2026, 3, 6, 2))
    result = evaluation.teams(session, actor=town.leader, period=MARCH, now=NOW)
    (below,) = evaluation.standing(session, actor=town.leader, result=result, now=NOW).below
    assert below["reasons"] == [{"figure": "satisfied_rate", "value": 0.0, "line": 85.0}]
    assert below["running"] is False


# --- who may read it, and what they see -------------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "lead_a"])
@pytest.mark.parametrize("kind", evaluation.TABLES)
def test_officers_and_team_leads_cannot_read_the_evaluation(session, town, who, kind):
    with pytest.raises(Forbidden):
        evaluation.table(session, actor=getattr(town, who), kind=kind, period=MARCH)


def test_a_manager_of_another_station_sees_none_of_the_town(session, town):
    flow(session, town, due_on=date(2026, 3, 10), done_at=utc(2026, 3, 5, 2))
    orders.place(session, actor=town.outsider, site_id=town.other_station,
                 category_id=town.category, title="绿水镇", source=OrderSource.phone,
                 now=PLACED, due_on=date(2026, 3, 10))
    for kind in evaluation.TABLES:
        result = evaluation.table(session, actor=town.outsider, kind=kind, period=MARCH, now=NOW)
        keys = {r["key"] for r in result.rows}
        assert town.team_a not in keys and town.officer.id not in keys
        assert town.village_a not in keys
        assert all(r["done"] == 0 for r in result.rows)


# --- 考核周期 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("period, start, end", [
    (periods.month(2026, 3), date(2026, 3, 1), date(2026, 3, 31)),
    (periods.month(2026, 10, 19), date(2026, 9, 19), date(2026, 10, 18)),
    (periods.month(2026, 1, 19), date(2025, 12, 19), date(2026, 1, 18)),
    (periods.quarter(2026, 4), date(2026, 10, 1), date(2026, 12, 31)),
    (periods.quarter(2026, 1, 19), date(2025, 12, 19), date(2026, 3, 18)),
    (periods.year(2026), date(2026, 1, 1), date(2026, 12, 31)),
    (periods.previous(periods.month(2026, 1)), date(2025, 12, 1), date(2025, 12, 31)),
    (periods.previous(periods.quarter(2026, 1)), date(2025, 10, 1), date(2025, 12, 31)),
    (periods.previous(periods.custom(date(2026, 3, 10), date(2026, 3, 19))),
     date(2026, 2, 28), date(2026, 3, 9)),
    (periods.containing(date(2026, 10, 19), "month", 19), date(2026, 10, 19),
     date(2026, 11, 18)),
    (periods.containing(date(2026, 10, 18), "month", 19), date(2026, 9, 19),
     date(2026, 10, 18)),
])
def test_periods(period, start, end):
    assert (period.start, period.end) == (start, end)


def test_a_period_start_day_moves_the_month(session, town):
    """With 考核周期 from the 19th, an order due on 20 March belongs to April's period."""
    flow(session, town, due_on=date(2026, 3, 20), done_at=utc(2026, 3, 19, 2))
    assert team_a(session, town, periods.month(2026, 3, 19))["due"] == 0
    assert team_a(session, town, periods.month(2026, 4, 19))["due"] == 1


@pytest.mark.parametrize("ranked, n, red, black", [
    (0, 5, 0, 0), (1, 5, 1, 0), (2, 5, 1, 1), (3, 5, 2, 1), (10, 5, 5, 5), (12, 5, 5, 5),
    (12, 1, 1, 1),
])
def test_the_rolls_never_share_a_unit(session, town, ranked, n, red, black, monkeypatch):
    rows = [{"key": i, "name": f"队{i}", "due": 1, "score": 100 - i, "on_time_rate": 1.0,
             "satisfied_rate": 1.0} for i in range(ranked)]
    result = evaluation.Table("team", MARCH, rows, [])
    monkeypatch.setattr(evaluation, "table", lambda *_a, **_k: evaluation.Table(
        "team", MARCH, [], []))
    settings_service.update(session, actor=town.manager, values={"roll_size": n})
    st = evaluation.standing(session, actor=town.leader, result=result, now=NOW)
    assert (len(st.red), len(st.black)) == (red, black)
    assert not {r["key"] for r in st.red} & {r["key"] for r in st.black}
    assert [r["key"] for r in st.red] == list(range(red))
    assert [r["key"] for r in st.black] == list(range(ranked - 1, ranked - 1 - black, -1))


def test_an_order_urged_for_its_dispatch_and_then_done_on_time_is_not_urged_late(session,
                                                                                town):
    """A 催办 that worked: urged when its dispatch was late, done before its due date — on time,
    so not counted twice in 解决."""
    order = place(session, town, now=utc(2026, 3, 1, 2), due_on=date(2026, 3, 20))
    escalation.urge(session, actor=town.manager, order_id=order.id, note="请尽快派单",
                    now=utc(2026, 3, 4, 2))
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                    now=utc(2026, 3, 4, 3))
    orders.accept(session, actor=town.lead_a, order_id=order.id, now=utc(2026, 3, 4, 4))
    completions.complete(session, actor=town.lead_a, order_id=order.id, done=report(town),
                         now=utc(2026, 3, 6, 2))
    row = team_a(session, town)
    assert (row["due"], row["on_time"], row["urged_late"]) == (1, 1, 0)
    assert row["resolve_part"] == 1.0


@pytest.mark.parametrize("urged, resolve", [(True, 1 / 3), (False, 1 / 2)])
def test_an_urged_order_still_late_counts_twice_in_the_resolve_part(session, town, urged,
                                                                    resolve):
    """催办后仍超时: the 按时办结率 shown is on time ÷ due (1 of 2), but 解决 in 综合得分
    counts the urged late order twice in its denominator (1 of 3)."""
    flow(session, town, due_on=date(2026, 3, 10), done_at=utc(2026, 3, 9, 2))
    late = flow(session, town, due_on=date(2026, 3, 20), accept_at=utc(2026, 3, 1, 2))
    if urged:
        escalation.urge(session, actor=town.manager, order_id=late.id, note="请尽快办理",
                        now=utc(2026, 3, 25, 2))
    row = team_a(session, town)
    assert (row["due"], row["on_time"], row["urged_late"]) == (2, 1, int(urged))
    assert row["on_time_rate"] == 0.5
    assert row["resolve_part"] == pytest.approx(resolve)
    values = settings_service.current(session)
    assert row["score"] == evaluation.composite_score(row["response_part"], resolve,
                                                      row["satisfaction_part"], values)
