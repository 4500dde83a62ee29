"""The floor under bench/writers.py: what one lifecycle transition costs in SQLite alone.

One writer carries orders of the test town through 点单 → 派单 → 接单 → 完成 → 评单 with the
services, and the statements (and parameters) of one order's lifecycle are recorded; then that
lifecycle is replayed `orders` times with the raw sqlite3 driver on the same file — no
SQLAlchemy, no ORM, no checks — a new order each time (its id and code substituted). CPU and
wall time per transition of the replay are the floor of any Python writer that sends the same
SQL: throughput above 1 / that is out of reach however lean the Python.

    PYTHONPATH=. python -m bench.writers_floor /tmp/floor.db --orders 300
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from pathlib import Path

from sqlalchemy import event


def _record(url: str, warm: int) -> tuple[list[tuple[str, list]], int, str]:
    """The statements of one order's lifecycle, by transition, after `warm` orders (so that
    the order's id is unlike any other id in its statements)."""
    from bench.writers import Crew
    from core import db
    from models import RatingChannel
    from services import completions, orders, ratings
    from tests.factories import build_town

    with db.write_session(url) as s:
        town = build_town(s)
    crew = Crew(town.manager, town.officer, town.lead_a, town.village_a, town.team_a,
                town.category, list(town.volunteers_a[:2]))
    done = completions.Completion(beneficiaries={"elderly": 3, "general": 2},
                                  hours=dict.fromkeys(crew.volunteers, 1.5))
    log: list[tuple[str, str, object, bool]] = []
    current: list[str | None] = [None]

    @event.listens_for(db.engine(url), "before_cursor_execute")
    def _seen(_conn, _cursor, statement, params, _context, executemany):
        if current[0] is not None:
            log.append((current[0], statement, params, executemany))

    def step(name, record, fn):
        current[0] = name if record else None
        with db.write_session(url) as s:
            out = fn(s)
        current[0] = None
        return out

    def lifecycle(record: bool):
        o = step("点单", record, lambda s: orders.place(
            s, actor=crew.officer, site_id=crew.village_id, category_id=crew.category_id,
            title="压力测试", source="walk_in"))
        oid = o.id
        step("派单", record, lambda s: orders.dispatch(s, actor=crew.manager, order_id=oid,
                                                     team_id=crew.team_id))
        step("接单", record, lambda s: orders.accept(s, actor=crew.lead, order_id=oid))
        step("完成", record, lambda s: completions.complete(s, actor=crew.lead, order_id=oid,
                                                          done=done))
        step("评单", record, lambda s: ratings.rate(s, actor=crew.officer, order_id=oid,
                                                  level=5, channel=RatingChannel.call))
        return o

    for _ in range(warm):
        lifecycle(False)
    order = lifecycle(True)
    db.engine(url).dispose()
    steps: list[tuple[str, list]] = []
    for name, statement, params, many in log:
        if not steps or steps[-1][0] != name:
            steps.append((name, []))
        steps[-1][1].append((statement, params, many))
    return steps, order.id, order.code


def _fresh(path: Path) -> str:
    from core import db

    for suffix in ("", "-wal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()
    url = f"sqlite:///{path}"
    db.upgrade(url)
    return url


class _Swap:
    """The recorded order's id and code replaced by the replayed order's."""

    def __init__(self, oid: int, code: str) -> None:
        self.oid, self.code = oid, code
        self.new_id: int | None = None
        self.new_code: str | None = None

    def value(self, v):
        if isinstance(v, int) and not isinstance(v, bool) and v == self.oid:
            return self.new_id
        return self.new_code if v == self.code else v

    def params(self, params):
        if self.new_id is None:
            return params
        if params and isinstance(params[0], list | tuple):
            return [tuple(self.value(v) for v in row) for row in params]
        return tuple(self.value(v) for v in params)


def _run(con: sqlite3.Connection, statements: list, swap: _Swap) -> None:
    """One transition's statements, then COMMIT."""
    cur = con.cursor()
    for statement, params, many in statements:
        if swap.new_id is None and statement.startswith("INSERT INTO workorder "):
            cur.execute(statement, params)
            swap.new_id = cur.lastrowid
            swap.new_code = swap.code[:-6] + f"{swap.new_id:06d}"
        elif many:
            cur.executemany(statement, swap.params(params))
        else:
            cur.execute(statement, swap.params(params))
            cur.fetchall()
    if con.in_transaction:
        con.execute("COMMIT")


def replay(path: Path, orders: int = 300, warm: int = 120) -> dict:
    from core import textsearch

    url = _fresh(path)
    steps, oid, code = _record(url, warm)
    con = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    for pragma in ("busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL"):
        con.execute(f"PRAGMA {pragma}")
    textsearch.register(con)  # the search index's triggers call it
    cpu = dict.fromkeys([name for name, _ in steps], 0.0)
    wall = dict(cpu)
    for _ in range(orders):
        swap = _Swap(oid, code)
        for name, statements in steps:
            c0, w0 = time.process_time(), time.perf_counter()
            _run(con, statements, swap)
            cpu[name] += time.process_time() - c0
            wall[name] += time.perf_counter() - w0
    statuses = dict(con.execute("SELECT status, count(*) FROM workorder GROUP BY status"))
    con.close()
    n = orders * len(steps)
    return {"statements": {name: len(s) for name, s in steps},
            "cpu_ms_per_transition": round(1000 * sum(cpu.values()) / n, 2),
            "wall_ms_per_transition": round(1000 * sum(wall.values()) / n, 2),
            "cpu_ms": {name: round(1000 * t / orders, 2) for name, t in cpu.items()},
            "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="a scratch file (it is deleted and rebuilt)")
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    print(replay(args.db, args.orders))


if __name__ == "__main__":
    main()
