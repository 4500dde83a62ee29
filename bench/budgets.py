"""Issue 12's budgets, measured in one run and reported as ratios (the machine is shared and
noisy: a ratio within one run means more than a time across runs).

| budget | limit |
|---|---|
| a page's warm rerun (AppTest), county manager and a 所 manager | ≤ 0.3 s |
| a page's first view in a new session | ≤ 1 s |
| a rollup page's data (its service calls) against the minimal SQL of its figures | ≤ 1.5× |
| the overview page against a naive pandas page reading whole tables | ≥ 20× faster |
| order search (code fragment, title word) | ≤ 0.3 s |
| 8 concurrent writers on SQLite | ≥ 500 transitions/s, 0 lock errors, p99 ≤ 0.2 s |
| growth from the small county (`--growth-db`) to this one, per page warm rerun | ≤ 2× |
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import pages as page_bench
from bench import writers as writer_bench

WARM, FIRST, MINIMAL, NAIVE, SEARCH, GROWTH = 0.3, 1.0, 1.5, 20.0, 0.3, 2.0
WRITES_PER_S, P99 = 500.0, 0.2
PAGE_FILES = ("overview.py", "satisfaction.py", "orders.py", "dispatch.py", "ratings.py",
              "follow_ups.py", "needs.py", "surveys.py", "menu.py", "teams.py", "volunteers.py",
              "users.py", "settings.py", "account.py")
ROLLUP_PAGES = ("overview.py", "satisfaction.py", "menu.py", "teams.py")


@dataclass
class Budget:
    name: str
    measured: float
    limit: float
    lower_is_better: bool = True
    unit: str = "s"

    @property
    def ratio(self) -> float:
        if self.lower_is_better:
            return self.measured / self.limit if self.limit else float("inf")
        return self.limit / self.measured if self.measured else float("inf")

    @property
    def ok(self) -> bool:
        return self.ratio <= 1


def _median(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _page_data(page: str, actor, today, url: str):
    """The service calls a rollup page makes on a rerun, as the page makes them."""
    from core import db
    from services import menu, reports, satisfaction, teams

    first = today.replace(day=1)
    year_ago = (first - timedelta(days=335)).replace(day=1)

    def run():
        with db.session(url) as s:
            if page == "overview.py":
                reports.overview(s, actor=actor, start=first, end=today)
                reports.orders_by_month(s, actor=actor, start=year_ago, end=today)
                reports.demand_supply(s, actor=actor, start=first, end=today)
            elif page == "satisfaction.py":
                satisfaction.summary(s, actor=actor, start=year_ago, end=today)
                satisfaction.breakdown(s, actor=actor, start=year_ago, end=today, by="month")
                satisfaction.breakdown(s, actor=actor, start=year_ago, end=today, by="team")
                satisfaction.lowest(s, actor=actor, start=year_ago, end=today, by="item")
                satisfaction.lowest(s, actor=actor, start=year_ago, end=today, by="team")
            elif page == "menu.py":
                menu.review(s, actor=actor)
                menu.unserved(s, actor=actor)
            else:
                teams.overview(s, actor=actor)
    return run


def measure(path: Path, ctx, repeat: int, *, growth_db: Path | None, writers: int,
            search_results: dict[str, float]) -> list[Budget]:
    url = f"sqlite:///{path}"
    actors = {"county": ctx.county_manager, "所": ctx.town_manager}
    print("\nPages (AppTest):")
    timings = page_bench.time_pages(url, actors, list(PAGE_FILES), repeat)
    out: list[Budget] = []
    for t in timings:
        if t.error:
            out.append(Budget(f"page {t.page} {t.who}: {t.error}", float("inf"), WARM))
            continue
        out.append(Budget(f"warm rerun {t.page} {t.who}", t.warm_median, WARM))
        out.append(Budget(f"first view {t.page} {t.who}", t.first, FIRST))
    today = ctx.now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    now_utc = ctx.now.strftime("%Y-%m-%d %H:%M:%S")
    paths = {"county": None, "所": ctx.town_manager.site_path}
    for page in ROLLUP_PAGES:
        for who, actor in actors.items():
            data = _median(_page_data(page, actor, today, url), repeat)
            sql = page_bench.minimal_sql(page, paths[who], ctx.month,
                                         (ctx.year[0], today), today, now_utc)
            minimal = page_bench.time_sql(path, sql, repeat)
            out.append(Budget(f"{page} {who} data {data:.3f} s / minimal SQL {minimal:.3f} s",
                              data / minimal if minimal else float("inf"), MINIMAL, unit="×"))
    warm = {(t.page, t.who): t.warm_median for t in timings if not t.error}
    lo = (today.replace(day=1)).isoformat()
    naive = _median(lambda: page_bench.naive_overview(path, lo, "9999"), 1)
    page = warm.get(("overview.py", "county"), float("inf"))
    out.append(Budget(f"naive pandas overview {naive:.2f} s / overview page {page:.3f} s",
                      naive / page if page else 0, NAIVE, lower_is_better=False, unit="×"))
    for name, seconds in search_results.items():
        out.append(Budget(name, seconds, SEARCH))
    if writers:
        print(f"\n{writers} writers …", flush=True)
        w = writer_bench.run(path, writers=writers)
        print(f"  {w}")
        out.append(Budget(f"{w['writers']} writers: transitions/s", w["per_second"],
                          WRITES_PER_S, lower_is_better=False, unit="/s"))
        out.append(Budget("writers: p99 latency", w["p99"], P99))
        out.append(Budget("writers: lock errors", w["lock_errors"], 0.5, unit=""))
        out.append(Budget("writers: rollup rows that disagree after", w["rollup_differences"],
                          0.5, unit=""))
    if growth_db is not None:
        print(f"\nGrowth: the same pages on {growth_db}:")
        small = page_bench.time_pages(f"sqlite:///{growth_db}", _small_actors(growth_db, ctx),
                                      list(PAGE_FILES), repeat)
        for t in small:
            big = warm.get((t.page, t.who))
            if big is not None and t.warm:
                out.append(Budget(f"growth {t.page} {t.who} {t.warm_median:.3f} → {big:.3f} s",
                                  big / t.warm_median, GROWTH, unit="×"))
    return out


def _small_actors(path: Path, ctx) -> dict:
    """The same accounts (by username) in the small county: both are built from one seed, so
    the organisation is the same."""
    from sqlmodel import select

    from core import db
    from models import User
    from services import users

    url = f"sqlite:///{path}"
    db.upgrade(url)
    names = {"county": "county_admin", "所": f"town{ctx.town_id:03d}_admin"}
    out = {}
    with db.session(url) as s:
        for who, name in names.items():
            user = s.exec(select(User).where(User.username == name)).first()
            if user is not None:
                out[who] = users.to_actor(s, user)
    return out


def table(budgets: list[Budget]) -> str:
    lines = ["| budget | measured | limit | ratio |  |", "|---|---:|---:|---:|---|"]
    for b in budgets:
        mark = "" if b.ok else "**missed**"
        lines.append(f"| {b.name} | {b.measured:.3f}{b.unit} | "
                     f"{'≤' if b.lower_is_better else '≥'} {b.limit:g}{b.unit} | "
                     f"{b.ratio:.2f} | {mark} |")
    return "\n".join(lines)
