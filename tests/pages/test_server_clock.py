"""The pages must count "today" in the app's time zone (设置 → timezone), not in the server's.

A server in UTC (the usual container default) running the default Asia/Shanghai setting has a
different date from its users every night from 00:00 to 08:00 Beijing time. To make that
reproducible at any hour, these tests put the server clock at UTC-12 and the app at UTC+14
(Pacific/Kiritimati): the app's local date is then always one or two days after the server's.
"""

from __future__ import annotations

from datetime import date

import pytest

from core import db
from models import OrderStatus, WorkOrder
from services import clock, settings
from tests.pages.conftest import goto, open_app, select_code, submit, values, zh

APP_ZONE = "Pacific/Kiritimati"


@pytest.fixture
def far_apart(world, server_timezone):
    server_timezone("Etc/GMT+12")
    with db.write_session(world.url) as s:
        settings.update(s, actor=world.town.manager, values={"timezone": APP_ZONE})
    assert clock.local_today(db.utcnow(), APP_ZONE) > date.today()  # the premise
    return world


def test_the_team_lead_accepts_with_the_planned_date_the_form_suggests(far_apart):
    world = far_apart
    order_id, code = world.orders.dispatched_a
    at = goto(open_app(world.town.lead_a), "my_orders.py")
    select_code(at, "my_orders_table_dispatched", code)
    submit(at, zh("my_orders.accept"))  # the date input left at its default, "today"
    with db.session(world.url) as s:
        status = s.get(WorkOrder, order_id).status
    assert (values(at.error), status) == ([], OrderStatus.accepted)


def test_the_overview_counts_the_orders_placed_today(far_apart):
    at = goto(open_app(far_apart.town.leader), "overview.py")
    tiles = {m.label: m.value for m in at.metric}
    assert tiles[zh("overview.placed")] == "5"
