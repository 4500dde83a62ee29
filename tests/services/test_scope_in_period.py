"""scope.orders_of_in_period: the same orders as scope.orders_of, whichever index it lets a
period's query start from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from models import WorkOrder
from services import scope
from tests.factories import place

FIRST = datetime(2025, 1, 10, 2, tzinfo=UTC)


def _ids(session, conditions) -> set[int]:
    return set(session.exec(select(WorkOrder.id).where(*conditions)).all())


def _sql(session, conditions) -> str:
    return str(select(WorkOrder.id).where(*conditions).compile(session.get_bind()))


def test_a_short_or_long_period_selects_the_same_orders_as_the_plain_scope(session, town):
    for n, site in enumerate((town.village_a, town.village_b, town.village_a)):
        place(session, town, site_id=site, now=FIRST + timedelta(days=200 * n))
    place(session, town, actor=town.outsider, site_id=town.other_station,
          now=FIRST + timedelta(days=10))
    plain = _ids(session, scope.orders_of(session, town.manager))
    assert len(plain) == 3
    # a month of about 400 days of history, for 3 of the 5 sites: start from the time index
    month = scope.orders_of_in_period(session, town.manager, date(2026, 2, 1), date(2026, 2, 28))
    assert "+" in _sql(session, month)
    # the whole history: start from the site index, as orders_of does
    every = scope.orders_of_in_period(session, town.manager, date(2025, 1, 1), date(2026, 2, 28))
    assert "+" not in _sql(session, every)
    assert _ids(session, month) == _ids(session, every) == plain
