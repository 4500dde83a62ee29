"""Shared fixtures: an in-memory database built by the migrations, and a small town made
through the services (the same functions users call)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core import db
from models import OrderEvent
from services import users
from tests import engines
from ui import charts

users.BCRYPT_ROUNDS = 4  # hashing cost is not what these tests measure
charts.CHECK_SPECS = True  # every chart a page test draws is checked against Vega-Lite's schema


def pytest_configure(config):
    # Streamlit logs "missing ScriptRunContext" for every widget drawn outside a server; the
    # AppTest runs have their own context, so these lines are only noise in the test output.
    from streamlit import logger

    logger.set_log_level("error")


@pytest.fixture(scope="session", autouse=True)
def _postgres_databases():
    """On PostgreSQL (tests/engines.py), drop the databases this run made when it ends."""
    yield
    if engines.on_postgres():
        engines.drop_all()


@pytest.fixture
def db_url(tmp_path):
    if engines.on_postgres():
        url = engines.fresh_database("test")
    else:
        url = f"sqlite:///{tmp_path / 'test.db'}"
    db.upgrade(url)
    yield url
    db.engine(url).dispose()


@pytest.fixture
def session(db_url):
    with db.write_session(db_url) as s:
        yield s


@pytest.fixture
def town(session):
    from tests.factories import build_town

    return build_town(session)


def last_event(session: Session) -> OrderEvent:
    return session.exec(select(OrderEvent).order_by(OrderEvent.id.desc()).limit(1)).one()
