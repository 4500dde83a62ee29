"""The overview (概览) on a handful of orders with known times, counted in local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models import OrderSource
from services import completions, orders, ratings, reports
from services.errors import Forbidden
from tests.factories import place
from tests.services.steps import S, order_in

H = timedelta(hours=1)
NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # 1 April, 10:00 in Shanghai
MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def history(session, town):
    """Seven orders around March 2026 (times in UTC; Shanghai is 8 hours ahead):

    A placed 3/2, done (15 people, 5.5 h by v0 and v1), rated 5
    B placed 3/5, done (7 children, 4 h by v2), rated 3
    C placed 3/10, done (3 elderly, 1 h by v0), rated 2
    D placed 2/28 17:00 UTC = 3/1 01:00 local, never dispatched (overdue 'dispatch' on 4/1)
    E placed 2/28 15:59 UTC = 2/28 23:59 local, done 3/1 02:59 local (4 women, 2 h by v1),
      never rated (overdue 'rate' on 4/1)
    F placed 3/12, cancelled
    G placed 3/31 16:30 UTC = 4/1 00:30 local
    """
    v0, v1, v2 = town.volunteers_a
    lead = town.lead_a

    def finish(at, beneficiaries, hours, rating, rated_at):
        order = order_in(session, town, S.accepted, at=at)
        completions.complete(session, actor=lead, order_id=order.id, now=at + 3 * H,
                        done=completions.Completion(beneficiaries=beneficiaries, hours=hours))
        if rating:
            ratings.rate(session, actor=town.officer, order_id=order.id, level=rating,
                         now=rated_at)
        return order

    ids = {
        "A": order_in(session, town, S.rated, at=utc(2026, 3, 2, 2)).id,
        "B": finish(utc(2026, 3, 5, 2), {"children": 7}, {v2: 4}, 3, utc(2026, 3, 6, 2)).id,
        "C": finish(utc(2026, 3, 10, 2), {"elderly": 3}, {v0: 1}, 2, utc(2026, 3, 11, 2)).id,
        "D": place(session, town, now=utc(2026, 2, 28, 17)).id,
        "E": finish(utc(2026, 2, 28, 15, 59), {"women": 4}, {v1: 2}, None, None).id,
        "F": order_in(session, town, S.submitted, at=utc(2026, 3, 12, 2)).id,
        "G": place(session, town, now=utc(2026, 3, 31, 16, 30)).id,
    }
    orders.cancel(session, actor=town.manager, order_id=ids["F"], reason="重复",
                  now=utc(2026, 3, 12, 3))
    return ids


EXPECTED_MARCH = {
    "placed": 5,             # A B C D F (E is February, G is April in local time)
    "done": 4,               # A B C E (E finished on 1 March local time)
    "overdue": 2,            # D waits for dispatch, E waits for its rating
    "completion_rate": 0.8,
    "ratings": 3,
    "good_rate": 1 / 3,      # only A rated ≥ 4
    "satisfied_rate": 2 / 3,  # A and B rated ≥ 3
    "beneficiaries": 29,     # 15 + 7 + 3 + 4
    "hours": 12.5,           # 5.5 + 4 + 1 + 2
    "active_volunteers": 3,
}


def test_the_overview_counts_a_month_in_local_time(session, town, history):
    assert reports.overview(session, actor=town.manager, now=NOW, **MARCH) == EXPECTED_MARCH


def test_a_leader_sees_the_same_overview(session, town, history):
    assert reports.overview(session, actor=town.leader, now=NOW, **MARCH) == EXPECTED_MARCH


def test_one_local_day_catches_what_happened_after_utc_midnight_minus_eight_hours(
        session, town, history):
    day = date(2026, 3, 1)
    tiles = reports.overview(session, actor=town.manager, start=day, end=day, now=NOW)
    assert (tiles["placed"], tiles["done"], tiles["beneficiaries"], tiles["hours"]) == (
        1, 1, 4, 2.0)
    feb = reports.overview(session, actor=town.manager, start=date(2026, 2, 1),
                           end=date(2026, 2, 28), now=NOW)
    assert (feb["placed"], feb["done"], feb["ratings"]) == (1, 0, 0)  # E placed, nothing done


def test_an_empty_period_has_no_rates_rather_than_zero(session, town, history):
    tiles = reports.overview(session, actor=town.manager, start=date(2025, 1, 1),
                             end=date(2025, 1, 31), now=NOW)
    assert (tiles["placed"], tiles["done"], tiles["completion_rate"], tiles["good_rate"],
            tiles["satisfied_rate"]) == (0, 0, None, None, None)
    assert tiles["overdue"] == 2  # overdue is "now", whatever the period


def test_a_manager_of_another_station_sees_none_of_it(session, town, history):
    orders.place(session, actor=town.outsider, site_id=town.other_station,
                 category_id=town.category, title="绿水镇的工单", source=OrderSource.phone,
                 now=utc(2026, 3, 15, 2))
    tiles = reports.overview(session, actor=town.outsider, now=NOW, **MARCH)
    assert tiles == {"placed": 1, "done": 0, "overdue": 1, "completion_rate": 0.0, "ratings": 0,
                     "good_rate": None, "satisfied_rate": None, "beneficiaries": 0, "hours": 0.0,
                     "active_volunteers": 0}
    # and the town's numbers do not include the other station's order
    assert reports.overview(session, actor=town.manager, now=NOW, **MARCH) == EXPECTED_MARCH


def test_orders_by_month_buckets_by_local_month_and_current_status(session, town, history):
    frame = reports.orders_by_month(session, actor=town.leader, start=date(2026, 2, 1),
                                    end=date(2026, 4, 30))
    assert list(frame.columns) == ["month", "status", "orders"]
    assert sorted(map(tuple, frame.itertuples(index=False))) == [
        ("2026-02", "completed", 1),
        ("2026-03", "cancelled", 1),
        ("2026-03", "rated", 3),
        ("2026-03", "submitted", 1),
        ("2026-04", "submitted", 1),
    ]


def test_orders_by_month_of_another_station_is_empty(session, town, history):
    frame = reports.orders_by_month(session, actor=town.outsider, start=date(2026, 1, 1),
                                    end=date(2026, 12, 31))
    assert len(frame) == 0


@pytest.mark.parametrize("who", ["officer", "lead_a", "lead_b"])
def test_officers_and_team_leads_cannot_read_the_overview(session, town, who):
    actor = getattr(town, who)
    with pytest.raises(Forbidden):
        reports.overview(session, actor=actor, **MARCH)
    with pytest.raises(Forbidden):
        reports.orders_by_month(session, actor=actor, **MARCH)


def test_months_follow_a_half_hour_timezone_too(session, town):
    """India is 5 h 30 ahead: 18:40 UTC on 31 March is 00:10 on 1 April there."""
    from services import settings

    settings.update(session, actor=town.manager, values={"timezone": "Asia/Kolkata"})
    place(session, town, now=utc(2026, 3, 31, 18, 40))
    place(session, town, now=utc(2026, 3, 31, 18, 20))  # 23:50 on 31 March
    frame = reports.orders_by_month(session, actor=town.manager, start=date(2026, 3, 1),
                                    end=date(2026, 4, 30))
    assert sorted(map(tuple, frame.itertuples(index=False))) == [
        ("2026-03", "submitted", 1), ("2026-04", "submitted", 1)]


def test_an_unknown_site_in_the_order_filter_finds_nothing_instead_of_crashing(session, town):
    from services import order_queries
    from tests.factories import place

    place(session, town)
    rows, total = order_queries.page(session, actor=town.manager,
                                     flt=order_queries.OrderFilter(site_id=999_999))
    assert (rows, total) == ([], 0)
