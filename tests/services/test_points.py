"""积分: hours earn points when an order is marked done, a correction moves them by the
difference, and the ledger is written nowhere but services/points.py."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from models import PointsEntry, PointsReason
from services import completions, points, settings
from tests.services.steps import T0, S, good_completion, order_in

ROOT = Path(__file__).resolve().parents[2]


def _lines(session, order_id):
    return session.exec(select(PointsEntry.volunteer_id, PointsEntry.points, PointsEntry.reason,
                               PointsEntry.note)
                        .where(PointsEntry.order_id == order_id)
                        .order_by(PointsEntry.id)).all()


def test_completion_credits_ten_points_an_hour_rounded(session, town):
    order = order_in(session, town, S.completed)   # 2 h and 3.5 h
    v0, v1 = town.volunteers_a[:2]
    assert _lines(session, order.id) == [(v0, 20, PointsReason.service, order.code),
                                         (v1, 35, PointsReason.service, order.code)]
    assert points.balances(session, [v0, v1, town.volunteers_a[2]]) == {v0: 20, v1: 35}


def test_the_rate_is_the_setting_and_zero_writes_no_lines(session, town):
    settings.update(session, actor=town.manager, values={"points_per_hour": 3})
    order = order_in(session, town, S.completed)
    assert [p for _v, p, _r, _n in _lines(session, order.id)] == [6, 10]   # 6 and 10.5 → 10
    settings.update(session, actor=town.manager, values={"points_per_hour": 0})
    order = order_in(session, town, S.completed)
    assert _lines(session, order.id) == []


def test_a_correction_that_changes_no_hours_adds_no_line(session, town):
    order = order_in(session, town, S.completed, at=T0)
    before = _lines(session, order.id)
    completions.correct(session, actor=town.lead_a, order_id=order.id, done=good_completion(town),
                        reason="只改备注", now=T0 + timedelta(hours=5))
    assert _lines(session, order.id) == before


def test_balances_of_nobody_is_empty(session):
    assert points.balances(session, []) == {}


def test_only_the_points_module_writes_the_ledger():
    writers = [p.name for p in (ROOT / "services").glob("*.py")
               if re.search(r"\bPointsEntry\(", p.read_text(encoding="utf-8"))]
    assert writers == ["points.py"]
