"""Build a county-scale Diandan database fast, by bulk inserts.

The demo town (`python -m seed`) is made through the services, which is right for 2,500 orders
and far too slow for a million. Here the schema still comes from the migrations
(`core.db.upgrade`), but the rows are written with `sqlite3.executemany` inside big transactions,
with the secondary indexes dropped during the load and rebuilt once at the end (a sorted index
build is several times faster than maintaining twelve indexes row by row). Order events and
points-ledger lines — half of all rows — are derived in SQL (`INSERT … SELECT`) from the orders'
own timestamps and service records, so they agree with the orders by construction.

The rows obey what the models and the services would have enforced:

- sites form the tree 中心 → 所 → 站 with materialised paths "/1/<所>/<站>/";
- a 小队 has a 支队 parent, a 支队 a 总队 parent, a 总队 none; (site, team name) is unique;
- every team lead account has a team; volunteer phones are unique;
- each order's status matches its timestamps: the life of an order is planned as a chain
  submitted → dispatched → accepted → completed → rated (or a cancel after one of the first
  three steps) and it stops at the last step whose moment is before `now`, so recent orders are
  open and old ones are rated; a few old ones are left stuck (never rated, never accepted) so
  the overdue (超时) queries find something;
- completed orders have 2–4 service records by members of their team, a points-ledger line for
  each (10 points an hour), 1–3 beneficiary groups summing to `actual_beneficiaries`; rated
  orders have one rating, and a rating ≤ 2 a follow-up (回访);
- every transition has its event row (place, dispatch, decline, accept, complete, rate, cancel),
  with `version` = the number of transitions, as the services write them.

Values are stored exactly as SQLAlchemy/SQLModel store them in SQLite: aware UTC datetimes as
'YYYY-MM-DD HH:MM:SS.ffffff' text, dates as 'YYYY-MM-DD', enums by name, booleans as 0/1
(`check_formats()` compares with what SQLAlchemy writes, so a change there is caught).

Not generated: surveys and needs, rating tokens, rewards and redemptions, the audit log — no read
function under benchmark touches them.
"""

from __future__ import annotations

import json
import math
import os
import random
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from core import textsearch
from seed import data

EPOCH = datetime(1970, 1, 1)             # naive UTC: formatting without tzinfo is faster
US = 1_000_000
HOUR = 3600 * US
DAY = 24 * HOUR
LOCAL = 8 * HOUR                         # Asia/Shanghai: UTC+8, no daylight saving since 1991
CATEGORIES = ("理论宣讲", "教育服务", "文化服务", "科技与科普服务", "健康促进与体育服务",
              "便民惠民服务")            # = services.catalog.DEFAULT_CATEGORIES
GROUPS = ("elderly", "children", "disabled", "low_income", "women", "general")
POINTS_PER_HOUR = 10                     # = core.config default

# The tables whose secondary indexes are dropped during the load and rebuilt at the end.
BULK_TABLES = ("workorder", "orderevent", "servicerecord", "pointsentry", "rating",
               "orderbeneficiary", "followup", "volunteer", "volunteerteam")


@dataclass(frozen=True)
class Scale:
    """The county of PRODUCT.md ("Scale to plan for"); --orders scales the history only."""

    towns: int = 20                     # 所
    villages_per_town: int = 15         # 站: 300 in all
    county_teams: int = 20              # 1 总队 + 5 支队 + 14 小队 at the 中心
    teams_per_town: int = 29            # 1 总队 + 4 支队 + 24 小队 (half in villages): 580
    volunteers: int = 50_000
    orders: int = 1_000_000
    years: int = 10
    events_days: int = 0                # 0: events for every order; N: only the last N days


_DAY_TEXT: dict[int, str] = {}


def fmt(us: int) -> str:
    """A UTC moment (µs since the epoch) as SQLAlchemy stores an aware datetime in SQLite."""
    d, rest = divmod(us, DAY)
    day = _DAY_TEXT.get(d)
    if day is None:
        day = _DAY_TEXT[d] = (EPOCH + timedelta(days=d)).date().isoformat()
    sec, micro = divmod(rest, US)
    h, sec = divmod(sec, 3600)
    m, sec = divmod(sec, 60)
    return f"{day} {h:02d}:{m:02d}:{sec:02d}.{micro:06d}"


def local_date(us: int) -> date:
    return (EPOCH + timedelta(microseconds=us + LOCAL)).date()


def to_us(moment: datetime) -> int:
    delta = moment.astimezone(UTC).replace(tzinfo=None) - EPOCH
    return (delta.days * 86400 + delta.seconds) * US + delta.microseconds


# --- the organisation -------------------------------------------------------------------------

TOWN_NAMES = ("云溪", "青石", "龙泉", "桃源", "白沙", "松岗", "梅林", "金峰", "石门", "清河",
              "凤凰", "杨柳", "新丰", "大坪", "长乐", "望江", "双桥", "安平", "永和", "黄坡",
              "马鞍", "东湖", "西岭", "南山", "北塘", "兴隆", "太平", "乐安", "仁和", "福田")
VILLAGE_HEADS = ("东", "西", "南", "北", "上", "下", "大", "小", "新", "老", "石", "柳", "杏",
                 "枫", "青", "梅", "桃", "竹", "松", "荷", "李", "高", "黄", "白", "红")
VILLAGE_TAILS = ("岭村", "河村", "山村", "桥村", "塘村", "坪村", "湾村", "田村", "溪村", "坑村",
                 "庄村", "口社区", "街社区", "湖社区", "园社区")
DETACHMENTS = (("理论宣讲支队", (0,)), ("文化教育支队", (1, 2)), ("卫生健康支队", (4,)),
               ("科技便民支队", (3, 5)), ("应急救援支队", (5, 4)))
SQUADS = (("党员先锋宣讲小队", (0,), 0), ("百姓名嘴宣讲小队", (0,), 0), ("法治宣传小队", (0, 5), 0),
          ("四点半课堂小队", (1,), 1), ("文艺轻骑兵小队", (2,), 1), ("巾帼文艺小队", (2, 1), 1),
          ("家庭医生义诊小队", (4,), 2), ("邻里帮小队", (5, 4), 2), ("农技服务小队", (3,), 3),
          ("科普宣传小队", (3, 1), 3), ("便民服务小队", (5,), 3), ("应急救护小队", (4, 5), 2))


@dataclass
class Org:
    """Ids the order generator needs, kept in plain lists and dicts."""

    towns: list[int]
    villages: dict[int, list[int]]             # town → its 站
    town_of: dict[int, int]                    # site → its 所 (a 所 maps to itself)
    teams_by_town_cat: dict[tuple[int, int], list[int]]
    teams_by_town: dict[int, list[int]]
    county_teams: set[int]
    county_teams_by_cat: dict[int, list[int]]
    lead_user: dict[int, int]                  # team → its lead's user id
    officer_of: dict[int, int]                 # 站 → its officer
    managers_of: dict[int, list[int]]          # 所 → its managers
    county_managers: list[int]
    members: dict[int, list[int]]              # team → volunteer ids
    items_by_cat: dict[int, list[tuple]]       # category id → (item id, title, profile, lo, hi)


def _rows(conn: sqlite3.Connection, sql: str, rows: list) -> None:
    if rows:
        conn.executemany(sql, rows)


def _insert(table: str, columns: str) -> str:
    cols = [c.strip() for c in columns.split(",")]
    names = ", ".join(f'"{c}"' for c in cols)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(cols))})'


def _cum(weights) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


SURNAME_CUM = _cum(data.SURNAME_WEIGHTS)


def _person(rnd: random.Random, gender: str | None = None) -> tuple[str, str]:
    gender = gender or rnd.choice(("male", "female"))
    surname = rnd.choices(data.SURNAMES, cum_weights=SURNAME_CUM)[0]
    given = rnd.choice(data.MALE_GIVEN if gender == "male" else data.FEMALE_GIVEN)
    return surname + given, gender


def _phone(rnd: random.Random) -> str:
    return rnd.choice(data.MOBILE_PREFIXES) + f"{rnd.randrange(10**8):08d}"


@dataclass
class _Sites:
    """The site tree as the later steps of `build_org` need it."""

    towns: list[int]
    villages: dict[int, list[int]]             # town → its 站
    town_of: dict[int, int]                    # site → its 所 (a 所 maps to itself)
    town_name: dict[int, str]                  # 所 → its short name, for the team names
    site_name: dict[int, str]                  # 站 → its name, for the village squads


def _build_sites(conn: sqlite3.Connection, scale: Scale, rnd: random.Random) -> _Sites:
    # Sites: 中心 id 1, then the 所, then the 站.
    sites = [(1, "青山县新时代文明实践中心", "center", None, "/1/")]
    towns = list(range(2, 2 + scale.towns))
    villages: dict[int, list[int]] = {}
    town_of: dict[int, int] = {}
    town_name: dict[int, str] = {}
    site_name: dict[int, str] = {}
    next_id = 2 + scale.towns
    for i, t in enumerate(towns):
        town_name[t] = TOWN_NAMES[i % len(TOWN_NAMES)] + ("" if i < len(TOWN_NAMES) else str(i))
        sites.append((t, f"{town_name[t]}镇新时代文明实践所", "station", 1, f"/1/{t}/"))
        town_of[t] = t
        names = set()
        while len(names) < scale.villages_per_town:
            names.add(rnd.choice(VILLAGE_HEADS) + rnd.choice(VILLAGE_HEADS)
                      + rnd.choice(VILLAGE_TAILS))
        villages[t] = []
        for name in sorted(names):
            v = next_id
            next_id += 1
            sites.append((v, name, "point", t, f"/1/{t}/{v}/"))
            villages[t].append(v)
            town_of[v] = t
            site_name[v] = name
    _rows(conn, _insert("site", "id, name, level, parent_id, path"), sites)
    return _Sites(towns=towns, villages=villages, town_of=town_of, town_name=town_name,
                  site_name=site_name)


def _build_menu(conn: sqlite3.Connection, created: str) -> dict[int, list[tuple]]:
    """The categories and the service menu; return the menu items by category id."""
    _rows(conn, _insert("servicecategory", "id, name, sort_order, active"),
          [(i + 1, name, i, 1) for i, name in enumerate(CATEGORIES)])
    items, items_by_cat = [], {}
    for n, (cat, title, profile, lo, hi, desc) in enumerate(data.MENU, start=1):
        items.append((n, title, cat + 1, desc, 1, "", None, created))
        items_by_cat.setdefault(cat + 1, []).append((n, title, profile, lo, hi))
    _rows(conn, _insert("serviceitem", "id, title, category_id, description, active, "
                        "retired_reason, retired_at, created_at"), items)
    return items_by_cat


@dataclass
class _Teams:
    """The team rows as they are made, ids counting from 1 in the order of the `add` calls."""

    rnd: random.Random
    created: str
    rows: list[tuple] = field(default_factory=list)
    cats: list[tuple[int, int]] = field(default_factory=list)     # (team, category id)
    site: dict[int, int] = field(default_factory=dict)            # team → its site
    last: int = 0                                                 # the last id given

    def add(self, name: str, tier: str, parent: int | None, site: int, cats) -> int:
        self.last += 1
        tid = self.last
        lead, _ = _person(self.rnd)
        self.rows.append((tid, name, tier, parent, site, lead, _phone(self.rnd), 1, self.created))
        self.cats.extend((tid, c + 1) for c in sorted(set(cats)))
        self.site[tid] = site
        return tid


def _county_teams(teams: _Teams, scale: Scale) -> dict[int, list[int]]:
    """The teams at the 中心 (made first: ids 1 … county_teams); return them by category id."""
    corps = teams.add("青山县新时代文明实践志愿服务总队", "corps", None, 1, (0, 2))
    dets = [teams.add("县" + name, "detachment", corps, 1, cats) for name, cats in DETACHMENTS]
    for k in range(scale.county_teams - 1 - len(dets)):
        name, cats, d = SQUADS[k % len(SQUADS)]
        teams.add(f"县{name}" + ("" if k < len(SQUADS) else f"{k // len(SQUADS) + 1}"), "squad",
                  dets[d], 1, cats)
    county_teams_by_cat: dict[int, list[int]] = {}
    for t_id in range(1, teams.last + 1):
        for c in {c for (tt, c) in teams.cats if tt == t_id}:
            county_teams_by_cat.setdefault(c, []).append(t_id)
    return county_teams_by_cat


def _town_teams(teams: _Teams, scale: Scale, sites: _Sites) -> dict[int, list[int]]:
    """The teams of every 所, half the 小队 in its villages; return them by town."""
    teams_by_town: dict[int, list[int]] = {}
    for t in sites.towns:
        first = teams.last + 1
        name_t = sites.town_name[t]
        tc = teams.add(f"{name_t}镇新时代文明实践志愿服务总队", "corps", None, t, (0, 2))
        tdets = [teams.add(f"{name_t}镇{name}", "detachment", tc, t, cats)
                 for name, cats in DETACHMENTS[:4]]
        squads = scale.teams_per_town - 1 - len(tdets)
        for k in range(squads):
            name, cats, d = SQUADS[k % len(SQUADS)]
            if k % 2 == 0:                    # a village squad
                v = sites.villages[t][(k // 2) % len(sites.villages[t])]
                teams.add(f"{sites.site_name[v]}{name}", "squad", tdets[d], v, cats)
            else:
                teams.add(f"{name_t}镇{name}" + ("" if k < len(SQUADS) else str(k)), "squad",
                          tdets[d], t, cats)
        teams_by_town[t] = list(range(first, teams.last + 1))
    return teams_by_town


def _teams_by_town_cat(teams: _Teams, towns: list[int],
                       teams_by_town: dict[int, list[int]]) -> dict[tuple[int, int], list[int]]:
    cats_of: dict[int, list[int]] = {}
    for t_id, c in teams.cats:
        cats_of.setdefault(t_id, []).append(c)
    teams_by_town_cat: dict[tuple[int, int], list[int]] = {}
    for t in towns:
        for t_id in teams_by_town[t]:
            for c in cats_of[t_id]:
                teams_by_town_cat.setdefault((t, c), []).append(t_id)
    return teams_by_town_cat


def _insert_teams(conn: sqlite3.Connection, teams: _Teams, items_by_cat: dict[int, list[tuple]],
                  county_teams_by_cat: dict[int, list[int]]) -> None:
    _rows(conn, _insert("team", "id, name, tier, parent_id, site_id, lead_name, phone, active, "
                        "created_at"), teams.rows)
    _rows(conn, _insert("teamcategory", "team_id, category_id"), teams.cats)
    # The menu items are offered by the county teams of their category.
    _rows(conn, _insert("serviceitemteam", "item_id, team_id"),
          [(item[0], t_id) for c, its in items_by_cat.items() for item in its
           for t_id in county_teams_by_cat.get(c, [])])


@dataclass
class _Users:
    """The user rows as they are made, ids counting from 1 in the order of the `add` calls."""

    rnd: random.Random
    created: str
    password_hash: str
    rows: list[tuple] = field(default_factory=list)
    last: int = 0                                                 # the last id given

    def add(self, username: str, role: str, site: int, team_id: int | None = None) -> int:
        self.last += 1
        name, _ = _person(self.rnd)
        self.rows.append((self.last, username, name, role, site, team_id, _phone(self.rnd), 1,
                          self.password_hash, 0, self.created, "zh", self.created))
        return self.last


def _build_users(conn: sqlite3.Connection, users: _Users, sites: _Sites, teams: _Teams):
    """Return (county managers, 所 → its managers, 站 → its officer, team → its lead's user)."""
    # Users: managers and a leader per 所, an officer per 站, a lead per team, county staff.
    county_managers = [users.add("county_admin", "manager", 1),
                       users.add("county_admin2", "manager", 1)]
    for k in range(3):
        users.add(f"county_leader{k + 1}", "leader", 1)
    managers_of, officer_of = {}, {}
    for t in sites.towns:
        managers_of[t] = [users.add(f"town{t:03d}_admin", "manager", t),
                          users.add(f"town{t:03d}_admin2", "manager", t)]
        users.add(f"town{t:03d}_leader", "leader", t)
        for v in sites.villages[t]:
            officer_of[v] = users.add(f"officer{v:04d}", "officer", v)
    lead_user = {t_id: users.add(f"lead{t_id:04d}", "team_lead", teams.site[t_id], t_id)
                 for t_id in range(1, teams.last + 1)}
    _rows(conn, _insert("user", "id, username, display_name, role, site_id, team_id, phone, "
                        "active, password_hash, must_change_password, sessions_valid_after, "
                        "language, created_at"), users.rows)
    return county_managers, managers_of, officer_of, lead_user


def _build_volunteers(conn: sqlite3.Connection, scale: Scale, rnd: random.Random, start_us: int,
                      sites: _Sites, teams: _Teams,
                      teams_by_town: dict[int, list[int]]) -> dict[int, list[int]]:
    """The volunteers and their team links; return team → its members' volunteer ids."""
    # Volunteers: 80 % live in a 站, 20 % at a 所; one team near home, some a second one.
    towns, villages = sites.towns, sites.villages
    vols, links = [], []
    members: dict[int, list[int]] = {t_id: [] for t_id in range(1, teams.last + 1)}
    village_teams = {}
    for t_id, *_rest in teams.rows:
        site = teams.site[t_id]
        village_teams.setdefault(site, []).append(t_id)
    span_days = scale.years * 365
    start_day = local_date(start_us)
    skills_all = [s for v in data.SKILLS_BY_CATEGORY.values() for s in v]
    skills_all += data.GENERAL_SKILLS
    for vid in range(1, scale.volunteers + 1):
        t = towns[rnd.randrange(len(towns))]
        site = rnd.choice(villages[t]) if rnd.random() < 0.8 else t
        name, gender = _person(rnd)
        phone = data.MOBILE_PREFIXES[vid % len(data.MOBILE_PREFIXES)] + \
            f"{(vid * 7919 + 12345678) % 10**8:08d}"      # unique: 7919 is prime to 10**8
        registered = start_day + timedelta(days=int(span_days * rnd.random() ** 0.8))
        vols.append((vid, name, phone, gender, site, int(rnd.random() < 0.3),
                     "、".join(rnd.sample(skills_all, rnd.randint(0, 2))), registered.isoformat(),
                     int(rnd.random() < 0.95)))
        own = village_teams.get(site, []) if site != t else []
        first = rnd.choice(own) if own and rnd.random() < 0.4 else rnd.choice(teams_by_town[t])
        mine = {first}
        if rnd.random() < 0.35:
            mine.add(rnd.choice(teams_by_town[t]))
        if rnd.random() < 0.08:
            mine.add(rnd.randint(1, scale.county_teams))
        for t_id in mine:
            links.append((vid, t_id))
            members[t_id].append(vid)
    _fill_crews(scale, rnd, members, links)
    _rows(conn, _insert("volunteer", "id, name, phone, gender, site_id, party_member, skills, "
                        "registered_on, active"), vols)
    _rows(conn, _insert("volunteerteam", "volunteer_id, team_id"), links)
    return members


def _fill_crews(scale: Scale, rnd: random.Random, members: dict[int, list[int]],
                links: list[tuple[int, int]]) -> None:
    for t_id, ms in members.items():       # every team can field a crew of four
        while len(ms) < 6:
            vid = rnd.randint(1, scale.volunteers)
            if vid not in ms:
                ms.append(vid)
                links.append((vid, t_id))


def build_org(conn: sqlite3.Connection, scale: Scale, rnd: random.Random, now_us: int,
              password_hash: str) -> Org:
    # The steps share `rnd`, so their order here is part of what a seed builds.
    start_us = now_us - scale.years * 365 * DAY
    created = fmt(start_us - 30 * DAY)
    sites = _build_sites(conn, scale, rnd)
    items_by_cat = _build_menu(conn, created)

    # Teams: 总队 → 支队 → 小队 at the 中心 and in every 所; half the 小队 sit in villages.
    teams = _Teams(rnd, created)
    county_teams_by_cat = _county_teams(teams, scale)
    teams_by_town = _town_teams(teams, scale, sites)
    teams_by_town_cat = _teams_by_town_cat(teams, sites.towns, teams_by_town)
    _insert_teams(conn, teams, items_by_cat, county_teams_by_cat)

    county_managers, managers_of, officer_of, lead_user = _build_users(
        conn, _Users(rnd, created, password_hash), sites, teams)
    members = _build_volunteers(conn, scale, rnd, start_us, sites, teams, teams_by_town)
    return Org(towns=sites.towns, villages=sites.villages, town_of=sites.town_of,
               teams_by_town_cat=teams_by_town_cat, teams_by_town=teams_by_town,
               county_teams=set(range(1, scale.county_teams + 1)),
               county_teams_by_cat=county_teams_by_cat, lead_user=lead_user,
               officer_of=officer_of, managers_of=managers_of, county_managers=county_managers,
               members=members, items_by_cat=items_by_cat)


# --- the history ------------------------------------------------------------------------------

ORDER_SQL = _insert("workorder", "id, code, source, site_id, category_id, item_id, title, "
                    "description, requester_name, requester_phone, due_on, "
                    "expected_beneficiaries, status, team_id, created_by_id, submitted_at, "
                    "dispatched_at, accepted_at, planned_on, completed_at, rated_at, cancelled_at, "
                    "decline_count, last_decline_reason, cancel_reason, actual_beneficiaries, "
                    "completion_note, version")
# source: every record here is an order's (migration 0010 made duty records possible)
RECORD_SQL = _insert("servicerecord", "order_id, volunteer_id, hours, served_at, source, team_id")
RATING_SQL = _insert("rating", "order_id, level, comment, channel, at, by_user_id, token_id")
BENEFICIARY_SQL = _insert("orderbeneficiary", "order_id, group, count")
FOLLOWUP_SQL = _insert("followup", "order_id, reason, due_at, done_at, done_by_id, outcome")
DECLINE_SQL = "INSERT INTO temp.bench_decline VALUES (?, ?, ?, ?, ?)"

# Who does what, for the event rows: the managers of the order's 所 dispatch and cancel (a county
# manager when the team is a county team: a 所 manager cannot see it), the team's lead accepts,
# declines and completes, whoever recorded the rating rates.
HELPER_TABLES = """
CREATE TEMP TABLE bench_decline (order_id INTEGER PRIMARY KEY, team_id INT, first_at TEXT,
                                 decline_at TEXT, reason TEXT);
CREATE TEMP TABLE bench_site_manager (site_id INTEGER PRIMARY KEY, m0 INT, m1 INT);
CREATE TEMP TABLE bench_team_lead (team_id INTEGER PRIMARY KEY, user_id INT, county INT);
"""

# The events of a range of orders, derived from the orders' own columns, in time order, so event
# ids grow with time as they do in the app.
EVENTS_SQL = """
INSERT INTO orderevent (order_id, at, actor_id, action, from_status, to_status, team_id, note)
SELECT order_id, at, actor_id, action, from_status, to_status, team_id, note FROM (
  SELECT w.id AS order_id, w.submitted_at AS at, w.created_by_id AS actor_id, 'place' AS action,
         NULL AS from_status, 'submitted' AS to_status, NULL AS team_id, '' AS note, 0 AS step
    FROM workorder w WHERE w.id BETWEEN :lo AND :hi AND w.submitted_at >= :since
  UNION ALL
  SELECT d.order_id, d.first_at, CASE w.id % 2 WHEN 0 THEN m.m0 ELSE m.m1 END, 'dispatch',
         'submitted', 'dispatched', d.team_id, '', 1
    FROM bench_decline d JOIN workorder w ON w.id = d.order_id
    JOIN bench_site_manager m ON m.site_id = w.site_id
   WHERE d.order_id BETWEEN :lo AND :hi AND w.submitted_at >= :since
  UNION ALL
  SELECT d.order_id, d.decline_at, l.user_id, 'decline', 'dispatched', 'submitted', d.team_id,
         d.reason, 2
    FROM bench_decline d JOIN workorder w ON w.id = d.order_id
    JOIN bench_team_lead l ON l.team_id = d.team_id
   WHERE d.order_id BETWEEN :lo AND :hi AND w.submitted_at >= :since
  UNION ALL
  SELECT w.id, w.dispatched_at,
         CASE WHEN l.county THEN :county_manager WHEN w.id % 2 = 0 THEN m.m0 ELSE m.m1 END,
         'dispatch', 'submitted', 'dispatched', w.team_id, '', 3
    FROM workorder w JOIN bench_site_manager m ON m.site_id = w.site_id
    JOIN bench_team_lead l ON l.team_id = w.team_id
   WHERE w.id BETWEEN :lo AND :hi AND w.submitted_at >= :since AND w.dispatched_at IS NOT NULL
  UNION ALL
  SELECT w.id, w.accepted_at, l.user_id, 'accept', 'dispatched', 'accepted', w.team_id,
         coalesce(w.planned_on, ''), 4
    FROM workorder w JOIN bench_team_lead l ON l.team_id = w.team_id
   WHERE w.id BETWEEN :lo AND :hi AND w.submitted_at >= :since AND w.accepted_at IS NOT NULL
  UNION ALL
  SELECT w.id, w.completed_at, l.user_id, 'complete', 'accepted', 'completed', NULL,
         w.completion_note, 5
    FROM workorder w JOIN bench_team_lead l ON l.team_id = w.team_id
   WHERE w.id BETWEEN :lo AND :hi AND w.submitted_at >= :since AND w.completed_at IS NOT NULL
  UNION ALL
  SELECT w.id, r.at, r.by_user_id, 'rate', 'completed', 'rated', NULL, CAST(r.level AS TEXT), 6
    FROM rating r JOIN workorder w ON w.id = r.order_id
   WHERE r.order_id BETWEEN :lo AND :hi AND w.submitted_at >= :since
  UNION ALL
  SELECT w.id, w.cancelled_at, CASE w.id % 2 WHEN 0 THEN m.m1 ELSE m.m0 END, 'cancel',
         CASE WHEN w.accepted_at IS NOT NULL THEN 'accepted'
              WHEN w.dispatched_at IS NOT NULL THEN 'dispatched' ELSE 'submitted' END,
         'cancelled', NULL, w.cancel_reason, 7
    FROM workorder w JOIN bench_site_manager m ON m.site_id = w.site_id
   WHERE w.id BETWEEN :lo AND :hi AND w.submitted_at >= :since AND w.cancelled_at IS NOT NULL
) ORDER BY at, order_id, step
"""

# One points-ledger line per service record, as services/points.py credits it (10 points an hour).
POINTS_SQL = f"""
INSERT INTO pointsentry (volunteer_id, points, reason, order_id, redemption_id, at, note)
SELECT s.volunteer_id, CAST(round(s.hours * {POINTS_PER_HOUR}) AS INTEGER), 'service', s.order_id,
       NULL, s.served_at, w.code
  FROM servicerecord s JOIN workorder w ON w.id = s.order_id
 WHERE s.order_id BETWEEN :lo AND :hi AND s.hours * {POINTS_PER_HOUR} >= 0.5
 ORDER BY s.id
"""

STATUS = ("submitted", "dispatched", "accepted", "completed", "rated")
SOURCES = tuple(s for s, _ in data.SOURCE_WEIGHTS)
SOURCE_CUM = _cum(w for _, w in data.SOURCE_WEIGHTS)
LEVELS = (5, 4, 3, 2, 1)
LEVEL_CUM = _cum((78, 16, 4, 1.2, 0.8))  # 好评率 ~94 %, like the provincial platforms report
CAT_CUM = _cum(data.CATEGORY_WEIGHTS)
CHANNELS = ("qr", "call", "in_person")
HOURS = (1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 4.0)


def submitted_moments(rnd: random.Random, n: int, start_us: int, now_us: int) -> list[int]:
    """n moments over the period, demand growing linearly (3× at the end), in local office hours,
    sorted."""
    days = (now_us - start_us) // DAY
    out = []
    for _ in range(n):
        x = (math.sqrt(1 + 8 * rnd.random()) - 1) / 2          # density ∝ 1 + 2x on [0, 1]
        day = start_us + int(x * days) * DAY
        # 08:00–18:00 Beijing time is 00:00–10:00 UTC (`start_us` is a UTC midnight).
        moment = day + int(rnd.random() * 10 * HOUR)
        if moment >= now_us:
            moment = now_us - int(rnd.random() * 6 * HOUR) - US
        out.append(moment)
    out.sort()
    return out


def _helpers(conn: sqlite3.Connection, org: Org) -> None:
    conn.executescript(HELPER_TABLES)
    site_managers = [(1, org.county_managers[0], org.county_managers[1])]
    for town in org.towns:
        m0, m1 = org.managers_of[town]
        site_managers += [(site, m0, m1) for site in [town] + org.villages[town]]
    conn.executemany("INSERT INTO temp.bench_site_manager VALUES (?, ?, ?)", site_managers)
    conn.executemany("INSERT INTO temp.bench_team_lead VALUES (?, ?, ?)",
                     [(team, user, int(team in org.county_teams))
                      for team, user in org.lead_user.items()])


@dataclass
class _Batch:
    """The rows of one chunk of orders, written in one transaction."""

    orders: list[tuple] = field(default_factory=list)
    declines: list[tuple] = field(default_factory=list)
    records: list[tuple] = field(default_factory=list)
    ratings: list[tuple] = field(default_factory=list)
    groups: list[tuple] = field(default_factory=list)
    follow: list[tuple] = field(default_factory=list)


class _Request(NamedTuple):
    """What an order asks for, where and from whom: the part drawn before its life is planned."""

    site: int
    town: int
    cat: int
    item_id: int | None
    title: str
    profile: str
    source: str
    officer: int | None
    creator: int
    req_name: str
    req_phone: str
    day: date                                  # the local day it was submitted
    desc: str
    expected: int


def _order_request(rnd: random.Random, org: Org, village_pool: list[int],
                   free: dict[int, list[tuple]], sub: int) -> _Request:
    random_ = rnd.random
    site = rnd.choice(village_pool) if random_() < 0.9 else rnd.choice(org.towns)
    town = org.town_of[site]
    cat = rnd.choices((1, 2, 3, 4, 5, 6), cum_weights=CAT_CUM)[0]
    if random_() < 0.8:
        item_id, title, profile, blo, bhi = rnd.choice(org.items_by_cat[cat])
    else:
        item_id = None
        title, profile, blo, bhi = rnd.choice(free[cat])
    source = rnd.choices(SOURCES, cum_weights=SOURCE_CUM)[0]
    officer = org.officer_of.get(site)
    creator = officer or org.managers_of[town][0]
    if source in ("walk_in", "phone", "letter"):
        who, _ = _person(rnd)
        req_name, req_phone = who, _phone(rnd)
    else:
        who = rnd.choice(data.RESPONDENTS)
        req_name, req_phone = "", ""
    day = local_date(sub)
    desc = data.DESCRIPTIONS[source].format(who=who, title=title,
                                            campaign=data.CAMPAIGNS[day.month])
    expected = blo + int((bhi - blo + 1) * random_())
    return _Request(site, town, cat, item_id, title, profile, source, officer, creator, req_name,
                    req_phone, day, desc, expected)


def _order_plan(rnd: random.Random, sub: int):
    """The planned life of an order: return (the moments of its five steps, the last step it
    would reach, the step a cancel follows or None, declined, first dispatch, decline)."""
    random_ = rnd.random
    r = random_()
    if r < 0.045:                       # cancelled from 待派单 / 已派单 / 已接单
        final, cancel_from = 3, (0 if r < 0.027 else 1 if r < 0.038 else 2)
    else:                               # rated; 1 % never rated; a few stuck half-way
        r = random_()
        final = 4 if r < 0.9895 else 3 if r < 0.9995 else int(3 * random_())
        cancel_from = None
    # dispatch: 8 % late (over the 1-day limit); accept: 4 % late (over 2 days);
    # rate: 5 % later than the 7 days allowed.
    t_disp = sub + int(HOUR * (24 + 36 * random_() if random_() < 0.08
                               else 0.3 + 19.7 * random_()))
    declined = random_() < 0.03
    t_first = t_decline = None
    if declined:
        t_first = t_disp
        t_decline = t_first + int(HOUR * (1 + 23 * random_()))
        t_disp = t_decline + int(HOUR * (0.5 + 11.5 * random_()))
    t_acc = t_disp + int(HOUR * (50 + 46 * random_() if random_() < 0.04
                                 else 0.5 + 39.5 * random_()))
    t_done = t_acc + int(HOUR * (20 + 120 * random_()))
    t_rate = t_done + int(HOUR * (170 + 130 * random_() if random_() < 0.05
                                  else 0.2 + 149.8 * random_()))
    return (sub, t_disp, t_acc, t_done, t_rate), final, cancel_from, declined, t_first, t_decline


def _order_stage(rnd: random.Random, chain: tuple[int, ...], final: int, cancel_from: int | None,
                 now_us: int) -> tuple[int, int | None]:
    """The last planned step before `now`, and the moment of the cancel if there is one."""
    reached = 0
    while reached < 4 and chain[reached + 1] <= now_us:
        reached += 1
    cancelled_at = None
    if cancel_from is not None:
        # The cancel comes before the step that would have followed it.
        t_cancel = chain[cancel_from] + 1 + int(
            (chain[cancel_from + 1] - chain[cancel_from]) * rnd.random())
        if reached >= cancel_from and t_cancel <= now_us:
            stage, cancelled_at = cancel_from, t_cancel
        else:
            stage = min(reached, cancel_from)
    else:
        stage = min(reached, final)
    return stage, cancelled_at


def _order_team(rnd: random.Random, org: Org, req: _Request) -> int:
    """The team an order is dispatched to: now and then a county team of its category."""
    county = org.county_teams_by_cat.get(req.cat)
    if county and rnd.random() < 0.08:
        return rnd.choice(county)
    return rnd.choice(org.teams_by_town_cat.get((req.town, req.cat))
                      or org.teams_by_town[req.town])


def _order_completion(rnd: random.Random, org: Org, batch: _Batch, oid: int, team: int,
                      req: _Request, done_s: str) -> tuple[int, str]:
    """The beneficiary groups and service records of a completed order; return (actual
    beneficiaries, completion note)."""
    random_ = rnd.random
    chosen = sorted(set(rnd.choices(GROUPS, data.PROFILES[req.profile],
                                    k=1 + int(3 * random_()))))
    left, actual = max(1, int(req.expected * (0.6 + 0.8 * random_()))), 0
    for g_i, g in enumerate(chosen):
        n = left if g_i == len(chosen) - 1 else int((left + 1) * random_())
        left -= n
        actual += n
        batch.groups.append((oid, g, n))
    note = rnd.choice(data.COMPLETION_NOTES)
    crew = org.members[team]
    for vid in rnd.sample(crew, min(len(crew), 2 + int(3 * random_()))):
        batch.records.append((oid, vid, HOURS[int(7 * random_())], done_s, "order", team))
    return actual, note


def _order_rating(rnd: random.Random, org: Org, batch: _Batch, oid: int, req: _Request,
                  t_rate: int, rate_s: str, now_us: int) -> None:
    """The rating of a rated order, and the follow-up (回访) a bad one calls for."""
    random_ = rnd.random
    level = rnd.choices(LEVELS, cum_weights=LEVEL_CUM)[0]
    rater = req.officer if req.officer and random_() < 0.7 else org.managers_of[req.town][0]
    batch.ratings.append((oid, level, rnd.choice(data.RATING_COMMENTS[level]),
                          CHANNELS[int(3 * random_())], rate_s, rater, None))
    if level <= 2:
        done_at = t_rate + int(HOUR * (4 + 296 * random_()))
        done_ok = done_at <= now_us
        batch.follow.append((oid, "bad_rating", fmt(t_rate + 15 * DAY),
                             fmt(done_at) if done_ok else None, rater if done_ok else None,
                             "已电话回访，向群众说明情况并改进服务。" if done_ok else ""))


def _order(rnd: random.Random, org: Org, batch: _Batch, oid: int, sub: int, now_us: int,
           village_pool: list[int], free: dict[int, list[tuple]]) -> str:
    """Draw one order and add its rows to the batch; return its status."""
    # The steps share `rnd`, so their order here is part of what a seed builds.
    req = _order_request(rnd, org, village_pool, free, sub)
    chain, final, cancel_from, declined, t_first, t_decline = _order_plan(rnd, sub)
    _sub, t_disp, t_acc, t_done, t_rate = chain
    stage, cancelled_at = _order_stage(rnd, chain, final, cancel_from, now_us)
    if declined and stage < 1:
        declined = False
    status = "cancelled" if cancelled_at else STATUS[stage]

    team = _order_team(rnd, org, req) if stage >= 1 else None
    disp_s = fmt(t_disp) if stage >= 1 else None
    acc_s = fmt(t_acc) if stage >= 2 else None
    done_s = fmt(t_done) if stage >= 3 and not cancelled_at else None
    rate_s = fmt(t_rate) if stage >= 4 else None
    planned = None
    if stage >= 2 and rnd.random() < 0.5:
        planned = (local_date(t_acc) + timedelta(days=int(4 * rnd.random()))).isoformat()
    decline_reason = rnd.choice(data.DECLINE_REASONS) if declined else ""
    cancel_reason = rnd.choice(data.CANCEL_REASONS) if cancelled_at else ""
    if declined:
        batch.declines.append((oid, rnd.choice(org.teams_by_town[req.town]), fmt(t_first),
                               fmt(t_decline), decline_reason))
    actual, note = None, ""
    if done_s:
        actual, note = _order_completion(rnd, org, batch, oid, team, req, done_s)
    if rate_s:
        _order_rating(rnd, org, batch, oid, req, t_rate, rate_s, now_us)
    version = (2 if declined else 0) + stage + (1 if cancelled_at else 0)
    day = req.day
    batch.orders.append((
        oid, f"DD-{day.year}-{oid:06d}", req.source, req.site, req.cat, req.item_id, req.title,
        req.desc, req.req_name, req.req_phone, (day + timedelta(days=7)).isoformat(),
        req.expected, status, team, req.creator, fmt(sub), disp_s, acc_s, planned, done_s, rate_s,
        fmt(cancelled_at) if cancelled_at else None, int(declined), decline_reason,
        cancel_reason, actual, note, version))
    return status


def _write_batch(conn: sqlite3.Connection, batch: _Batch, lo: int, since: str,
                 county_manager: int) -> None:
    """Insert a chunk's rows, then derive its events and points lines in SQL, in one transaction."""
    conn.execute("BEGIN")
    conn.executemany(ORDER_SQL, batch.orders)
    conn.executemany(DECLINE_SQL, batch.declines)
    conn.executemany(RECORD_SQL, batch.records)
    conn.executemany(RATING_SQL, batch.ratings)
    conn.executemany(BENEFICIARY_SQL, batch.groups)
    conn.executemany(FOLLOWUP_SQL, batch.follow)
    span = {"lo": lo + 1, "hi": lo + len(batch.orders)}
    conn.execute(EVENTS_SQL, {**span, "since": since, "county_manager": county_manager})
    conn.execute(POINTS_SQL, span)
    conn.execute("COMMIT")


def build_orders(conn: sqlite3.Connection, scale: Scale, org: Org, rnd: random.Random,
                 now_us: int, progress) -> dict:
    start_us = now_us - scale.years * 365 * DAY
    start_us -= start_us % DAY
    since = fmt(now_us - scale.events_days * DAY) if scale.events_days else ""
    moments = submitted_moments(rnd, scale.orders, start_us, now_us)
    by_status: dict[str, int] = {}
    _helpers(conn, org)
    village_pool = [v for t in org.towns for v in org.villages[t]
                    for _ in range(1 + (v * 7) % 5)]                # villages of uneven size
    free = {c + 1: needs for c, needs in data.FREE_NEEDS.items()}
    chunk = 50_000
    for lo in range(0, scale.orders, chunk):
        batch = _Batch()
        for k in range(lo, min(lo + chunk, scale.orders)):
            status = _order(rnd, org, batch, k + 1, moments[k], now_us, village_pool, free)
            by_status[status] = by_status.get(status, 0) + 1
        _write_batch(conn, batch, lo, since, org.county_managers[0])
        progress(f"  orders {lo + len(batch.orders):>9,} / {scale.orders:,}")
    counts = {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
              for table in ("workorder", "orderevent", "servicerecord", "pointsentry", "rating",
                            "orderbeneficiary", "followup", "volunteerteam", "user")}
    counts["by_status"] = dict(sorted(by_status.items(), key=lambda kv: -kv[1]))
    return counts


# --- the whole build --------------------------------------------------------------------------


def check_formats() -> None:
    """Fail loudly if SQLAlchemy no longer stores datetimes and dates the way we write them."""
    from sqlalchemy import Column, Date, Integer, MetaData, Table, create_engine, insert, text
    from sqlmodel.sql.sqltypes import UTCDateTime

    engine = create_engine("sqlite://")
    meta = MetaData()
    probe = Table("probe", meta, Column("id", Integer, primary_key=True),
                  Column("at", UTCDateTime()), Column("on", Date))
    meta.create_all(engine)
    moment = datetime(2024, 2, 29, 23, 59, 58, 5, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(probe).values(id=1, at=moment, on=date(2024, 3, 1)))
        at, on = conn.execute(text('SELECT "at", "on" FROM probe')).one()
    ours = (fmt(to_us(moment)), date(2024, 3, 1).isoformat())
    if (at, on) != ours:
        raise RuntimeError(f"SQLAlchemy stores {at!r}, {on!r}; the bench writes {ours!r}")


def _drop_indexes(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(BULK_TABLES))})", BULK_TABLES).fetchall()
    for name, _sql in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


def meta_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".json")


def read_meta(db_path: Path) -> dict | None:
    path = meta_path(db_path)
    if not db_path.exists() or not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def remove(db_path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".json"):
        p = db_path.with_name(db_path.name + suffix)
        if p.exists():
            p.unlink()


def build(db_path: Path, scale: Scale = Scale(), *, seed: int = 2026,
          now: datetime | None = None, progress=print) -> dict:
    """Create the database file from scratch; return what was built (also saved as <db>.json)."""
    import bcrypt

    from core import db

    check_formats()
    t0, cpu0 = time.perf_counter(), time.process_time()
    url = f"sqlite:///{db_path}"
    db.engine(url).dispose()
    remove(db_path)
    db._upgraded.discard(url)  # the file was deleted: a cached "already upgraded" would be a lie
    db.upgrade(url)            # the schema, exactly as the migrations make it
    db.engine(url).dispose()
    now = now or datetime.now(UTC)
    now_us = to_us(now.replace(microsecond=0))
    rnd = random.Random(seed)
    password_hash = bcrypt.hashpw(b"bench-password", bcrypt.gensalt(4)).decode()

    conn = sqlite3.connect(db_path, isolation_level=None)
    textsearch.register(conn)  # the order search index's triggers (migration 0013) call it
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF",
                   "cache_size=-1000000", "temp_store=MEMORY", "locking_mode=EXCLUSIVE"):
        conn.execute(f"PRAGMA {pragma}")
    index_sql = _drop_indexes(conn)
    conn.execute("BEGIN")
    org = build_org(conn, scale, rnd, now_us, password_hash)
    conn.execute("COMMIT")
    progress(f"  organisation done ({time.perf_counter() - t0:.0f} s)")
    counts = build_orders(conn, scale, org, rnd, now_us, progress)
    t_idx = time.perf_counter()
    progress(f"  rows written ({t_idx - t0:.0f} s); rebuilding {len(index_sql)} indexes …")
    for sql in index_sql:
        conn.execute(sql)
    progress(f"  indexes rebuilt ({time.perf_counter() - t_idx:.0f} s)")
    conn.execute("PRAGMA journal_mode=WAL")  # as the app runs it
    conn.close()
    rollup_seconds = build_rollups(url, progress)
    seconds = time.perf_counter() - t0
    size = db_path.stat().st_size
    info = {"scale": asdict(scale), "seed": seed, "now": now.isoformat(),
            "build_seconds": round(seconds, 1), "rollup_seconds": rollup_seconds,
            "build_cpu_seconds": round(time.process_time() - cpu0, 1),
            "size_mb": round(size / 2**20),
            "counts": counts, "cpus": os.cpu_count()}
    meta_path(db_path).write_text(json.dumps(info, ensure_ascii=False, indent=1))
    return info


def build_rollups(url: str, progress=print) -> float:
    """The rollups from the rows just written (services/rollups.rebuild, as `python -m diandan
    rollups rebuild` runs it); the rows were written without the services, so nothing kept
    them on the way. Returns the seconds it took."""
    from core import db
    from services import order_facts, repeats, rollups, stars
    from services import settings as settings_service

    t0 = time.perf_counter()
    with db.write_session(url) as s:
        written = rollups.rebuild(s, tz="Asia/Shanghai")
        written["stars"] = stars.rebuild(s, values=settings_service.current(s))
        written["repeatedorder"] = repeats.rebuild(
            s, repeat_days=settings_service.current(s)["repeat_days"])
        written["orderfact"] = order_facts.rebuild(s, tz="Asia/Shanghai")
        s.commit()
    seconds = round(time.perf_counter() - t0, 1)
    progress(f"  rollups rebuilt ({seconds:.0f} s: "
             + ", ".join(f"{k} {v:,}" for k, v in written.items()) + " rows)")
    return seconds


# --- checking what was built ------------------------------------------------------------------

# Each query counts rows that break a rule the services would have kept; all must be 0.
CHECKS = {
    "foreign keys": "SELECT count(*) FROM pragma_foreign_key_check",
    "site path = parent path + id": """SELECT count(*) FROM site s JOIN site p ON p.id = s.parent_id
        WHERE s.path != p.path || s.id || '/'""",
    "team tier under the right parent tier": """SELECT count(*) FROM team t
        LEFT JOIN team p ON p.id = t.parent_id
        WHERE NOT ((t.tier = 'corps' AND p.id IS NULL)
                   OR (t.tier = 'detachment' AND p.tier = 'corps')
                   OR (t.tier = 'squad' AND p.tier = 'detachment'))""",
    "status matches timestamps": """SELECT count(*) FROM workorder WHERE
        (status = 'submitted' AND (dispatched_at IS NOT NULL OR team_id IS NOT NULL)) OR
        (status = 'dispatched' AND (dispatched_at IS NULL OR accepted_at IS NOT NULL
                                    OR team_id IS NULL)) OR
        (status = 'accepted' AND (accepted_at IS NULL OR completed_at IS NOT NULL)) OR
        (status = 'completed' AND (completed_at IS NULL OR rated_at IS NOT NULL
                                   OR actual_beneficiaries IS NULL)) OR
        (status = 'rated' AND (rated_at IS NULL OR completed_at IS NULL)) OR
        (status = 'cancelled' AND (cancelled_at IS NULL OR completed_at IS NOT NULL)) OR
        dispatched_at < submitted_at OR accepted_at < dispatched_at OR
        completed_at < accepted_at OR rated_at < completed_at""",
    "one event per transition (version + 1)": """SELECT count(*) FROM workorder w
        WHERE w.version + 1 != (SELECT count(*) FROM orderevent e WHERE e.order_id = w.id)
          AND EXISTS (SELECT 1 FROM orderevent e WHERE e.order_id = w.id)""",
    "last event leads to the status": """SELECT count(*) FROM workorder w
        WHERE w.status != (SELECT e.to_status FROM orderevent e WHERE e.order_id = w.id
                           ORDER BY e.at DESC, e.id DESC LIMIT 1)""",
    "beneficiary groups sum to actual": """SELECT count(*) FROM workorder w
        WHERE w.actual_beneficiaries IS NOT NULL AND w.actual_beneficiaries !=
              (SELECT sum("count") FROM orderbeneficiary b WHERE b.order_id = w.id)""",
    "service records by members of the team": """SELECT count(*) FROM servicerecord s
        JOIN workorder w ON w.id = s.order_id WHERE NOT EXISTS (SELECT 1 FROM volunteerteam vt
        WHERE vt.volunteer_id = s.volunteer_id AND vt.team_id = w.team_id)""",
    "a rating exactly for each rated order": """SELECT (SELECT count(*) FROM workorder
        WHERE status = 'rated') - (SELECT count(*) FROM rating r JOIN workorder w
        ON w.id = r.order_id WHERE w.status = 'rated' AND r.at = w.rated_at)""",
    "dispatcher is a manager who sees order and team": """SELECT count(*) FROM orderevent e
        JOIN user u ON u.id = e.actor_id JOIN site us ON us.id = u.site_id
        JOIN team t ON t.id = e.team_id JOIN site ts ON ts.id = t.site_id
        JOIN workorder w ON w.id = e.order_id JOIN site os ON os.id = w.site_id
        WHERE e.action = 'dispatch' AND (u.role != 'manager'
              OR substr(ts.path, 1, length(us.path)) != us.path
              OR substr(os.path, 1, length(us.path)) != us.path)""",
    "accept/complete by the lead of the order's team": """SELECT count(*) FROM orderevent e
        JOIN user u ON u.id = e.actor_id JOIN workorder w ON w.id = e.order_id
        WHERE e.action IN ('accept', 'complete')
          AND (u.role != 'team_lead' OR u.team_id != w.team_id)""",
}


def verify(db_path: Path) -> dict[str, int]:
    """The rules the services keep, checked over the whole database: {rule: rows breaking it}."""
    conn = sqlite3.connect(db_path)
    try:
        found = {rule: conn.execute(sql).fetchone()[0] for rule, sql in CHECKS.items()}
    finally:
        conn.close()
    return {rule: n for rule, n in found.items() if n}
