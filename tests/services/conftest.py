"""Speed for the service tests: migrate once and build the test town once per run, then give
each test its own copy of that file (a copy is ~1 ms; migrating and building is ~200 ms).

The fixtures keep the names and meaning of tests/conftest.py: `db_url` is a fresh migrated file
of this test's own, `session` a write session on it, and `town` the town of tests/factories.py.
A test that asks for `town` starts from a copy that already holds it; any other test starts from
an empty migrated database.
"""

from __future__ import annotations

import shutil

import pytest

from core import db
from tests.factories import Town, build_town


@pytest.fixture(scope="session")
def _templates(tmp_path_factory) -> tuple[dict, Town]:
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
    return files, town


@pytest.fixture
def db_url(request, tmp_path, _templates):
    files, _ = _templates
    target = tmp_path / "test.db"
    shutil.copyfile(files["town" if "town" in request.fixturenames else "empty"], target)
    return f"sqlite:///{target}"


@pytest.fixture
def town(session, _templates) -> Town:
    return _templates[1]
