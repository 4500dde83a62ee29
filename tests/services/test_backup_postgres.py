"""Backups and restores on PostgreSQL (pg_dump custom format, checked by pg_restore --list):
taken while writers run, restored into another database that keeps every rule, and refused
where they would hurt. The SQLite path is tests/services/test_backup.py."""

from __future__ import annotations

import time

import pytest

from core import backup, db
from diandan.__main__ import main
from models import WorkOrder
from tests import engines
from tests.services.steps import count
from tests.soak.invariants import problems
from tests.soak.load import lost, run_writers

pytestmark = pytest.mark.skipif(not engines.on_postgres(),
                                reason="PostgreSQL only (DIANDAN_TEST_DATABASE_URL)")


def test_a_dump_taken_while_writers_run_restores_to_a_database_that_keeps_every_rule(
        db_url, town, session, tmp_path):
    before = count(session, WorkOrder)
    session.close()
    taken = []

    def back_up_midway(_stop):
        time.sleep(1.0)
        taken.append(backup.take(db_url, tmp_path / "midway.dump"))

    seen = run_writers(db_url, town, 4, seconds=2.5, beside=back_up_midway)
    assert seen.steps > 20 and not seen.errors and lost(db_url, seen) == []
    report = taken[0]
    assert report.integrity == "ok" and report.rows["tables with data"] > 10
    restored = engines.fresh_database("restored_dump")
    with pytest.raises(backup.BackupError, match="--force"):
        backup.restore(restored, report.path)  # PostgreSQL: only when told to
    backup.restore(restored, report.path, force=True)
    assert problems(restored) == []
    with db.session(restored) as s:
        in_backup = count(s, WorkOrder)
    with db.session(db_url) as s:
        at_end = count(s, WorkOrder)
    assert before < in_backup < at_end  # taken midway
    db.engine(restored).dispose()


def test_a_file_that_is_not_a_dump_is_refused_and_nothing_is_replaced(db_url, town, tmp_path):
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a dump at all" * 100)
    with db.session(db_url) as s:
        orders = count(s, WorkOrder)
    with pytest.raises(backup.BackupError, match="pg_restore"):
        backup.restore(db_url, junk, force=True)
    with db.session(db_url) as s:
        assert count(s, WorkOrder) == orders


def test_the_command_dumps_and_checks_on_postgresql(db_url, town, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DIANDAN_DATABASE_URL", db_url)
    monkeypatch.setenv("DIANDAN_DATA_DIR", str(tmp_path))
    assert main(["backup"]) == 0
    made = list((tmp_path / "backups").glob("diandan-*.dump"))
    assert len(made) == 1
    assert "integrity: ok" in capsys.readouterr().out
    assert main(["check", str(made[0])]) == 0
    assert main(["health"]) == 0
