"""Speed for the service tests: migrate once and build the test town once per run, then give
each test a fresh copy of that file (a copy is ~1 ms; migrating and building is ~200 ms), always
at the same path so that one engine, with its cache of compiled SQL, serves every test.

The fixtures keep the names and meaning of tests/conftest.py: `db_url` is a fresh migrated
database for this test alone, `session` a write session on it, and `town` the town of
tests/factories.py. A test that asks for `town` starts from a copy that already holds it; any
other test starts from an empty migrated database.

On PostgreSQL (tests/engines.py) the templates are databases and each test gets a database
created from one of them, always under the same name, for the same reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core import db
from tests import engines
from tests.factories import Town, build_town


def _postgres_templates() -> tuple[dict, Town]:
    built = {}
    for name in ("empty", "town"):
        url = engines.fresh_database(f"svc_{name}")
        db.upgrade(url)
        if name == "town":
            with db.write_session(url) as s:
                built["town_data"] = build_town(s)
        db.engine(url).dispose()  # a template must have no connections when it is copied
        built[name] = f"svc_{name}"
    return built, built.pop("town_data")


@pytest.fixture(scope="session")
def _templates(tmp_path_factory) -> tuple[dict, Town]:
    if engines.on_postgres():
        return _postgres_templates()
    folder = tmp_path_factory.mktemp("templates")
    empty_url = f"sqlite:///{folder / 'work-empty.db'}"
    town_url = f"sqlite:///{folder / 'work-town.db'}"
    db.upgrade(empty_url)
    db.upgrade(town_url)
    with db.write_session(town_url) as s:
        town = build_town(s)
    files = {}
    for name, url in (("empty", empty_url), ("town", town_url)):
        files[name] = folder / f"{name}.db"
        db.backup(url, files[name])  # VACUUM INTO: one clean file, no -wal beside it
        db.engine(url).dispose()
    files["work"] = folder / "work.db"
    return files, town


@pytest.fixture
def db_url(request, _templates):
    # One path for every test, so the engine (and SQLAlchemy's cache of compiled statements,
    # which lives on it) is made once; each test gets a fresh copy of a template at that path.
    files, _ = _templates
    template = "town" if "town" in request.fixturenames else "empty"
    if engines.on_postgres():
        yield from _postgres_copy(files[template])
        return
    url = f"sqlite:///{files['work']}"
    engine = db.engine(url)
    engine.dispose()  # close the previous test's connections before replacing the file
    for suffix in ("-wal", "-shm"):
        Path(f"{files['work']}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(files[template], files["work"])
    yield url
    # A connection still out now would outlive the file it points at.
    assert engine.pool.checkedout() == 0, "a session or connection was left open by the test"


def _postgres_copy(template: str):
    url = engines.database_url(engines.database_name("svc_work"))
    engine = db.engine(url)
    engine.dispose()  # DROP DATABASE waits for no one: close the previous test's connections
    engines.fresh_database("svc_work", template=template)
    yield url
    assert engine.pool.checkedout() == 0, "a session or connection was left open by the test"


@pytest.fixture
def town(session, _templates) -> Town:
    return _templates[1]
