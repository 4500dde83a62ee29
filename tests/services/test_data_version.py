"""The data version (core/db.py) moves on with every committed write and only then: what app
processes keep in memory is keyed by it (ui/freshness.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import select

from core import db
from models import DataVersion, WorkOrder
from services import orders, reports
from services.errors import DomainError
from tests.factories import place


def test_a_service_write_moves_the_version_on_by_one(db_url, session, town):
    before = db.data_version(db_url)
    place(session, town, title="版本测试")
    assert db.data_version(db_url) == before + 1


def test_a_read_leaves_the_version_alone(db_url, session, town):
    from datetime import date

    before = db.data_version(db_url)
    reports.overview(session, actor=town.manager, start=date(2026, 1, 1), end=date(2026, 12, 31))
    session.commit()
    assert db.data_version(db_url) == before


def test_a_refused_change_leaves_the_version_alone(db_url, session, town):
    order = place(session, town)
    before = db.data_version(db_url)
    with pytest.raises(DomainError):
        orders.accept(session, actor=town.lead_a, order_id=order.id)  # not dispatched yet
    session.rollback()
    assert db.data_version(db_url) == before


def test_a_rolled_back_write_leaves_the_version_alone(db_url, session, town):
    order = place(session, town)
    before = db.data_version(db_url)
    order.title = "不会保存"
    session.add(order)
    session.flush()
    session.rollback()
    session.commit()
    assert db.data_version(db_url) == before


def test_an_update_statement_through_a_session_moves_the_version_on(db_url, session, town):
    order = place(session, town)
    before = db.data_version(db_url)
    session.exec(update(WorkOrder).where(WorkOrder.id == order.id).values(title="直接改"))
    session.commit()
    assert db.data_version(db_url) == before + 1
    assert session.exec(select(DataVersion.n)).one() == before + 1
