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


def test_every_transition_moves_the_version_on_by_one(db_url, session, town):
    """The compare-and-set is a Core UPDATE on the session's connection (services/orders.py),
    which the session's hooks do not see: it marks the write itself."""
    order = place(session, town)
    for step in (lambda: orders.dispatch(session, actor=town.manager, order_id=order.id,
                                         team_id=town.team_a),
                 lambda: orders.accept(session, actor=town.lead_a, order_id=order.id),
                 lambda: orders.cancel(session, actor=town.manager, order_id=order.id,
                                       reason="居民已自行解决")):
        before = db.data_version(db_url)
        step()
        assert db.data_version(db_url) == before + 1


def test_an_object_added_and_committed_unflushed_moves_the_version_on(db_url, session, town):
    """SQLAlchemy runs before_commit before its last flush: the hook flushes first."""
    order = place(session, town)
    before = db.data_version(db_url)
    order.title = "未冲刷的修改"
    session.add(order)
    session.commit()
    assert db.data_version(db_url) == before + 1


def test_two_processes_started_together_migrate_one_at_a_time(tmp_path):
    """Each process migrates on start; on one empty database they must not both create the
    tables (on PostgreSQL an advisory lock makes the second wait and find the schema at head)."""
    import subprocess
    import sys

    from tests import engines

    if engines.on_postgres():
        url = engines.fresh_database("two_starts")
    else:
        url = f"sqlite:///{tmp_path / 'two.db'}"
    code = ("import sys; from core import db; db.upgrade(sys.argv[1]); "
            "print(db.data_version(sys.argv[1]))")
    procs = [subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-2000:] for _, err in results]
    assert [out.strip() for out, _ in results] == ["0", "0", "0"]


def test_a_login_right_or_wrong_leaves_the_version_alone(db_url, session, town):
    """A login writes only its audit row and lockout, which no kept figure reads: the figures
    every process keeps stay valid across it (the overview after a login is not recomputed).
    The next real write moves the version on as ever."""
    from services import users
    from services.errors import LoginRefused
    from tests.factories import PASSWORD

    before = db.data_version(db_url)
    with pytest.raises(LoginRefused):
        users.verify_login(session, username=town.manager.username, password="不对的密码")
    assert users.verify_login(session, username=town.manager.username,
                              password=PASSWORD).id == town.manager.id
    assert db.data_version(db_url) == before
    place(session, town, title="登录之后")
    assert db.data_version(db_url) == before + 1
