"""Maintenance commands for a live database.

    python -m admin rollups check     # compare with the raw rows; exit 1 on any difference
    python -m admin rollups rebuild   # recompute them from the raw rows, in one transaction

Both use DIANDAN_DATABASE_URL (or the default database). `rebuild` is safe while the app runs:
it replaces the rollups in one write transaction, so readers see the old rows until it commits
and writers wait for it (SQLite's write lock, PostgreSQL's row locks); on a county-sized
database it takes a minute or two.
"""

from __future__ import annotations

import argparse
import sys
import time

from core import db
from services import rollups
from services import settings as settings_service


def _check(url: str | None, limit: int) -> int:
    with db.session(url) as s:
        differences = rollups.check(s, tz=settings_service.current(s)["timezone"])
    for d in differences[:limit]:
        sys.stdout.write(f"{d.table} {d.key} {d.column}: stored {d.stored}, raw rows {d.raw}\n")
    if len(differences) > limit:
        sys.stdout.write(f"… and {len(differences) - limit} more\n")
    sys.stdout.write(f"{len(differences)} differences\n")
    return 1 if differences else 0


def _rebuild(url: str | None) -> int:
    started = time.perf_counter()
    with db.write_session(url) as s:
        written = rollups.rebuild(s, tz=settings_service.current(s)["timezone"])
        s.commit()
    rows = ", ".join(f"{name} {n:,}" for name, n in written.items())
    sys.stdout.write(f"rebuilt in {time.perf_counter() - started:.1f} s: {rows} rows\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m admin", description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["rollups"])
    parser.add_argument("command", choices=["check", "rebuild"])
    parser.add_argument("--url", help="SQLAlchemy URL (default: DIANDAN_DATABASE_URL)")
    parser.add_argument("--show", type=int, default=20, help="differences to print (check)")
    args = parser.parse_args(argv)
    db.upgrade(args.url)
    if args.command == "check":
        return _check(args.url, args.show)
    return _rebuild(args.url)


if __name__ == "__main__":
    sys.exit(main())
