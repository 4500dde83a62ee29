"""Concurrent writers: N threads of one process (as one Streamlit server runs its sessions), each
carrying new orders of its own 所 through the lifecycle with the services — 点单, 派单, 接单,
完成 (two volunteers), 评单 — on a copy of the county database. Reports transitions per second,
latency per transition (p50, p99) and lock errors ("database is locked", pool timeouts).
"""

from __future__ import annotations

import sqlite3
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import select


@dataclass
class Crew:
    manager: object
    officer: object
    lead: object
    village_id: int
    team_id: int
    category_id: int
    volunteers: list[int]


@dataclass
class WriterResult:
    latencies: list[float] = field(default_factory=list)
    lock_errors: int = 0
    other_errors: list[str] = field(default_factory=list)


def copy_db(path: Path) -> Path:
    target = path.with_name(path.stem + ".writers" + path.suffix)
    for suffix in ("", "-wal", "-shm"):
        p = target.with_name(target.name + suffix)
        if p.exists():
            p.unlink()
    src, dst = sqlite3.connect(path), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode=WAL")
    dst.close()
    return target


def crews(url: str, n: int) -> list[Crew]:
    """One crew per writer, each in another 所: its manager, the officer of a 站, the lead of a
    team of that 所 and two of the team's volunteers."""
    from core import db
    from models import Role, Site, SiteLevel, Team, User, Volunteer, VolunteerTeam
    from services import users

    out = []
    with db.session(url) as s:
        towns = s.exec(select(Site).where(Site.level == SiteLevel.station)
                       .order_by(Site.id)).all()
        for town in towns:
            manager = s.exec(select(User).where(User.role == Role.manager,
                                                User.site_id == town.id)).first()
            officer = s.exec(select(User).join(Site, Site.id == User.site_id).where(
                User.role == Role.officer, Site.parent_id == town.id)).first()
            team = s.exec(select(Team).where(Team.site_id == town.id, Team.active,
                                             Team.tier == "squad")).first()
            lead = team and s.exec(select(User).where(User.team_id == team.id,
                                                      User.role == Role.team_lead)).first()
            if not (manager and officer and lead):
                continue
            vols = s.exec(select(VolunteerTeam.volunteer_id)  # active ones: complete refuses others
                          .join(Volunteer, Volunteer.id == VolunteerTeam.volunteer_id)
                          .where(VolunteerTeam.team_id == team.id, Volunteer.active)
                          .limit(2)).all()
            from models import TeamCategory
            category = s.exec(select(TeamCategory.category_id)
                              .where(TeamCategory.team_id == team.id)).first() or 1
            out.append(Crew(users.to_actor(s, manager), users.to_actor(s, officer),
                            users.to_actor(s, lead), officer.site_id, team.id, category,
                            list(vols)))
            if len(out) == n:
                break
    return out


def _writer(url: str, crew: Crew, orders_each: int, start: threading.Barrier,
            result: WriterResult) -> None:
    from core import db
    from models import RatingChannel
    from services import completions, orders, ratings

    done = completions.Completion(beneficiaries={"elderly": 3, "general": 2},
                                  hours=dict.fromkeys(crew.volunteers, 1.5))

    def step(fn):
        t0 = time.perf_counter()
        try:
            with db.write_session(url) as s:
                out = fn(s)
        except (OperationalError, PoolTimeout) as err:
            result.lock_errors += 1
            result.other_errors.append(str(err).splitlines()[0][:100])
            return None
        result.latencies.append(time.perf_counter() - t0)
        return out

    start.wait()
    for _ in range(orders_each):
        order = step(lambda s: orders.place(s, actor=crew.officer, site_id=crew.village_id,
                                            category_id=crew.category_id, title="压力测试",
                                            source="walk_in"))
        if order is None:
            continue
        oid = order.id
        chain = (
            lambda s, oid=oid: orders.dispatch(s, actor=crew.manager, order_id=oid,
                                               team_id=crew.team_id),
            lambda s, oid=oid: orders.accept(s, actor=crew.lead, order_id=oid),
            lambda s, oid=oid: completions.complete(s, actor=crew.lead, order_id=oid, done=done),
            lambda s, oid=oid: ratings.rate(s, actor=crew.officer, order_id=oid, level=5,
                                            channel=RatingChannel.call),
        )
        for fn in chain:
            if step(fn) is None:
                break


def run(path: Path, writers: int = 8, orders_each: int = 40) -> dict:
    """Copy the database, run the writers, return the figures (and check the rollups)."""
    from core import db
    from services import rollups

    target = copy_db(path)
    url = f"sqlite:///{target}"
    db.upgrade(url)
    the_crews = crews(url, writers)
    barrier = threading.Barrier(len(the_crews))
    results = [WriterResult() for _ in the_crews]
    threads = [threading.Thread(target=_writer, args=(url, c, orders_each, barrier, r))
               for c, r in zip(the_crews, results, strict=True)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies = sorted(x for r in results for x in r.latencies)
    with db.session(url) as s:
        from services import settings as settings_service
        differences = len(rollups.check(s, tz=settings_service.current(s)["timezone"]))
    db.engine(url).dispose()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0
    return {"writers": len(the_crews), "transitions": len(latencies), "seconds": wall,
            "per_second": len(latencies) / wall if wall else 0,
            "p50": statistics.median(latencies) if latencies else 0, "p99": p99,
            "lock_errors": sum(r.lock_errors for r in results),
            "errors": sorted({e for r in results for e in r.other_errors})[:3],
            "rollup_differences": differences}
