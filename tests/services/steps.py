"""Steps that bring an order of the test town to a given state through the services, with an
injected clock, and small counting helpers shared by the service tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from models import OrderStatus, RatingChannel
from services import completions, orders, ratings
from services import settings as settings_service
from tests.factories import Town, place

S = OrderStatus
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def good_completion(town: Town) -> completions.Completion:
    return completions.Completion(beneficiaries={"elderly": 10, "general": 5},
                                  hours={town.volunteers_a[0]: 2, town.volunteers_a[1]: 3.5},
                                  note="顺利完成")


def order_in(session: Session, town: Town, status: OrderStatus, *, at: datetime = T0,
             **overrides):
    """A fresh order of the town brought to `status`, one hour per step after `at`.

    Dispatched, accepted, completed, rated and cancelled orders belong to team A; a cancelled
    order is cancelled after being accepted, so it still carries its team."""
    step = timedelta(hours=1)
    order = place(session, town, now=at, **overrides)
    if status == S.submitted:
        return order
    order = orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                            now=at + step)
    if status == S.dispatched:
        return order
    order = orders.accept(session, actor=town.lead_a, order_id=order.id, now=at + 2 * step)
    if status == S.accepted:
        return order
    if status == S.cancelled:
        return orders.cancel(session, actor=town.manager, order_id=order.id, reason="居民搬走",
                             now=at + 3 * step)
    if status == S.in_review:  # 中心审核 switched on for it (and left on)
        review_on(session, town)
    order = completions.complete(session, actor=town.lead_a, order_id=order.id,
                                 done=good_completion(town), now=at + 3 * step)
    if status in (S.completed, S.in_review):
        return order
    return ratings.rate(session, actor=town.officer, order_id=order.id, level=5,
                        channel=RatingChannel.call, now=at + 4 * step)


def review_on(session: Session, town: Town, on: bool = True) -> None:
    """Switch 中心审核 (the setting review_required) on or off."""
    settings_service.update(session, actor=town.manager, values={"review_required": int(on)})


def run_together(threads: list, timeout: float = 30) -> None:
    """Start the threads, wait for them all, and fail if one is still stuck."""
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads)
