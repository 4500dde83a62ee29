"""The menu review: figures per item and the revision flags at their thresholds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services import catalog, menu, needs, ratings, settings, surveys
from services.errors import Forbidden, Invalid
from services.surveys import NeedInput
from tests.services.steps import T0, S, order_in

NOW = T0 + timedelta(days=1)


def item(session, town, title="防诈骗讲座", category=None, added=T0 - timedelta(days=400)):
    made = catalog.create_item(session, actor=town.manager, title=title,
                               category_id=category or town.category, team_ids=(town.team_a,))
    made.created_at = added  # an item on the menu since long before the orders below
    session.add(made)
    session.commit()
    return made


def rated(session, town, item_id, levels, at=T0 - timedelta(days=30)):
    for level in levels:
        order = order_in(session, town, S.completed, at=at, item_id=item_id)
        ratings.rate(session, actor=town.officer, order_id=order.id, level=level,
                     now=at + timedelta(hours=5))


def row(session, town, item_id, actor=None):
    return next(r for r in menu.review(session, actor=actor or town.manager, now=NOW)
                if r["id"] == item_id)


@pytest.mark.parametrize("levels,flagged", [
    ((3, 3, 4, 4, 3), True),       # 3.4 from 5 ratings: below 3.5
    ((3, 4, 3, 4, 3, 4), False),   # exactly 3.5 is not below
    ((1, 1, 1, 1), False),         # 1.0, but only 4 ratings: too few to judge
    ((5, 5, 5, 5, 5), False),
])
def test_an_item_is_flagged_when_at_least_five_ratings_average_below_35(session, town, levels,
                                                                         flagged):
    it = item(session, town)
    rated(session, town, it.id, levels)
    flags = [f for f in row(session, town, it.id)["flags"] if f["kind"] == "low_rating"]
    if flagged:
        assert flags == [{"kind": "low_rating", "average": 3.4, "ratings": 5, "threshold": 3.5}]
    else:
        assert flags == []


def test_the_rating_thresholds_are_settings(session, town):
    it = item(session, town)
    rated(session, town, it.id, (4, 4, 3))
    assert row(session, town, it.id)["flags"] == []
    settings.update(session, actor=town.manager,
                    values={"menu_min_ratings": 3, "satisfaction_threshold": 4.0})
    assert row(session, town, it.id)["flags"] == [
        {"kind": "low_rating", "average": 3.67, "ratings": 3, "threshold": 4.0}]


@pytest.mark.parametrize("months_ago,idle", [(7, True), (5, False)])
def test_an_item_without_an_order_for_six_months_is_flagged_with_its_last_order(
        session, town, months_ago, idle):
    it = item(session, town)
    placed = order_in(session, town, S.submitted, at=NOW - timedelta(days=31 * months_ago),
                      item_id=it.id)
    flags = row(session, town, it.id)["flags"]
    if idle:
        last = placed.submitted_at.date()
        assert flags == [{"kind": "idle", "last_order_on": last, "months": 6}]
    else:
        assert flags == []


def test_a_new_item_is_not_idle_until_six_months_after_it_was_added(session, town):
    fresh = item(session, town, "新项目", added=NOW - timedelta(days=30))
    old = item(session, town, "老项目", added=NOW - timedelta(days=200))
    assert row(session, town, fresh.id)["flags"] == []
    assert row(session, town, old.id)["flags"] == [
        {"kind": "idle", "last_order_on": None, "months": 6}]
    settings.update(session, actor=town.manager, values={"menu_idle_months": 7})
    assert row(session, town, old.id)["flags"] == []


def test_a_retired_item_carries_no_flags_and_keeps_its_reason(session, town):
    it = item(session, town)
    rated(session, town, it.id, (1, 1, 1, 1, 1))
    catalog.retire_item(session, actor=town.manager, item_id=it.id, reason="群众不欢迎")
    r = row(session, town, it.id)
    assert (r["active"], r["retired_reason"], r["flags"]) == (False, "群众不欢迎", [])
    with pytest.raises(Invalid) as err:
        catalog.retire_item(session, actor=town.manager, item_id=it.id, reason="再停一次")
    assert err.value.key == "error.item_retired"


def test_the_figures_count_needs_orders_beneficiaries_and_the_good_rate(session, town):
    it = item(session, town)
    rated(session, town, it.id, (5, 4, 2))
    order_in(session, town, S.submitted, item_id=it.id)
    surveys.record(session, actor=town.officer, site_id=town.village_a,
                   surveyed_on=date(2026, 3, 1), respondent="张家", people_covered=2,
                   needs=[NeedInput(category_id=town.category, priority="hear", item_id=it.id),
                          NeedInput(category_id=town.category, priority="see", item_id=it.id)],
                   now=T0)
    r = row(session, town, it.id, actor=town.leader)
    assert (r["needs"], r["open_needs"], r["orders"], r["beneficiaries"], r["ratings"]) == (
        2, 2, 4, 45, 3)
    assert (r["average"], round(r["good_rate"], 3), r["teams"]) == (3.67, 0.667, "宣讲支队")
    assert row(session, town, it.id, actor=town.outsider)["orders"] == 0  # not their sites


def test_categories_with_open_needs_and_no_item_are_shown_with_the_count(session, town):
    item(session, town)  # serves town.category only
    surveys.record(session, actor=town.officer, site_id=town.village_a,
                   surveyed_on=date(2026, 3, 1), respondent="张家", people_covered=2,
                   needs=[NeedInput(category_id=town.other_category, priority="get", text="量血压"),
                          NeedInput(category_id=town.other_category, priority="get", text="义诊"),
                          NeedInput(category_id=town.category, priority="hear", text="讲座")],
                   now=T0)
    assert menu.unserved(session, actor=town.manager) == [
        {"category": "健康促进与体育服务", "open_needs": 2}]
    rows, _ = needs.page(session, actor=town.manager,
                         flt=needs.NeedFilter(category_id=town.other_category))
    needs.close(session, actor=town.manager, need_id=rows[0]["id"], reason="无法提供")
    assert menu.unserved(session, actor=town.manager)[0]["open_needs"] == 1
    item(session, town, "义诊", category=town.other_category)
    assert menu.unserved(session, actor=town.manager) == []


def test_editing_an_item_changes_its_words_and_teams(session, town):
    it = item(session, town)
    catalog.update_item(session, actor=town.manager, item_id=it.id, title="反诈宣讲",
                        category_id=town.category, description="到村讲", team_ids=(town.team_b,))
    assert (session.get(type(it), it.id).title, catalog.item_teams(session, item_id=it.id)) == (
        "反诈宣讲", [town.team_b])


@pytest.mark.parametrize("who", ["officer", "leader", "lead_a"])
def test_only_managers_change_the_menu(session, town, who):
    with pytest.raises(Forbidden):
        catalog.create_item(session, actor=getattr(town, who), title="x", category_id=town.category)
    if who != "lead_a":
        assert menu.review(session, actor=getattr(town, who), now=NOW) == []
    else:
        with pytest.raises(Forbidden):
            menu.review(session, actor=town.lead_a, now=NOW)


def test_months_before_keeps_the_day_or_falls_back_to_the_months_end():
    assert menu.months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert menu.months_before(date(2026, 3, 15), 6) == date(2025, 9, 15)
