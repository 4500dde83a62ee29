"""Operator commands, run on the server beside the app.

    python -m diandan backup [PATH] [--keep N]   an online, checked backup (default: the backup
                                                 folder, keeping the newest DIANDAN_BACKUP_KEEP)
    python -m diandan check FILE                 integrity_check and row counts of a backup
    python -m diandan restore FILE [--force]     replace the database with a backup; refused
                                                 while the app runs, and without --force when a
                                                 database is there (it is kept beside it)
    python -m diandan health [--url URL]         exit 0 when the database answers and is at the
                                                 newest migration (and the app answers at URL)
    python -m diandan rollups check              compare the rollups (and the star moments,
                                                 services/stars.py, the 重复诉求 marks,
                                                 services/repeats.py, and the per-order facts,
                                                 services/order_facts.py) with the raw rows; exit 1
                                                 on any difference (--show N: how many printed)
    python -m diandan rollups rebuild            recompute them from the raw rows in one
                                                 transaction (safe while the app runs: readers
                                                 see the old rows until it commits, writers wait;
                                                 a minute or two on a county-sized database)

Every command reads the same DIANDAN_* environment as the app. Exit status: 0 done, 1 refused or
failed (the reason is printed), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.request
from pathlib import Path

from core import backup, config


def _backup(args) -> int:
    report = backup.take(config.database_url(), Path(args.path) if args.path else None,
                         keep=args.keep)
    print("\n".join(["backup written and checked:", *report.lines()]))
    return 0


def _check(args) -> int:
    report = backup.check(Path(args.file))
    print("\n".join(report.lines()))
    return 0 if report.integrity == "ok" else 1


def _restore(args) -> int:
    report = backup.restore(config.database_url(), Path(args.file), force=args.force)
    print("\n".join(["restored and checked:", *report.lines(),
                     "start the app: it applies any newer migrations on its first request"]))
    return 0


def database_health(url: str) -> str:
    """'' when the database answers and its schema is at the newest migration, else why not."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from core import db

    try:
        with db.engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as err:  # noqa: BLE001 — any failure to answer is the finding
        return f"database does not answer: {type(err).__name__}"
    heads = set(ScriptDirectory.from_config(db.alembic_config(url)).get_heads())
    if current != heads:
        return f"database at migration {sorted(current)}, the code needs {sorted(heads)}"
    return ""


def _health(args) -> int:
    problem = database_health(config.database_url())
    if not problem and args.url:
        try:
            with urllib.request.urlopen(args.url.rstrip("/") + "/_stcore/health",
                                        timeout=5) as reply:
                if reply.status != 200:
                    problem = f"app answered {reply.status}"
        except OSError as err:
            problem = f"app does not answer at {args.url}: {err}"
    print(problem or "ok")
    return 1 if problem else 0


def _rollups(args) -> int:
    from core import db
    from services import order_facts, repeats, rollups, stars
    from services import settings as settings_service

    url = config.database_url()
    db.upgrade(url)
    if args.action == "check":
        with db.session(url) as s:
            differences = [f"{d.table} {d.key} {d.column}: stored {d.stored}, raw rows {d.raw}"
                           for d in rollups.check(s, tz=settings_service.current(s)["timezone"])]
            differences += [f"stars ({vid},) {column}: stored {a}, raw rows {b}"
                            for vid, column, a, b in stars.check(
                                s, values=settings_service.current(s))]
            differences += [f"repeatedorder ({oid},): kept {a}, rule {b}"
                            for oid, a, b in repeats.check(
                                s, repeat_days=settings_service.current(s)["repeat_days"])]
            differences += [f"orderfact ({oid},) {column}: kept {a}, definition {b}"
                            for oid, column, a, b in order_facts.check(
                                s, tz=settings_service.current(s)["timezone"])]
        for line in differences[:args.show]:
            print(line)
        if len(differences) > args.show:
            print(f"… and {len(differences) - args.show} more")
        print(f"{len(differences)} differences")
        return 1 if differences else 0
    started = time.perf_counter()
    with db.write_session(url) as s:
        written = rollups.rebuild(s, tz=settings_service.current(s)["timezone"])
        written["stars"] = stars.rebuild(s, values=settings_service.current(s))
        written["repeatedorder"] = repeats.rebuild(
            s, repeat_days=settings_service.current(s)["repeat_days"])
        written["orderfact"] = order_facts.rebuild(s, tz=settings_service.current(s)["timezone"])
        order_facts.rebuild_record_teams(s)
        s.commit()
    rows = ", ".join(f"{name} {n:,}" for name, n in written.items())
    print(f"rebuilt in {time.perf_counter() - started:.1f} s: {rows} rows")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m diandan", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("backup", help="take an online, checked backup")
    p.add_argument("path", nargs="?", help="file or folder (default: DIANDAN_BACKUP_DIR)")
    p.add_argument("--keep", type=int, default=None,
                   help="backups to keep in the backup folder (default: DIANDAN_BACKUP_KEEP)")
    p.set_defaults(run=_backup)
    p = sub.add_parser("check", help="check a backup file")
    p.add_argument("file")
    p.set_defaults(run=_check)
    p = sub.add_parser("restore", help="replace the database with a backup (app stopped)")
    p.add_argument("file")
    p.add_argument("--force", action="store_true", help="replace an existing database")
    p.set_defaults(run=_restore)
    p = sub.add_parser("health", help="is the database reachable and up to date")
    p.add_argument("--url", default="", help="also ask the app, e.g. http://127.0.0.1:8501")
    p.set_defaults(run=_health)
    p = sub.add_parser("rollups", help="check or rebuild the figures' rollups")
    p.add_argument("action", choices=["check", "rebuild"])
    p.add_argument("--show", type=int, default=20, help="differences to print (check)")
    p.set_defaults(run=_rollups)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except backup.BackupError as err:
        print(f"refused: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
