"""Backups and restores: online and consistent while writers run, checked, pruned, refused
where they would hurt (a running app, an existing database), and the manager's audited
download."""

from __future__ import annotations

import gzip
import sqlite3
import time

import pytest
from sqlmodel import select

from core import backup, db
from diandan.__main__ import main
from models import AuditAction, AuditLog, WorkOrder
from services import backups, users
from services.errors import Forbidden
from tests.engines import skip_on_postgres
from tests.services.steps import count
from tests.soak.invariants import problems
from tests.soak.load import lost, run_writers

# The backup command's SQLite path (backup API, integrity_check); pg_dump and pg_restore are in
# tests/services/test_backup_postgres.py.
pytestmark = skip_on_postgres


def test_a_backup_taken_while_writers_run_restores_to_a_database_that_keeps_every_rule(
        db_url, town, session, tmp_path):
    before = count(session, WorkOrder)
    session.close()
    taken = []

    def back_up_midway(_stop):
        time.sleep(1.0)
        taken.append(backup.take(db_url, tmp_path / "midway.db"))

    seen = run_writers(db_url, town, 4, seconds=2.5, beside=back_up_midway)
    assert seen.steps > 20 and not seen.errors and lost(db_url, seen) == []
    report = taken[0]
    assert report.integrity == "ok"
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    backup.restore(restored, report.path)
    assert problems(restored) == []
    with db.session(restored) as s:
        in_backup = count(s, WorkOrder)
    with db.session(db_url) as s:
        at_end = count(s, WorkOrder)
    # Taken midway: more than the town had, fewer than the writers left, and as counted.
    assert before < in_backup == report.rows["workorder"] < at_end
    db.engine(restored).dispose()


def test_restore_refuses_a_database_a_running_app_has_open(db_url, town, tmp_path):
    copy = backup.take(db_url, tmp_path / "copy.db")
    with pytest.raises(backup.BackupError, match="running Diandan process"):
        backup.restore(db_url, copy.path, force=True)


def test_restore_replaces_an_existing_database_only_when_told_and_keeps_the_old_one(
        db_url, town, tmp_path):
    first = backup.take(db_url, tmp_path / "first.db")
    target = tmp_path / "live" / "diandan.db"
    backup.restore(f"sqlite:///{target}", first.path)
    with pytest.raises(backup.BackupError, match="--force"):
        backup.restore(f"sqlite:///{target}", first.path)
    backup.restore(f"sqlite:///{target}", first.path, force=True)
    kept = list(target.parent.glob("diandan.db.before-restore-*"))
    assert len(kept) == 1 and backup.check(kept[0]).integrity == "ok"


def test_a_file_that_is_not_a_diandan_database_is_refused(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    for path in (junk, other, tmp_path / "missing.db"):
        with pytest.raises(backup.BackupError):
            backup.restore(f"sqlite:///{tmp_path / 'target.db'}", path)
    assert not (tmp_path / "target.db").exists()


def test_the_backup_folder_keeps_the_newest_n(db_url, town, tmp_path, monkeypatch):
    monkeypatch.setenv("DIANDAN_DATA_DIR", str(tmp_path))
    folder = tmp_path / "backups"
    folder.mkdir()
    for stamp in ("20260101-000000", "20260102-000000", "20260103-000000"):
        (folder / f"diandan-{stamp}.db").write_bytes(b"old")
    (folder / "notes.txt").write_text("not a backup")
    report = backup.take(db_url, keep=2)
    assert report.path.parent == folder
    left = sorted(p.name for p in folder.iterdir())
    assert left == ["diandan-20260103-000000.db", report.path.name, "notes.txt"]


def test_the_command_backs_up_checks_and_says_why_it_refuses(db_url, town, tmp_path, monkeypatch,
                                                             capsys):
    monkeypatch.setenv("DIANDAN_DATABASE_URL", db_url)
    monkeypatch.setenv("DIANDAN_DATA_DIR", str(tmp_path))
    assert main(["backup"]) == 0
    made = list((tmp_path / "backups").glob("diandan-*.db"))
    assert len(made) == 1
    out = capsys.readouterr().out
    assert "integrity: ok" in out and "workorder:" in out
    assert main(["check", str(made[0])]) == 0
    assert main(["restore", str(made[0])]) == 1  # the app (this process) has it open
    assert "stop the app" in capsys.readouterr().err
    assert main(["health"]) == 0


def test_health_fails_on_a_database_behind_the_code(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "old.db"
    sqlite3.connect(empty).close()
    monkeypatch.setenv("DIANDAN_DATABASE_URL", f"sqlite:///{empty}")
    assert main(["health"]) == 1
    assert "migration" in capsys.readouterr().out


def test_the_manager_of_the_whole_install_downloads_a_checked_backup_and_it_is_audited(
        db_url, town, session, tmp_path):
    boss = users.to_actor(session, users.by_username(session, "boss"))
    name, content = backups.download(session, actor=boss, url=db_url)
    unpacked = tmp_path / "download.db"
    unpacked.write_bytes(gzip.decompress(content))
    assert name.endswith(".db.gz") and backup.check(unpacked).integrity == "ok"
    row = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert (row.action, row.actor_id, row.target) == (AuditAction.backup_download, boss.id, name)


@pytest.mark.parametrize("who", ["manager", "outsider", "leader"])
def test_a_manager_of_part_of_the_install_or_another_role_cannot_download(session, town, who):
    with pytest.raises(Forbidden):
        backups.download(session, actor=getattr(town, who), url="sqlite://")
