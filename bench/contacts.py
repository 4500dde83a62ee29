"""Issue 15's speed cases at county scale: the households list, overdue visits and the week's
duty rota, each ≤ 0.5 s (LIST), for the county manager and a 所's manager.

The county of bench/build.py (sites, teams, users and 50,000 volunteers at county size; the
orders can be few, these cases do not read them), plus 300 站 × 300 households = 90,000
households with tags, 30,000 open pairs with party members, two visits for most pairs (a share
overdue), one station per 站 with opening hours, two weekly slots and two volunteers on each.
Rows are written with SQLAlchemy Core executemany through the migrations' schema.

    PYTHONPATH=. python -m bench.contacts --orders 2000            # build (cached) and measure
    PYTHONPATH=. python -m bench.contacts --orders 2000 --rebuild
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bench import build as builder
from bench.county import LIST, _actor, _timed
from core import db
from models import (
    ContactPair,
    ContactVisit,
    DutyAssignment,
    DutySlot,
    Household,
    HouseholdTagLink,
    Station,
    StationHours,
)
from services import contacts, duty, households

DEFAULT_DB = Path("/tmp/diandan_contacts.db")
PER_VILLAGE = 300
PAIRS = 30_000


def _fill(url: str, now: datetime) -> dict:
    rnd = random.Random(15)
    today = now.date()
    engine = db.engine(url)
    with engine.begin() as conn:
        villages = [r[0] for r in conn.execute(text(
            "SELECT id FROM site WHERE level = 'point' ORDER BY id"))]
        party = [r[0] for r in conn.execute(text(
            "SELECT id FROM volunteer WHERE active ORDER BY id"))]
        tags = [r[0] for r in conn.execute(text("SELECT id FROM householdtag"))]
        admin = conn.execute(text("SELECT id FROM user WHERE username = 'county_admin'")).scalar()
        conn.execute(text("UPDATE volunteer SET party_member = 1 WHERE id % 5 = 0"))
        party = [v for v in party if v % 5 == 0]
        rows, links = [], []
        hid = 0
        for site in villages:
            for n in range(PER_VILLAGE):
                hid += 1
                rows.append({"id": hid, "site_id": site, "head_name": f"户主{hid:06d}",
                             "address": f"{n // 30 + 1}组{n % 30 + 1}号", "phone": "",
                             "people": rnd.randint(1, 6), "note": "", "active": True,
                             "created_at": now})
                if rnd.random() < 0.3:
                    links.append({"household_id": hid, "tag_id": rnd.choice(tags)})
        conn.execute(insert(Household), rows)
        conn.execute(insert(HouseholdTagLink), links)
        paired = rnd.sample(range(1, hid + 1), PAIRS)
        pairs, visits = [], []
        for i, h in enumerate(paired):
            member = party[i % len(party)]
            started = today - timedelta(days=rnd.randint(200, 900))
            pairs.append({"household_id": h, "volunteer_id": member, "started_on": started,
                          "ended_on": None, "end_reason": "", "created_by_id": admin,
                          "created_at": now})
            for _ in range(rnd.choice((0, 1, 2, 2, 3))):
                visits.append({"household_id": h, "volunteer_id": member,
                               "visited_on": today - timedelta(days=rnd.randint(1, 400)),
                               "method": "home", "topics": "家庭教育", "guidance": "",
                               "recorded_by_id": admin, "created_at": now})
        conn.execute(insert(ContactPair), pairs)
        conn.execute(insert(ContactVisit), visits)
        stations = [{"id": i + 1, "site_id": s, "name": f"服务站{s}", "address": "",
                     "services": "", "active": True, "created_at": now}
                    for i, s in enumerate(villages)]
        conn.execute(insert(Station), stations)
        conn.execute(insert(StationHours), [
            {"station_id": st["id"], "weekday": w, "start_minute": 540, "end_minute": 1080}
            for st in stations for w in (1, 3)])
        slots, assigned = [], []
        pool = list(range(1, len(party) * 5))
        rnd.shuffle(pool)
        for st in stations:
            for w in (1, 3):
                slots.append({"id": len(slots) + 1, "station_id": st["id"], "weekday": w,
                              "start_minute": 900, "end_minute": 1080, "needed": 2,
                              "active": True, "created_at": now})
                for _ in range(2 if rnd.random() < 0.9 else 1):
                    assigned.append({"slot_id": len(slots), "volunteer_id": pool.pop(),
                                     "starts_on": today - timedelta(days=60), "ends_on": None,
                                     "created_by_id": admin, "created_at": now})
        conn.execute(insert(DutySlot), slots)
        conn.execute(insert(DutyAssignment), assigned)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return {"households": hid, "pairs": len(pairs), "visits": len(visits),
            "stations": len(stations), "slots": len(slots), "assignments": len(assigned)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    url = f"sqlite:///{args.db}"
    scale = builder.Scale(orders=args.orders)
    meta = builder.read_meta(args.db)
    if args.rebuild or not meta or meta.get("scale") != asdict(scale) or "contacts" not in meta:
        t0 = time.perf_counter()
        meta = builder.build(args.db, scale)
        meta["contacts"] = _fill(url, datetime.fromisoformat(meta["now"]).astimezone(UTC))
        builder.meta_path(args.db).write_text(__import__("json").dumps(meta, ensure_ascii=False))
        print(f"built in {time.perf_counter() - t0:.0f} s: {meta['contacts']}")
    db.upgrade(url)
    now = datetime.fromisoformat(meta["now"]).astimezone(UTC)
    with db.session(url) as s:
        county = _actor(s, "county_admin")
        town_id = s.connection().exec_driver_sql(
            "SELECT min(id) FROM site WHERE level = 'station'").scalar()
        town = _actor(s, f"town{town_id:03d}_admin")
    week = duty.week_start(now.date())
    cases = [
        ("households list, county (page 1 + total)",
         lambda s: households.page(s, actor=county)),
        ("households list, a 所", lambda s: households.page(s, actor=town)),
        ("households list, county, search", lambda s: households.page(
            s, actor=county, flt=households.HouseholdFilter(search="户主0450"))),
        ("overdue visits, county", lambda s: contacts.overdue(s, actor=county, now=now)),
        ("overdue visits, a 所", lambda s: contacts.overdue(s, actor=town, now=now)),
        ("week's rota, county (300 stations)", lambda s: duty.rota(s, actor=county, start=week)),
        ("week's rota, a 所", lambda s: duty.rota(s, actor=town, start=week)),
        ("on duty now / today, county", lambda s: duty.on_duty(s, actor=county, now=now)),
    ]
    print(f"{'case':44} {'median s':>9} {'budget':>7}")
    for name, run in cases:
        times, error = _timed(url, run, args.repeat)
        if error:
            print(f"{name:44} ERROR {error}")
            continue
        median = statistics.median(times)
        print(f"{name:44} {median:9.3f} {LIST:7.2f}{'  OVER' if median > LIST else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())



