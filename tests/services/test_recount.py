"""The recount's findings on the figures leaders already read, each fixed and pinned here:
回访 counted in the period it was done (when before its due date), 四舍五入 everywhere, and the
满意度 comments said as "shown / all" with paging."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services import follow_ups, ratings, satisfaction
from services.figures import half_up, percent_value, rate
from tests.services.steps import T0, S, order_in

DAY = timedelta(days=1)
DONE = T0 + timedelta(hours=3)  # when order_in completes an order (2026-03-02 13:00 local)
MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}
APRIL = {"start": date(2026, 4, 1), "end": date(2026, 4, 30)}


def _rated(session, town, level, *, comment="", at=DONE + DAY, placed=T0):
    order = order_in(session, town, S.completed, at=placed)
    ratings.rate(session, actor=town.officer, order_id=order.id, level=level, comment=comment,
                 now=at)
    return order


# --- 回访: the period it was done or due, whichever is first ---------------------------------


def test_a_follow_up_done_before_its_due_date_counts_in_the_month_it_was_done(session, town):
    """A 差评 on 28 March is due on 12 April; the officer calls back on 30 March. March's 回访率
    moves at once (1 of 1, on time); April does not count it a second time."""
    placed = T0 + 25 * DAY
    order = _rated(session, town, 2, at=placed + DAY, placed=placed)
    follow_ups.record(session, actor=town.officer, order_id=order.id, outcome="已上门解决",
                      now=placed + 3 * DAY)
    now = placed + 5 * DAY
    march = follow_ups.rates(session, actor=town.manager, now=now, **MARCH)
    april = follow_ups.rates(session, actor=town.manager, now=now, **APRIL)
    assert (march.needed, march.done, march.on_time) == (1, 1, 1)
    assert (april.needed, april.follow_up_rate) == (0, None)


def test_a_follow_up_done_late_counts_in_the_month_it_was_due(session, town):
    """Due on 17 March (差评 on 2 March), done on 2 April: March counts it, done but late."""
    order = _rated(session, town, 1, at=DONE)
    follow_ups.record(session, actor=town.officer, order_id=order.id, outcome="迟到的回访",
                      now=DONE + 31 * DAY)
    now = DONE + 35 * DAY
    march = follow_ups.rates(session, actor=town.manager, now=now, **MARCH)
    april = follow_ups.rates(session, actor=town.manager, now=now, **APRIL)
    assert (march.needed, march.done, march.on_time) == (1, 1, 0)
    assert april.needed == 0


def test_an_open_follow_up_not_yet_due_is_not_judged_anywhere(session, town):
    placed = T0 + 24 * DAY
    _rated(session, town, 2, at=placed + DAY, placed=placed)  # due 11 April, nothing done yet
    now = placed + 3 * DAY
    assert follow_ups.rates(session, actor=town.manager, now=now, **MARCH).needed == 0
    assert follow_ups.rates(session, actor=town.manager, now=now, **APRIL).needed == 0


# --- 四舍五入 --------------------------------------------------------------------------------


@pytest.mark.parametrize("value, places, expected", [
    (3.625, 2, 3.63),     # round() gives 3.62
    (2.675, 2, 2.68),     # binary 2.67499…: round() gives 2.67
    (0.125, 2, 0.13),
    (2.5, 0, 3.0),        # round() gives 2
    (-2.5, 0, -3.0),      # away from zero
    (12.25, 1, 12.3),
    (12.24, 1, 12.2),
    (None, 1, None),
])
def test_half_up_rounds_halves_away_from_zero(value, places, expected):
    assert half_up(value, places) == expected


@pytest.mark.parametrize("numerator, denominator, shown", [
    (13, 16, 81.3),   # 81.25 %
    (1, 8, 12.5),
    (29, 200, 14.5),  # 0.145 * 100 is 14.499… in binary
    (1, 3, 33.3),
    (2, 3, 66.7),
    (0, 5, 0.0),
    (3, 0, None),     # nothing to divide by: no figure, not 0 %
])
def test_a_percentage_is_formed_once_and_rounded_half_up(numerator, denominator, shown):
    assert percent_value(rate(numerator, denominator)) == shown


def test_the_satisfaction_average_rounds_half_up(session, town):
    """Eight ratings summing to 29: the mean 3.625 shows as 3.63, not 3.62."""
    for level in (5, 5, 4, 4, 3, 3, 3, 2):
        _rated(session, town, level)
    summary = satisfaction.summary(session, actor=town.manager, **MARCH)
    assert (summary["ratings"], summary["average"]) == (8, 3.63)
    frame = satisfaction.breakdown(session, actor=town.manager, by="team", **MARCH)
    assert list(frame["average"]) == [3.63]


# --- 满意度 comments: "50 / 76", pages, which ones --------------------------------------------


def test_comments_come_in_pages_with_the_total(session, town):
    """76 low ratings with a comment and 2 more that are not listed (a 4 with a comment, a 2
    without one): the first page shows 50 of 76, the second the other 26, lowest first."""
    for i in range(76):
        _rated(session, town, 1 + i % 3, comment=f"意见{i}",
               at=DONE + DAY + i * timedelta(minutes=1))
    _rated(session, town, 4, comment="很好")
    _rated(session, town, 2)
    first, total = satisfaction.comment_page(session, actor=town.leader, **MARCH)
    second, again = satisfaction.comment_page(session, actor=town.leader, offset=50, **MARCH)
    assert (len(first), total, len(second), again) == (50, 76, 26, 76)
    levels = [r["level"] for r in first + second]
    assert levels == sorted(levels) and levels.count(1) == 26 and levels.count(3) == 25
    assert len({r["comment"] for r in first + second}) == 76
    # within a level the newest comes first
    ones = [r["comment"] for r in first if r["level"] == 1]
    assert ones[:2] == ["意见75", "意见72"]


def test_comments_of_the_ranked_items_and_teams_only_when_some_are_ranked(session, town):
    _rated(session, town, 2, comment="队伍A的意见")
    rows, total = satisfaction.comment_page(session, actor=town.leader, team_ids=(town.team_b,),
                                            **MARCH)
    assert (rows, total) == ([], 0)
    rows, total = satisfaction.comment_page(session, actor=town.leader, **MARCH)
    assert total == 1 and rows[0]["comment"] == "队伍A的意见"
