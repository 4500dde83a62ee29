"""Soak runs: `pytest -m soak` (not in the default run). SOAK_SECONDS sets how long each load
runs (default 60, the figures in the README); .ci/run runs them with a few seconds each.

Each test gets its own database file with the test town, built through the services, and
password hashing at the production cost where a test measures logins."""

from __future__ import annotations

import os
import shutil

import pytest

from core import db
from tests.factories import build_town


def seconds(default: float = 60.0) -> float:
    try:
        return max(1.0, float(os.environ.get("SOAK_SECONDS", default)))
    except ValueError:
        return default


def report(name: str, line: str) -> None:
    """One figure per line in the terminal (pytest -s) and in soak-results.txt beside the
    database of the run, for the README's table."""
    out = os.environ.get("SOAK_RESULTS")
    text = f"{name}: {line}"
    print(text)
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")


@pytest.fixture(scope="session")
def _soak_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("soak")
    url = f"sqlite:///{folder / 'build.db'}"
    db.upgrade(url)
    with db.write_session(url) as s:
        town = build_town(s)
    db.backup(url, folder / "template.db")
    db.engine(url).dispose()
    return folder / "template.db", town


@pytest.fixture
def soak_db(_soak_template, tmp_path):
    template, town = _soak_template
    target = tmp_path / "soak.db"
    shutil.copyfile(template, target)
    url = f"sqlite:///{target}"
    yield url, town
    db.engine(url).dispose()
