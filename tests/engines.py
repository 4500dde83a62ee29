"""Which database engine the tests run on, and fresh PostgreSQL databases for them.

By default every test gets its own SQLite file. With `DIANDAN_TEST_DATABASE_URL` set to a
PostgreSQL URL of a user allowed to create databases (`.ci/postgres start` prints one), the
service, page and browser tests run on PostgreSQL instead: the fixtures migrate (and fill) a
template database once per run, and each test gets `CREATE DATABASE … TEMPLATE` of it (~0.1 s,
measured on the CI machine: a copy is cheaper than truncating and rebuilding the town).
"""

from __future__ import annotations

import os
from functools import cache

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

ENV = "DIANDAN_TEST_DATABASE_URL"
SQLITE_ONLY = "SQLite only: the PostgreSQL run has its own test of this"


def postgres_url() -> str | None:
    """The admin URL of the PostgreSQL the tests run on, or None for SQLite."""
    url = os.environ.get(ENV, "").strip()
    if not url:
        return None
    if not url.startswith("postgresql"):
        raise pytest.UsageError(f"{ENV} must be a postgresql+psycopg:// URL, not {url!r}")
    return url


def on_postgres() -> bool:
    return postgres_url() is not None


skip_on_postgres = pytest.mark.skipif(on_postgres(), reason=SQLITE_ONLY)


@cache
def _admin() -> Engine:
    # CREATE / DROP DATABASE cannot run inside a transaction.
    return create_engine(postgres_url(), isolation_level="AUTOCOMMIT", pool_size=1)


def database_url(name: str) -> str:
    """The URL of database `name` on the tests' PostgreSQL server."""
    return make_url(postgres_url()).set(database=name).render_as_string(hide_password=False)


def _prefix() -> str:
    # Several test runs (two checkouts, a CI run beside a developer's) may share one server.
    return f"dd{os.getpid()}_"


def database_name(name: str) -> str:
    """The real name of this run's database `name`."""
    return _prefix() + name


def fresh_database(name: str, template: str | None = None) -> str:
    """Drop database `name` if it is there and create it anew, empty or as a copy of
    `template`; returns its URL. Names are prefixed with this run's process id."""
    full = database_name(name)
    with _admin().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{full}" WITH (FORCE)'))
        source = f' TEMPLATE "{database_name(template)}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{full}"{source}'))
    return database_url(full)


def drop_all() -> None:
    """Drop every database this run made (at the end of the session)."""
    with _admin().connect() as conn:
        names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                             {"p": _prefix().replace("_", r"\_") + "%"}).scalars().all()
        for full in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{full}" WITH (FORCE)'))
    _admin().dispose()
