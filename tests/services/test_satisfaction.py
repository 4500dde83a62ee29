"""满意度: 好评率 = share of ratings ≥ 4, 满意率 = share ≥ 3, by team, category, village and
month."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services import catalog, ratings, satisfaction
from services.errors import Forbidden
from tests.services.steps import T0, S, order_in

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def _rated(session, town, level, *, comment="", at=T0 + timedelta(hours=4), **kw):
    order = order_in(session, town, S.completed, at=at - timedelta(hours=4), **kw)
    ratings.rate(session, actor=town.officer, order_id=order.id, level=level, comment=comment,
                 now=at)
    return order


@pytest.fixture
def rated(session, town):
    """March: levels 5, 4, 3, 2 in 东村 and 1 in 西村; April: one 5."""
    for level in (5, 4, 3, 2):
        _rated(session, town, level, comment=f"评价{level}")
    _rated(session, town, 1, comment="<b>差</b> =1+1", site_id=town.village_b)
    _rated(session, town, 5, at=T0 + timedelta(days=31))
    return town


def test_the_summary_counts_good_and_satisfied_shares(session, rated):
    s = satisfaction.summary(session, actor=rated.leader, start=MARCH[0], end=MARCH[1])
    assert s == {"ratings": 5, "good_rate": 2 / 5, "satisfied_rate": 3 / 5, "average": 3.0}
    empty = satisfaction.summary(session, actor=rated.leader, start=date(2025, 1, 1),
                                 end=date(2025, 1, 31))
    assert empty == {"ratings": 0, "good_rate": None, "satisfied_rate": None, "average": None}


def test_by_village(session, rated):
    df = satisfaction.breakdown(session, actor=rated.manager, start=MARCH[0], end=MARCH[1],
                                by="site")
    assert df[["name", "ratings", "good_rate", "satisfied_rate", "average"]].values.tolist() == [
        ["东村", 4, 0.5, 0.75, 3.5], ["西村", 1, 0.0, 0.0, 1.0]]


def test_by_team_and_category(session, rated):
    for by, name in (("team", "宣讲支队"), ("category", catalog.categories(session)[0].name)):
        df = satisfaction.breakdown(session, actor=rated.manager, start=MARCH[0],
                                    end=MARCH[1], by=by)
        assert df[["name", "ratings", "good_rate"]].values.tolist() == [[name, 5, 0.4]]


def test_by_local_month_for_the_trend(session, rated):
    df = satisfaction.breakdown(session, actor=rated.manager, start=date(2026, 1, 1),
                                end=date(2026, 12, 31), by="month")
    assert df[["name", "ratings", "good_rate", "satisfied_rate"]].values.tolist() == [
        ["2026-03", 5, 0.4, 0.6], ["2026-04", 1, 1.0, 1.0]]


def test_the_lowest_teams_need_enough_ratings_to_be_judged(session, rated):
    df = satisfaction.lowest(session, actor=rated.manager, start=MARCH[0], end=MARCH[1],
                             by="team", min_ratings=5)
    assert df[["name", "ratings", "average"]].values.tolist() == [["宣讲支队", 5, 3.0]]
    assert satisfaction.lowest(session, actor=rated.manager, start=MARCH[0], end=MARCH[1],
                               by="team", min_ratings=6).empty


def test_the_lowest_items_are_listed_worst_first(session, town):
    good, bad = (catalog.create_item(session, actor=town.manager, title=title,
                                     category_id=town.category)
                 for title in ("党史宣讲", "政策解读"))
    for level in (5, 4, 5):
        _rated(session, town, level, item_id=good.id)
    for level in (2, 1, 3):
        _rated(session, town, level, item_id=bad.id)
    df = satisfaction.lowest(session, actor=town.manager, start=MARCH[0], end=MARCH[1], by="item")
    assert df["name"].tolist() == [bad.title, good.title]
    notes = satisfaction.comments(session, actor=town.manager, start=MARCH[0], end=MARCH[1],
                                  item_ids=(bad.id,))
    assert notes == []  # no comments were written


def test_comments_of_poor_ratings_come_back_as_typed_lowest_first(session, rated):
    notes = satisfaction.comments(session, actor=rated.manager, start=MARCH[0], end=MARCH[1])
    assert [(n["level"], n["comment"]) for n in notes] == [
        (1, "<b>差</b> =1+1"), (2, "评价2"), (3, "评价3")]
    assert notes[0]["team"] == "宣讲支队"


@pytest.mark.parametrize("offset, limit, levels", [
    (0, 2, [1, 2]), (2, 2, [3]), (5, 2, []), (0, 50, [1, 2, 3])])
def test_a_page_of_comments_says_how_many_there_are_in_all(session, rated, offset, limit,
                                                           levels):
    """The count comes with the page (count(*) OVER ()); past the last page it is counted
    on its own."""
    rows, total = satisfaction.comment_page(session, actor=rated.manager, start=MARCH[0],
                                            end=MARCH[1], offset=offset, limit=limit)
    assert [r["level"] for r in rows] == levels
    assert total == 3


def test_no_comment_in_the_period_is_a_count_of_nought(session, rated):
    april = (date(2026, 4, 1), date(2026, 4, 30))
    assert satisfaction.comment_page(session, actor=rated.manager, start=april[0],
                                     end=april[1]) == ([], 0)


def test_the_outsider_sees_no_ratings_of_the_town(session, rated):
    s = satisfaction.summary(session, actor=rated.outsider, start=MARCH[0], end=MARCH[1])
    assert s["ratings"] == 0
    assert satisfaction.breakdown(session, actor=rated.outsider, start=MARCH[0], end=MARCH[1],
                                  by="team").empty


@pytest.mark.parametrize("who", ["officer", "lead_a"])
def test_satisfaction_figures_are_for_managers_and_leaders(session, town, who):
    with pytest.raises(Forbidden):
        satisfaction.summary(session, actor=getattr(town, who), start=MARCH[0], end=MARCH[1])
