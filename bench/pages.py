"""Whole pages timed as a user meets them: app.py and the page script run by Streamlit's AppTest
against the county database, signed in as a real account of the county.

- *first view*: the first run of a page in a new browser session (app.py, the guard, the page);
- *warm rerun*: the same page run again in that session (what every click costs), median of N.

Also here: the *minimal SQL* of the rollup pages — hand-written sqlite3 statements that compute
exactly the figures the page shows, from the tables the page reads — and a *naive pandas page*
that reads whole tables into DataFrames on each run, the way a dashboard is often first written.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"


@dataclass
class PageTiming:
    page: str
    who: str
    first: float
    warm: list[float]
    error: str = ""

    @property
    def warm_median(self) -> float:
        return statistics.median(self.warm) if self.warm else float("nan")


@functools.cache
def _components():
    # AppTest scans every installed distribution for v2 components once per instance (~0.5 s,
    # not the app's time); scan once, as tests/pages/conftest.py does.
    from streamlit.components.v2.component_manager import BidiComponentManager

    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


def _serve_like_a_warm_server() -> None:
    """AppTest resets the 'pages/ directory' flag before every run, so every run would route
    like the first one after a server start; a served app clears it once app.py has called
    st.navigation (tests/pages/conftest.py explains it)."""
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit import config as st_config
    from streamlit.runtime.pages_manager import PagesManager

    class Served(PagesManager):
        def __init__(self, *args, **kwargs):
            PagesManager.uses_pages_directory = None
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    st_config.set_option("runner.enforceSerializableSessionState", False)
    app_test_module.PagesManager = Served


def time_pages(url: str, actors: dict[str, object], pages: list[str], repeat: int,
               timeout: float = 120) -> list[PageTiming]:
    from streamlit.testing.v1 import AppTest

    from core import db
    from services.permissions import allowed
    from ui.navigation import PAGES

    os.environ["DIANDAN_DATABASE_URL"] = url
    _serve_like_a_warm_server()
    specs = {s.file: s for s in PAGES}
    out = []
    # A server process imports the app's modules once, at its first request after a start, and
    # never again: one untimed run of a page with no figures pays that here, so the first page
    # timed is not charged a cost no user after the first meets. Nothing it reads is kept for
    # the pages timed after it.
    warm = AppTest.from_file(str(APP), default_timeout=timeout)
    warm._bidi_component_manager = _components()
    warm.session_state["user_id"] = next(iter(actors.values())).id
    warm.session_state["login_at"] = db.utcnow()
    warm.switch_page("pages/account.py")
    warm.run()
    for who, actor in actors.items():
        for page in pages:
            if not allowed(actor.role, specs[page].action):
                continue
            at = AppTest.from_file(str(APP), default_timeout=timeout)
            at._bidi_component_manager = _components()
            at.session_state["user_id"] = actor.id
            at.session_state["login_at"] = db.utcnow()
            at.switch_page(f"pages/{page}")
            t0 = time.perf_counter()
            at.run()
            first = time.perf_counter() - t0
            timing = PageTiming(page, who, first, [])
            if at.exception:
                timing.error = at.exception[0].value.splitlines()[0][:120]
            else:
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    at.run()
                    timing.warm.append(time.perf_counter() - t0)
            out.append(timing)
            print(f"  {page:18s} {who:8s} first {first:6.3f} s  warm "
                  f"{timing.warm_median:6.3f} s {timing.error}", flush=True)
    return out


# --- the minimal SQL of the rollup pages ---------------------------------------------------------


def _periods(start: date, end: date) -> tuple[str, list]:
    """The same split as services/rollups.in_period, written out as SQL text."""
    first_full = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(
        day=1)
    after = (end + timedelta(days=1)).replace(day=1)
    if first_full >= after:
        return "(grain = 'd' AND period BETWEEN ? AND ?)", [start.isoformat(), end.isoformat()]
    parts, params = ["(grain = 'm' AND period >= ? AND period < ?)"], [first_full.isoformat()[:7],
                                                                       after.isoformat()[:7]]
    if start < first_full:
        parts.append("(grain = 'd' AND period BETWEEN ? AND ?)")
        params += [start.isoformat(), (first_full - timedelta(days=1)).isoformat()]
    if after <= end:
        parts.append("(grain = 'd' AND period BETWEEN ? AND ?)")
        params += [after.isoformat(), end.isoformat()]
    return "(" + " OR ".join(parts) + ")", params


def _scope(site_path: str | None) -> tuple[str, list]:
    if site_path is None:
        return "", []
    return " AND site_id IN (SELECT id FROM site WHERE path LIKE ?)", [site_path + "%"]


LEVELS = "level_1 + level_2 + level_3 + level_4 + level_5"
GOOD = "level_4 + level_5"
SATISFIED = "level_3 + level_4 + level_5"
LEVEL_SUM = "level_1 + 2 * level_2 + 3 * level_3 + 4 * level_4 + 5 * level_5"
PLACED = "n_submitted + n_dispatched + n_accepted + n_completed + n_rated + n_cancelled"
FIGURES = f"sum({LEVELS}), sum({GOOD}), sum({SATISFIED}), sum({LEVEL_SUM})"


def minimal_sql(page: str, site_path: str | None, month: tuple[date, date],
                year: tuple[date, date], today: date, now_utc: str) -> list[tuple[str, list]]:
    """The statements a page's figures need at least, from the tables the page reads."""
    scope, sp = _scope(site_path)
    if page == "overview.py":
        period, pp = _periods(month[0], today)
        chart, cp = _periods(year[0], today)
        return [
            (f"SELECT sum({PLACED}), sum(done), sum(beneficiaries), sum(hours_x100), "
             f"sum({LEVELS}), sum({GOOD}), sum({SATISFIED}) FROM orderrollup "
             f"WHERE {period}{scope}", pp + sp),
            (f"SELECT count(DISTINCT volunteer_id) FROM volunteerrollup WHERE {period}{scope} "
             "AND orders > 0", pp + sp),
            # 超时 now: the statuses that can be late, then the limits (services/sla.py)
            ("SELECT count(*) FROM workorder WHERE status IN ('submitted', 'dispatched', "
             "'accepted', 'completed') AND ((status = 'submitted' AND submitted_at < "
             "datetime(?, '-1 day')) OR (status = 'dispatched' AND dispatched_at < "
             "datetime(?, '-2 days')) OR (status IN ('submitted', 'dispatched', 'accepted') "
             "AND due_on < ?) OR (status = 'completed' AND completed_at < datetime(?, "
             "'-7 days')))" + scope, [now_utc, now_utc, today.isoformat(), now_utc] + sp),
            (f"SELECT substr(period, 1, 7), sum(n_submitted), sum(n_dispatched), "
             f"sum(n_accepted), sum(n_completed), sum(n_rated), sum(n_cancelled) "
             f"FROM orderrollup WHERE {chart}{scope} GROUP BY 1", cp + sp),
            (f"SELECT category_id, sum(done) FROM orderrollup WHERE {period}{scope} "
             "GROUP BY category_id", pp + sp),
        ]
    if page == "satisfaction.py":
        period, pp = _periods(year[0], today)
        by = [(f"SELECT {key}, {FIGURES} FROM orderrollup WHERE {period}{scope} "
               f"GROUP BY {key}", pp + sp) for key in ("substr(period, 1, 7)", "team_id")]
        return [(f"SELECT {FIGURES} FROM orderrollup WHERE {period}{scope}", pp + sp), *by,
                (f"SELECT item_id, {FIGURES} FROM itemrollup WHERE {period}{scope} "
                 f"GROUP BY item_id HAVING sum({LEVELS}) >= 3 "
                 f"ORDER BY 1.0 * sum({LEVEL_SUM}) / sum({LEVELS}) LIMIT 5", pp + sp)]
    if page == "menu.py":
        return [(f"SELECT item_id, sum(orders), sum(beneficiaries), max(last_order_on), "
                 f"{FIGURES} FROM itemrollup WHERE grain = 'a'{scope} GROUP BY item_id", sp),
                ("SELECT * FROM serviceitem", [])]
    if page == "teams.py":
        tscope = "" if site_path is None else " WHERE s.path LIKE ?"
        return [(f"SELECT t.id, t.name, s.name FROM team t JOIN site s ON s.id = t.site_id"
                 f"{tscope}", sp),
                ("SELECT vt.team_id, count(*) FROM volunteerteam vt JOIN volunteer v "
                 "ON v.id = vt.volunteer_id WHERE v.active AND vt.team_id IN (SELECT t.id "
                 f"FROM team t JOIN site s ON s.id = t.site_id{tscope}) GROUP BY vt.team_id",
                 sp),
                ("SELECT team_id, count(*) FROM workorder WHERE status IN ('dispatched', "
                 "'accepted') AND team_id IN (SELECT t.id FROM team t JOIN site s "
                 f"ON s.id = t.site_id{tscope}) GROUP BY team_id", sp)]
    return []


def time_sql(path: Path, statements: list[tuple[str, list]], repeat: int) -> float:
    conn = sqlite3.connect(path)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for sql, params in statements:
            conn.execute(sql, params).fetchall()
        times.append(time.perf_counter() - t0)
    conn.close()
    return statistics.median(times)


# --- a naive pandas page -------------------------------------------------------------------------


def naive_overview(path: Path, lo: str, hi: str) -> dict:
    """The overview tiles the way a first dashboard computes them: whole tables into pandas on
    every run, then filter and count."""
    conn = sqlite3.connect(path)
    orders = pd.read_sql("SELECT id, status, submitted_at, completed_at, actual_beneficiaries "
                         "FROM workorder", conn)
    ratings = pd.read_sql("SELECT order_id, level, at FROM rating", conn)
    records = pd.read_sql("SELECT order_id, volunteer_id, hours FROM servicerecord", conn)
    conn.close()
    placed = orders[(orders.submitted_at >= lo) & (orders.submitted_at < hi)]
    done = orders[orders.status.isin(["completed", "rated"]) & (orders.completed_at >= lo)
                  & (orders.completed_at < hi)]
    rated = ratings[(ratings["at"] >= lo) & (ratings["at"] < hi)]  # .at is an indexer
    served = records[records.order_id.isin(done.id)]
    return {"placed": len(placed), "done": len(done),
            "beneficiaries": int(done.actual_beneficiaries.sum()), "ratings": len(rated),
            "good": int((rated.level >= 4).sum()), "hours": float(served.hours.sum()),
            "volunteers": served.volunteer_id.nunique()}
