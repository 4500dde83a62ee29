"""Writers that carry orders through the loop as fast as they can, each in its own thread and
its own sessions, as concurrent users of one server process would; and what they saw.

Each step (点单, 派单, 接单, 完成, 评单) is one service call in one write session, timed from
opening the session to its commit. A step that fails is counted by kind — Busy (the app's
"系统繁忙"), "database is locked", a pool timeout, anything else — and the writer carries on
with a new order. `codes` are the orders a writer saw committed, so a test can check that none
was lost.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core import db
from models import RatingChannel
from services import completions, orders, ratings
from tests.factories import Town, place


@dataclass
class Seen:
    steps: int = 0
    latencies: list[float] = field(default_factory=list)
    # each writer's first step: all n arrive at once, and each opens its pooled connection, so
    # these measure the start's burst, not the queue of a running server (kept apart)
    first_steps: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    codes: dict[str, str] = field(default_factory=dict)  # order code → last status committed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def p(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def rate(self, seconds: float) -> float:
        return self.steps / seconds if seconds else 0.0

    def summary(self, seconds: float) -> str:
        return (f"{self.steps} steps in {seconds:.0f} s = {self.rate(seconds):.1f}/s, "
                f"p50 {self.p(0.5) * 1000:.0f} ms, p99 {self.p(0.99) * 1000:.0f} ms, "
                f"max {max(self.latencies, default=0) * 1000:.0f} ms, first steps max "
                f"{max(self.first_steps, default=0) * 1000:.0f} ms, errors {dict(self.errors)}")


def _kind(err: Exception) -> str:
    if isinstance(err, db.Busy):
        return "busy"
    if isinstance(err, PoolTimeout):
        return "pool"
    if isinstance(err, OperationalError) and "locked" in str(err).lower():
        return "locked"
    return type(err).__name__


def _steps(town: Town):
    """The loop of one order, as (status after, call) pairs."""
    done = completions.Completion(beneficiaries={"general": 3},
                                  hours={town.volunteers_a[0]: 1.5, town.volunteers_a[1]: 2})
    return (
        ("submitted", lambda s, _o: place(s, town, title="压力测试工单")),
        ("dispatched", lambda s, o: orders.dispatch(s, actor=town.manager, order_id=o,
                                                    team_id=town.team_a)),
        ("accepted", lambda s, o: orders.accept(s, actor=town.lead_a, order_id=o)),
        ("completed", lambda s, o: completions.complete(s, actor=town.lead_a, order_id=o,
                                                        done=done)),
        ("rated", lambda s, o: ratings.rate(s, actor=town.officer, order_id=o, level=5,
                                            channel=RatingChannel.call)),
    )


def writer(url: str, town: Town, seen: Seen, stop: threading.Event) -> None:
    steps = _steps(town)
    first = True
    while not stop.is_set():
        order_id = None
        for status, call in steps:
            if stop.is_set():
                return
            started = time.monotonic()
            try:
                with db.write_session(url) as s:
                    order = call(s, order_id)
                    order_id, code = order.id, order.code
            except Exception as err:  # noqa: BLE001 — every failure is counted by its kind
                with seen.lock:
                    seen.errors[_kind(err)] += 1
                break
            with seen.lock:
                seen.steps += 1
                (seen.first_steps if first else seen.latencies).append(time.monotonic() - started)
                seen.codes[code] = status
            first = False


def run_writers(url: str, town: Town, n: int, seconds: float, beside=None) -> Seen:
    """n writers for `seconds`; `beside(stop)` runs in its own thread meanwhile (a flood)."""
    seen, stop = Seen(), threading.Event()
    threads = [threading.Thread(target=writer, args=(url, town, seen, stop), daemon=True)
               for _ in range(n)]
    if beside is not None:
        threads.append(threading.Thread(target=beside, args=(stop,), daemon=True))
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a writer is stuck"
    return seen


def lost(url: str, seen: Seen) -> list[str]:
    """Orders a writer saw committed that are not in the database in at least that state."""
    from sqlmodel import select

    from models import STATUS_ORDER, WorkOrder

    rank = {s.value: i for i, s in enumerate(STATUS_ORDER)}
    with db.session(url) as s:
        stored = dict(s.exec(select(WorkOrder.code, WorkOrder.status)
                             .where(WorkOrder.code.in_(list(seen.codes)))).all())
    return [code for code, status in seen.codes.items()
            if code not in stored or rank[stored[code].value] < rank[status]]
