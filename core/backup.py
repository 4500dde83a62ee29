"""Backups and restores of the database, for operators (`python -m diandan`) and for the 设置
page's download.

- **SQLite**: an online, consistent copy by `VACUUM INTO` (never a copy of the live file, which
  may be mid-write and has a -wal beside it), checked before it is kept: `PRAGMA
  integrity_check` must say "ok" and every table's rows are counted. Then it gets its final name
  (the copy is written under a temporary one, so a backup folder never holds a half file) and the
  oldest backups beyond DIANDAN_BACKUP_KEEP are deleted.
- **PostgreSQL**: `pg_dump --format=custom`, checked by `pg_restore --list`.
- **Restore** replaces the database file with a checked backup, and refuses while any app
  process has the database open: each process holds a shared lock on `<database>.inuse` from its
  first connection (core/db.py), and restore needs it exclusively. It also refuses to replace an
  existing database unless told to (`--force`); the replaced file is kept beside it.
"""

from __future__ import annotations

import fcntl
import gzip
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from core import config

PREFIX = "diandan-"
SQLITE_SUFFIX = ".db"
PG_SUFFIX = ".dump"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why, for an operator."""


@dataclass
class Report:
    path: Path
    integrity: str
    rows: dict[str, int] = field(default_factory=dict)
    size: int = 0

    def lines(self) -> list[str]:
        out = [f"{self.path}  ({self.size / (1024 * 1024):.1f} MB)", f"integrity: {self.integrity}"]
        out += [f"  {name}: {count}" for name, count in sorted(self.rows.items())]
        return out


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(database)


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")


def default_target(url: str, folder: Path | None = None, now: datetime | None = None) -> Path:
    folder = folder or config.backup_dir()
    suffix = SQLITE_SUFFIX if is_sqlite(url) else PG_SUFFIX
    return folder / f"{PREFIX}{_stamp(now)}{suffix}"


# --- checking ------------------------------------------------------------------------------------


def check_sqlite(path: Path) -> Report:
    """integrity_check and the rows of every table of a SQLite file, opened read-only."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise BackupError(f"{path}: cannot be opened ({err})") from None
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        integrity = "; ".join(str(r[0]) for r in result)
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        rows = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{path}: not a readable SQLite database ({err})") from None
    finally:
        conn.close()
    if "alembic_version" not in rows:
        raise BackupError(f"{path}: not a Diandan database (no alembic_version table)")
    return Report(path=path, integrity=integrity, rows=rows, size=path.stat().st_size)


def check_dump(path: Path) -> Report:
    """A PostgreSQL custom-format dump that pg_restore can read, with its table count."""
    listing = _run(["pg_restore", "--list", str(path)])
    tables = [line for line in listing.splitlines() if " TABLE DATA " in line]
    return Report(path=path, integrity="ok" if tables else "no table data",
                  rows={"tables with data": len(tables)}, size=path.stat().st_size)


def check(path: Path) -> Report:
    return check_dump(path) if path.suffix == PG_SUFFIX else check_sqlite(path)


# --- taking --------------------------------------------------------------------------------------


def _vacuum_into(url: str, target: Path) -> None:
    # Its own connection, outside SQLAlchemy's pool and its BEGIN hook: VACUUM cannot run in a
    # transaction. VACUUM INTO reads one snapshot, so writers keep writing meanwhile.
    conn = sqlite3.connect(sqlite_path(url), timeout=config.db_timeout())
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
    finally:
        conn.close()


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as libpq takes it (no "+psycopg" driver part)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=3600)
    except FileNotFoundError:
        raise BackupError(f"{args[0]} not found: install the PostgreSQL client tools") from None
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def prune(folder: Path, keep: int, suffix: str) -> list[Path]:
    """Delete all but the newest `keep` backups of this kind in the folder; returns the deleted."""
    mine = sorted(folder.glob(f"{PREFIX}*{suffix}"))
    gone = mine[:-keep] if keep > 0 else []
    for old in gone:
        old.unlink(missing_ok=True)
    return gone


def take(url: str, target: Path | None = None, *, keep: int | None = None) -> Report:
    """An online, checked backup of the database at `target` (default: the backup folder, named
    by the time); when it lands in the backup folder, only the newest `keep` are kept."""
    target = Path(target) if target else default_target(url)
    if target.is_dir():
        target = default_target(url, folder=target)
    if target.exists():
        raise BackupError(f"{target} exists; choose another name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if is_sqlite(url):
            _vacuum_into(url, partial)
            report = check_sqlite(partial)
            if report.integrity != "ok":
                raise BackupError(f"the copy failed its integrity check: {report.integrity}")
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}",
                  f"--dbname={_libpq(url)}"])
            report = check_dump(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    report.path = target
    suffix = SQLITE_SUFFIX if is_sqlite(url) else PG_SUFFIX
    if target.name.startswith(PREFIX) and target.parent.resolve() == config.backup_dir().resolve():
        prune(target.parent, config.backup_keep() if keep is None else keep, suffix)
    return report


def for_download(url: str) -> tuple[str, bytes]:
    """A checked backup as one gzip-compressed file, named by the time, for the 设置 page."""
    with tempfile.TemporaryDirectory(prefix="diandan-download-") as tmp:
        report = take(url, Path(tmp) / default_target(url, folder=Path(tmp)).name)
        packed = Path(tmp) / (report.path.name + ".gz")
        with open(report.path, "rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        return packed.name, packed.read_bytes()


# --- restoring -----------------------------------------------------------------------------------


def in_use_marker(path: Path) -> Path:
    return path.with_name(path.name + ".inuse")


def hold_in_use(url: str):
    """Called by core/db.py when a process opens a SQLite database: a shared lock on the
    marker, kept until the process ends, so that restore can tell the app is running."""
    if not is_sqlite(url) or ":memory:" in url:
        return None
    try:
        path = sqlite_path(url)
        fh = open(in_use_marker(path), "a+b")  # noqa: SIM115 — held open for the process's life
    except (OSError, BackupError):
        return None
    fcntl.flock(fh, fcntl.LOCK_SH)
    return fh


def _exclusively(path: Path):
    fh = open(in_use_marker(path), "a+b")  # noqa: SIM115 — closed by the caller
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise BackupError(f"{path} is open in a running Diandan process: stop the app first "
                          "(systemctl stop diandan), then restore") from None
    return fh


def restore(url: str, source: Path, *, force: bool = False) -> Report:
    """Replace the database with a checked backup. Refused while the app has the database open,
    and, unless `force`, when a database is already there (it is kept beside, renamed)."""
    source = Path(source)
    if source.suffix == ".gz":
        raise BackupError(f"{source}: unpack it first (gunzip {source})")
    if not is_sqlite(url):
        if not force:
            raise BackupError("restoring PostgreSQL replaces every table: stop the app, then "
                              "run again with --force")
        check_dump(source)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq(url)}", str(source)])
        return check_dump(source)
    report = check_sqlite(source)
    if report.integrity != "ok":
        raise BackupError(f"{source} failed its integrity check: {report.integrity}")
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = _exclusively(target)
    try:
        if target.exists() and not force:
            raise BackupError(f"{target} exists: stop the app and run again with --force to "
                              "replace it (the current file is kept beside it)")
        partial = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(source, partial)
        kept = target.with_name(f"{target.name}.before-restore-{_stamp()}")
        if target.exists():
            os.replace(target, kept)
        for suffix in ("-wal", "-shm"):
            # A cleanly stopped app leaves none; after a crash the -wal holds the replaced
            # database's last commits: it goes with that file, never onto the restored one.
            old = Path(f"{target}{suffix}")
            if old.exists():
                os.replace(old, Path(f"{kept}{suffix}"))
        os.replace(partial, target)
    finally:
        lock.close()
    report = check_sqlite(target)
    return report
