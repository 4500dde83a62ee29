"""积分 by hand and the 积分超市: adjustments with a reason, goods, redemption at the counter in
one transaction (two redemptions of the last item: one wins), cancellation, expiry, the export,
and balance = sum of lines over a built town."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from core import db
from models import AuditLog, PointsEntry, PointsReason, Redemption, Reward
from services import points, settings, store
from services.errors import DomainError, Forbidden, Invalid, NotFound
from tests.factories import build_town
from tests.services.steps import T0, S, count, order_in, run_together
from ui.i18n import words_in

ZH = words_in("zh")


def _give(session, town, vid, n, at=T0):
    return points.adjust(session, actor=town.manager, volunteer_id=vid, points=n,
                         reason="开办积分", now=at)


def _reward(session, town, *, cost=30, stock=2, name="雨伞"):
    return store.save_reward(session, actor=town.manager, name=name, cost=cost, stock=stock,
                             site_id=town.station)


def test_an_adjustment_is_a_new_line_with_its_reason_and_is_audited(session, town):
    vid = town.volunteers_a[0]
    _give(session, town, vid, 50)
    points.adjust(session, actor=town.manager, volunteer_id=vid, points=-20, reason="重复计分")
    lines = session.exec(select(PointsEntry.points, PointsEntry.reason, PointsEntry.note,
                                PointsEntry.by_user_id)
                         .where(PointsEntry.volunteer_id == vid)).all()
    assert lines == [(50, PointsReason.adjustment, "开办积分", town.manager.id),
                     (-20, PointsReason.adjustment, "重复计分", town.manager.id)]
    assert points.balances(session, [vid]) == {vid: 30}
    assert session.exec(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "points.adjust")).one() == 2


@pytest.mark.parametrize("change, reason, key", [
    (0, "原因", "error.points_zero"), (-1, "原因", "error.points_short"),
    (5, "", "error.required"), ("2.5", "原因", "error.number"),
    (100_001, "原因", "error.number_range")])
def test_bad_adjustments_are_refused_and_write_nothing(session, town, change, reason, key):
    with pytest.raises(Invalid) as err:
        points.adjust(session, actor=town.manager, volunteer_id=town.volunteers_a[0],
                      points=change, reason=reason)
    assert err.value.key == key
    session.rollback()
    assert count(session, PointsEntry) == 0


def test_only_managers_of_the_volunteers_site_adjust(session, town):
    with pytest.raises(Forbidden):
        points.adjust(session, actor=town.officer, volunteer_id=town.volunteers_a[0], points=5,
                      reason="x")
    with pytest.raises(Forbidden):
        points.adjust(session, actor=town.outsider, volunteer_id=town.volunteers_a[0], points=5,
                      reason="x")


def test_a_redemption_takes_stock_and_points_in_one_go(session, town):
    vid = town.volunteers_a[0]
    _give(session, town, vid, 100)
    reward = _reward(session, town, cost=30, stock=2)
    red = store.redeem(session, actor=town.manager, volunteer_id=vid, reward_id=reward.id,
                       quantity=2)
    session.refresh(reward)
    assert (reward.stock, red.points, points.balances(session, [vid])[vid]) == (0, 60, 40)
    with pytest.raises(Invalid) as err:
        store.redeem(session, actor=town.manager, volunteer_id=vid, reward_id=reward.id)
    assert err.value.key == "error.reward_out_of_stock"


def test_a_redemption_beyond_the_balance_changes_nothing(session, town):
    vid = town.volunteers_a[0]
    _give(session, town, vid, 20)
    reward = _reward(session, town, cost=30, stock=5)
    with pytest.raises(Invalid) as err:
        store.redeem(session, actor=town.manager, volunteer_id=vid, reward_id=reward.id)
    assert err.value.key == "error.points_short"
    assert err.value.params == {"available": 20, "needed": 30}
    assert session.get(Reward, reward.id).stock == 5
    assert count(session, Redemption) == 0
    assert points.balances(session, [vid]) == {vid: 20}


def test_a_retired_reward_cannot_be_redeemed(session, town):
    vid = town.volunteers_a[0]
    _give(session, town, vid, 100)
    reward = _reward(session, town)
    store.save_reward(session, actor=town.manager, reward_id=reward.id, name="雨伞", cost=30,
                      stock=2, site_id=town.station, active=False)
    with pytest.raises(Invalid):
        store.redeem(session, actor=town.manager, volunteer_id=vid, reward_id=reward.id)
    assert [r["name"] for r in store.rewards(session, actor=town.manager)] == []


@pytest.mark.parametrize("fields, key", [
    ({"name": "", "cost": 10, "stock": 1}, "error.required"),
    ({"name": "毛巾", "cost": 0, "stock": 1}, "error.number_range"),
    ({"name": "毛巾", "cost": 10, "stock": -1}, "error.number_range"),
    ({"name": "毛巾", "cost": "十", "stock": 1}, "error.number")])
def test_bad_goods_are_refused(session, town, fields, key):
    with pytest.raises(Invalid) as err:
        store.save_reward(session, actor=town.manager, site_id=town.station, **fields)
    assert err.value.key == key


def test_cancelling_gives_back_points_and_stock_once(session, town):
    vid = town.volunteers_a[0]
    _give(session, town, vid, 100)
    reward = _reward(session, town, cost=30, stock=1)
    red = store.redeem(session, actor=town.manager, volunteer_id=vid, reward_id=reward.id)
    store.cancel(session, actor=town.manager, redemption_id=red.id, reason="物品有破损")
    assert session.get(Reward, reward.id).stock == 1
    assert points.balances(session, [vid]) == {vid: 100}
    lines = session.exec(select(PointsEntry.points).where(PointsEntry.redemption_id == red.id)
                         .order_by(PointsEntry.id)).all()
    assert lines == [-30, 30]   # nothing rewritten: a line out, a line back
    with pytest.raises(Invalid) as err:
        store.cancel(session, actor=town.manager, redemption_id=red.id, reason="再来一次")
    assert err.value.key == "error.redemption_cancelled"
    rows, total = store.redemptions(session, actor=town.manager)
    assert total == 1 and rows[0]["cancelled"] and rows[0]["cancel_reason"] == "物品有破损"
    with pytest.raises(NotFound):
        store.cancel(session, actor=town.outsider, redemption_id=red.id, reason="x")


def _redeem_in_own_session(db_url, barrier, actor, vid, reward_id, won, lost):
    try:
        with db.write_session(db_url) as s:
            barrier.wait(timeout=10)
            store.redeem(s, actor=actor, volunteer_id=vid, reward_id=reward_id)
        won.append(vid)
    except DomainError as err:
        lost.append(err)
    except Exception as err:  # anything else fails the test below, with its cause
        lost.append(err)


def test_two_redemptions_of_the_last_item_at_once_have_one_winner(db_url):
    with db.write_session(db_url) as s:
        town = build_town(s)
        for vid in town.volunteers_a[:2]:
            _give(s, town, vid, 100)
        reward_ids = [_reward(s, town, cost=10, stock=1, name=f"最后一件{i}").id
                      for i in range(4)]
    for reward_id in reward_ids:
        barrier = threading.Barrier(2)
        won, lost = [], []
        threads = [threading.Thread(target=_redeem_in_own_session,
                                    args=(db_url, barrier, town.manager, vid, reward_id, won,
                                          lost)) for vid in town.volunteers_a[:2]]
        run_together(threads, timeout=20)
        assert len(won) == 1, lost
        assert len(lost) == 1 and getattr(lost[0], "key", "") == "error.reward_out_of_stock"
        with db.session(db_url) as s:
            assert s.get(Reward, reward_id).stock == 0
            assert s.exec(select(func.count()).select_from(Redemption)
                          .where(Redemption.reward_id == reward_id)).one() == 1


def test_expiry_is_off_by_default_and_then_spends_oldest_first(session, town):
    vid = town.volunteers_a[0]
    now = datetime(2026, 6, 1, tzinfo=UTC)
    _give(session, town, vid, 50, at=now - timedelta(days=3 * 365))
    _give(session, town, vid, 30, at=now - timedelta(days=30))
    points.adjust(session, actor=town.manager, volunteer_id=vid, points=-20, reason="兑换旧账",
                  now=now - timedelta(days=10))
    assert points.standing(session, vid, now=now).__dict__ == {
        "balance": 60, "expired": 0, "available": 60, "expiry_years": 0}
    settings.update(session, actor=town.manager, values={"points_expiry_years": 2})
    # 50 old points, 20 spent since: 30 of them expired; the 30 recent ones are left
    assert points.standing(session, vid, now=now).__dict__ == {
        "balance": 60, "expired": 30, "available": 30, "expiry_years": 2}
    reward = _reward(session, town, cost=40, stock=1)
    with pytest.raises(Invalid) as err:
        store.redeem(session, actor=town.manager, volunteer_id=vid, reward_id=reward.id,
                     now=now)
    assert err.value.params == {"available": 30, "needed": 40}


def test_the_store_export_has_stock_and_redemptions(session, town):
    vid = town.volunteers_a[0]
    _give(session, town, vid, 100)
    reward = _reward(session, town, cost=30, stock=3, name="=1+1")
    store.redeem(session, actor=town.manager, volunteer_id=vid, reward_id=reward.id)
    book = load_workbook(io.BytesIO(store.export_store(session, actor=town.manager, words=ZH)))
    stock = list(book[ZH("points_store.sheet_stock")].iter_rows(values_only=True))
    assert stock[1][:4] == ("=1+1", "青山镇", 30, 2)
    done = list(book[ZH("points_store.sheet_redemptions")].iter_rows(values_only=True))
    assert done[1][1:5] == ("志愿者0", "=1+1", 1, 30)


def test_balance_is_the_sum_of_lines_for_every_volunteer_of_a_busy_town(session, town):
    for status in (S.completed, S.rated, S.completed):
        order_in(session, town, status)
    vid = town.volunteers_a[0]
    reward = _reward(session, town, cost=5, stock=10)
    red = store.redeem(session, actor=town.manager, volunteer_id=vid, reward_id=reward.id)
    store.cancel(session, actor=town.manager, redemption_id=red.id, reason="不要了")
    store.redeem(session, actor=town.manager, volunteer_id=vid, reward_id=reward.id)
    sums = dict(session.exec(select(PointsEntry.volunteer_id, func.sum(PointsEntry.points))
                             .group_by(PointsEntry.volunteer_id)).all())
    assert points.balances(session, list(sums)) == sums
    for v, total in sums.items():
        assert points.standing(session, v).balance == total
