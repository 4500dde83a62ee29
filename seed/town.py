"""The demo town: a county centre, one town 所 with its villages, teams, volunteers, a menu and
two years of orders — all made by calling the services users call, so every rule holds and every
transition is in the event log.

The history is planned first as plain data (who, what, when), then played through the services in
the order the orders were placed, each with `now=` set to the moment it happened. Every random
choice comes from one `random.Random(seed)` and every moment from `today`, so the same seed and
day give the same town.
"""

from __future__ import annotations

import random
import secrets
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, text
from sqlmodel import Session, SQLModel, select

import models
from core import config, db, textsearch
from models import (
    CANCELLABLE,
    Gender,
    OrderEvent,
    OrderSource,
    OrderStatus,
    RatingChannel,
    Role,
    Site,
    SiteLevel,
    TeamTier,
    User,
    Volunteer,
    WorkOrder,
    bad_rating,
)
from seed import contacts_duty, data
from services import (
    campaigns,
    catalog,
    completions,
    experts,
    follow_ups,
    needs,
    orders,
    points,
    rating_links,
    ratings,
    sites,
    store,
    surveys,
    teams,
    users,
    volunteers,
)
from services import settings as settings_service
from services.permissions import Actor

Progress = Callable[[float, str], None]

HISTORY_DAYS = 730       # 24 months before today
FULL_ORDERS = 2500
FULL_VOLUNTEERS = 300
MIN_ROSTER = 6           # every team can field a full crew from its first day
RECENT_DAYS = 45         # only orders this young may be stuck half-way (超时)
CANCELLED_REDEMPTION = "志愿者改换其他物品"
# Share of the progress bar before and after the orders: accounts (one bcrypt hash each) take
# about a tenth of the time, the two years of orders nearly all the rest.
_ORDERS_FROM, _ORDERS_TO = 0.16, 0.99
_TEAM_WEIGHT = {t[0]: t[6] for t in data.TEAMS}   # how often a team is sent an order
_TEAM_CATS = {t[0]: t[5] for t in data.TEAMS}


class DatabaseNotEmpty(RuntimeError):
    """The target database already holds a town; building over it needs reset=True."""

    message_zh = ("数据库中已有数据，未生成演示数据。"
                  "如需清空并重建，请使用 --reset（将删除全部现有数据）。")
    message_en = ("The database is not empty; no demo data was written. Use --reset to wipe it "
                  "and build the demo town (all existing data will be lost).")

    def __init__(self) -> None:
        super().__init__(f"{self.message_zh}\n{self.message_en}")




@dataclass
class Result:
    url: str
    seconds: float
    today: date
    now: datetime              # the moment the history stops (local midnight of `today`, UTC)
    counts: dict[str, int]
    admin_password: str        # the county-level first manager; not a demo login


# What a follow-up call (回访) found: after a poor rating, and for an order nobody rated.
FOLLOW_UP_OUTCOMES = (
    "已电话致歉，志愿服务队下周补充服务，群众表示理解。",
    "已向服务队反馈，调整了服务时间，群众认可。",
    "群众反映的问题已转村委会协调解决。",
    "讲解内容偏难，已建议宣讲队改用方言、多举身边例子。",
)
UNRATED_OUTCOMES = ("电话三次未接通，已请网格员转告。", "群众外出务工，家属表示服务不错。",
                    "群众说服务挺好，但不想打分。")


# --- planning ---------------------------------------------------------------------------------


@dataclass
class Step:
    action: str                # dispatch, decline, accept, complete, rate, cancel
    at: datetime
    team: str | None = None
    reason: str = ""
    planned_on: date | None = None
    done: completions.Completion | None = None
    level: int = 0
    channel: RatingChannel = RatingChannel.call
    comment: str = ""
    actor: str = "manager"     # manager or officer, for the steps they take
    issued_at: datetime | None = None   # a QR rating: when the lead made the rating link


@dataclass
class Plan:
    submitted_at: datetime
    site_id: int
    category: int              # index into the default categories
    item: int | None           # index into data.MENU
    title: str
    description: str
    source: OrderSource
    requester_name: str
    requester_phone: str
    due_on: date
    expected: int
    profile: str
    placer: str
    steps: list[Step] = field(default_factory=list)


class _Planner:
    """Makes the random choices; knows the town's shape but never touches the database."""

    def __init__(self, rng: random.Random, tz: ZoneInfo, anchor: datetime):
        self.rng, self.tz, self.anchor = rng, tz, anchor
        self.phones: set[str] = set()

    # time helpers
    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def day(self, moment: datetime) -> date:
        return self.local(moment).date()

    def at(self, day: date, hour: float) -> datetime:
        start = datetime.combine(day, time.min, tzinfo=self.tz)
        return (start + timedelta(minutes=round(hour * 60))).astimezone(UTC)

    def office(self, moment: datetime) -> datetime:
        """Move a moment outside 08:00–19:00 local to the next working morning."""
        local = self.local(moment)
        hour = local.hour + local.minute / 60
        if 8 <= hour < 19:
            return moment
        day = local.date() + timedelta(days=1 if hour >= 19 else 0)
        return self.at(day, self.rng.uniform(8, 10))

    def hours(self, lo: float, hi: float) -> timedelta:
        return timedelta(minutes=round(self.rng.uniform(lo, hi) * 60))

    # people
    def name(self, gender: Gender | None = None) -> tuple[str, Gender]:
        gender = gender or (Gender.female if self.rng.random() < 0.55 else Gender.male)
        surname = self.rng.choices(data.SURNAMES, data.SURNAME_WEIGHTS)[0]
        given = self.rng.choice(data.FEMALE_GIVEN if gender == Gender.female else data.MALE_GIVEN)
        return surname + given, gender

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number


@dataclass
class _Town:
    """What the planner and the player need to know about the built town."""

    centre: Site
    station: Site
    villages: list[Site]
    village_weights: list[int]
    categories: list[models.ServiceCategory]
    teams: dict[str, models.Team]
    team_keys_by_category: dict[int, list[str]]
    leads: dict[str, Actor]
    manager: Actor
    officer: Actor
    items: list[models.ServiceItem]
    rosters: dict[str, list[Volunteer]]
    keenness: dict[int, float] = field(default_factory=dict)  # volunteer id → how often they serve
    keep: list = field(default_factory=list)  # strong refs keep session.get() off the database


# --- the public entry point -------------------------------------------------------------------


def build(url: str | None = None, *, seed: int = 2026, reset: bool = False,
          progress: Progress | None = None, today: date | None = None,
          scale: float = 1.0) -> Result:
    """Build the demo town into the database at `url` through the services.

    Refuses (DatabaseNotEmpty) when the database already has sites or users, unless `reset`, which
    drops every table and migrates again. `today` fixes the day the history ends before (default:
    the real local date); `scale` shrinks the volunteers and orders for quick tests.
    """
    started = clock.perf_counter()
    url = url or config.database_url()
    report = _monotonic(progress)
    report(0.0, "准备数据库")
    if reset:
        _drop_everything(url)
    db.upgrade(url)
    rng = random.Random(seed)
    with db.session(url) as session:
        if users.any_exist(session) or sites.any_exist(session):
            raise DatabaseNotEmpty()
    try:
        counts, admin_password, today, anchor = _build(url, rng, report, today, scale)
    except BaseException:
        # Interrupted (a closed browser tab stops the script) or failed: a half-built town
        # would pass for a real one, so leave an empty database and let the user start again.
        _drop_everything(url)
        db.upgrade(url)
        raise
    seconds = clock.perf_counter() - started
    report(1.0, "演示数据已生成")
    return Result(url=url, seconds=seconds, today=today, now=anchor, counts=counts,
                  admin_password=admin_password)


def _build(url: str, rng: random.Random, report: Progress, today: date | None, scale: float):
    with db.write_session(url) as session:
        tz = ZoneInfo(settings_service.current(session)["timezone"])
        real_today = datetime.now(tz).date()
        today = today or real_today
        if today > real_today:
            raise ValueError("today must not be in the future")
        anchor = datetime.combine(today, time.min, tzinfo=tz).astimezone(UTC)
        planner = _Planner(rng, tz, anchor)
        n_volunteers = max(len(data.TEAMS) * MIN_ROSTER + 24, round(FULL_VOLUNTEERS * scale))
        n_orders = max(40, round(FULL_ORDERS * scale))

        report(0.01, "创建站点和账号")
        town, admin_password = _organisation(session, planner, report)
        report(_ORDERS_FROM - 0.04, "登记志愿者")
        _volunteers(session, planner, town, n_volunteers)
        report(_ORDERS_FROM - 0.01, "创建服务菜单")
        _menu(session, town, anchor - timedelta(days=HISTORY_DAYS + 30))
        plans = _plan_history(planner, town, n_orders, today)
        asking = random.Random(rng.random())  # the surveys' own draws leave the orders alone
        _play(session, town, plans, anchor, report, asking)
        report(_ORDERS_TO, "整理服务菜单")
        _retire_unwanted_item(session, town)
        _open_needs(session, town, planner, asking, max(12, round(OPEN_SURVEYS * scale)))
        _points_store(session, town, anchor)
        _campaign(session, town, anchor)
        report(_ORDERS_TO, "登记户、户联系和值班表")
        contacts_duty.build(session, town=town, planner=planner, rng=random.Random(rng.random()),
                            anchor=anchor, scale=scale)
        return _counts(session), admin_password, today, anchor


def _monotonic(progress: Progress | None) -> Progress:
    """The callback, fed fractions that never go back and stay within 0..1."""
    reached = [0.0]

    def report(fraction: float, message: str) -> None:
        reached[0] = min(1.0, max(reached[0], round(fraction, 4)))
        if progress is not None:
            progress(reached[0], message)

    return report


def _drop_everything(url: str) -> None:
    """Drop every table (and Alembic's bookkeeping) so the migrations start from scratch."""
    engine = db.engine(url)
    with engine.begin() as conn:
        # the order search index is no model: drop_all does not know it (migration 0013)
        conn.execute(text(f"DROP TABLE IF EXISTS {textsearch.TABLE}"))
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db._upgraded.discard(url)  # core.db.upgrade runs once per URL and process


# --- organisation: sites, accounts, teams -----------------------------------------------------


def _organisation(session: Session, planner: _Planner, report: Progress) -> tuple[_Town, str]:
    admin_password = secrets.token_urlsafe(12)
    admin = users.create_first_manager(session, centre_name=data.CENTRE, level=SiteLevel.center,
                                       username="admin", display_name=planner.name()[0],
                                       password=admin_password)
    boss = users.to_actor(session, admin)
    catalog.ensure_default_categories(session)
    categories = catalog.categories(session)
    centre = sites.get(session, admin.site_id)
    station = sites.create(session, name=data.STATION, level=SiteLevel.station,
                           parent_id=centre.id)
    villages = [sites.create(session, name=name, level=SiteLevel.point, parent_id=station.id)
                for name, _ in data.VILLAGES]
    by_name = {v.name: v for v in villages}

    def account(username: str, role: Role, password: str | None = None,
                team_id: int | None = None, name: str | None = None,
                phone: str | None = None) -> Actor:
        user, _ = users.create(session, actor=boss, username=username,
                               display_name=name or planner.name()[0], role=role,
                               site_id=station.id, team_id=team_id,
                               phone=phone or planner.mobile(),
                               password=password or secrets.token_urlsafe(12))
        return users.to_actor(session, user)

    # The demo logins work with the published password and need no change at first login.
    manager = account("manager", Role.manager, users.DEMO_PASSWORD)
    officer = account("officer", Role.officer, users.DEMO_PASSWORD)
    account("leader", Role.leader, users.DEMO_PASSWORD)
    report(0.02, "创建志愿服务队")

    team_objs: dict[str, models.Team] = {}
    leads: dict[str, Actor] = {}
    by_category: dict[int, list[str]] = {i: [] for i in range(len(categories))}
    for n, (key, name, tier, parent, village, cats, _w) in enumerate(data.TEAMS):
        lead_name, _ = planner.name()
        phone = planner.mobile()
        site = by_name[village] if village else station
        team = teams.create(session, actor=manager, name=name, tier=TeamTier(tier),
                            site_id=site.id,
                            parent_id=team_objs[parent].id if parent else None,
                            category_ids=tuple(categories[c].id for c in cats),
                            lead_name=lead_name, phone=phone)
        team_objs[key] = team
        for c in cats:
            by_category[c].append(key)
        username = "lead" if key == data.LEAD_TEAM else "lead_" + key.split("_", 1)[-1]
        leads[key] = account(username, Role.team_lead,
                             users.DEMO_PASSWORD if key == data.LEAD_TEAM else None,
                             team_id=team.id, name=lead_name, phone=phone)
        report(0.02 + (_ORDERS_FROM - 0.07) * (n + 1) / len(data.TEAMS), "创建志愿服务队和队长账号")
    town = _Town(centre=centre, station=station, villages=villages,
                 village_weights=[w for _, w in data.VILLAGES], categories=categories,
                 teams=team_objs, team_keys_by_category=by_category, leads=leads,
                 manager=manager, officer=officer, items=[], rosters={})
    town.keep += [centre, station, *villages, *categories, *team_objs.values()]
    return town, admin_password


# --- volunteers -------------------------------------------------------------------------------


def _volunteers(session: Session, planner: _Planner, town: _Town, count: int) -> None:
    rng = planner.rng
    keys = [t[0] for t in data.TEAMS]
    weights = [{"corps": 2, "detachment": 3, "squad": 10}[t[2]] for t in data.TEAMS]
    window_start = planner.day(planner.anchor) - timedelta(days=HISTORY_DAYS)
    sites_ = [town.station, *town.villages]
    site_weights = [sum(town.village_weights) * 0.15, *town.village_weights]
    tags = {k["name"]: k["id"] for k in experts.skills(session)}
    for i in range(count):
        team_ids, early = _volunteer_teams(rng, i, keys, weights)
        if early:
            registered = window_start - timedelta(days=rng.randrange(1, 3 * 365))
        else:
            registered = window_start + timedelta(days=rng.randrange(HISTORY_DAYS))
        name, gender = planner.name()
        skills = _skills(rng, team_ids)
        # A village squad's members live in its village; the others anywhere in the town.
        home = town.teams[team_ids[0]].site_id
        if home == town.station.id:
            home = rng.choices(sites_, site_weights)[0].id
        volunteers.create(session, actor=town.manager, name=name, phone=planner.mobile(),
                          gender=gender, site_id=home,
                          party_member=rng.random() < 0.3, skills="、".join(skills),
                          registered_on=registered,
                          skill_ids=tuple({tags[data.SKILL_TAGS[k]] for k in skills
                                           if data.SKILL_TAGS.get(k) in tags}),
                          team_ids=tuple(town.teams[k].id for k in team_ids), commit=False)
        if i % 50 == 49:
            session.commit()
    session.commit()
    for key, team in town.teams.items():
        roster = sorted(teams.roster(session, team_id=team.id), key=lambda v: v.id)
        for v in roster:
            town.keenness.setdefault(v.id, min(12.0, rng.paretovariate(1.6)))
        town.rosters[key] = roster
        town.keep += roster


def _campaign(session: Session, town: _Town, anchor: datetime) -> None:
    """A 中心制单 of the coming 学雷锋日 (5 March) for two 站, 下发 today: one order each, the
    second sent straight to a team of the 所."""
    day = anchor.astimezone(ZoneInfo(settings_service.current(session)["timezone"])).date()
    lei_feng = date(day.year + (day >= date(day.year, 3, 5)), 3, 5)
    category = town.categories[0]
    team = town.teams[town.team_keys_by_category[category.id][0]]
    made = campaigns.create(
        session, actor=town.manager, title=data.CAMPAIGN_TITLE, category_id=category.id,
        starts_on=lei_feng, description=data.CAMPAIGN_TEXT,
        targets=[campaigns.TargetInput(site_id=town.villages[0].id, expected_beneficiaries=40),
                 campaigns.TargetInput(site_id=town.villages[1].id, team_id=team.id,
                                       expected_beneficiaries=40)], now=anchor)
    campaigns.issue(session, actor=town.manager, campaign_id=made.id, now=anchor)


def _points_store(session: Session, town: _Town, anchor: datetime) -> None:
    """The 所's 积分超市 goods, and a redemption of each by the first volunteers who can afford
    it (one of them cancelled), in the last weeks of the history."""
    goods = [store.save_reward(session, actor=town.manager, name=name, cost=cost, stock=stock,
                               site_id=town.station.id) for name, cost, stock in data.REWARDS]
    ids = [v.id for v in sorted(town.keep, key=lambda v: v.id)]
    held = points.balances(session, ids)
    for n, reward in enumerate(goods):
        buyer = next((v for v in ids if held.get(v, 0) >= reward.cost), None)
        if buyer is None:
            continue
        held[buyer] -= reward.cost
        red = store.redeem(session, actor=town.manager, volunteer_id=buyer, reward_id=reward.id,
                           now=anchor - timedelta(days=20 - n))
        if n == len(goods) - 1:
            store.cancel(session, actor=town.manager, redemption_id=red.id,
                         reason=CANCELLED_REDEMPTION, now=anchor - timedelta(days=3))
            held[buyer] += reward.cost


def _volunteer_teams(rng: random.Random, i: int, keys: list[str],
                     weights: list[int]) -> tuple[list[str], bool]:
    """The i-th volunteer's teams (one, sometimes two) and whether they joined before the
    history starts."""
    # The first volunteers give every team a crew that predates the history.
    if i < len(keys) * MIN_ROSTER:
        team_ids, early = [keys[i % len(keys)]], True
    else:
        team_ids = [rng.choices(keys, weights)[0]]
        early = rng.random() < 0.65
    if rng.random() < 0.35:
        second = rng.choices(keys, weights)[0]
        if second not in team_ids:
            team_ids.append(second)
    return team_ids, early


def _skills(rng: random.Random, team_ids: list[str]) -> list[str]:
    """A skill or two from each team's categories, sometimes a general one."""
    skills = []
    for key in team_ids:
        pool = data.SKILLS_BY_CATEGORY[rng.choice(_TEAM_CATS[key])]
        skills += rng.sample(pool, k=rng.randint(1, 2))
    if rng.random() < 0.3:
        skills.append(rng.choice(data.GENERAL_SKILLS))
    return list(dict.fromkeys(skills))


def _menu(session: Session, town: _Town, since: datetime) -> None:
    for cat, title, _profile, _lo, _hi, description in data.MENU:
        providers = [k for k in town.team_keys_by_category[cat]
                     if town.teams[k].tier != TeamTier.corps]
        item = catalog.create_item(session, actor=town.manager, title=title,
                                   category_id=town.categories[cat].id, description=description,
                                   team_ids=tuple(town.teams[k].id for k in providers),
                                   now=since)
        town.items.append(item)
    town.keep += town.items


# Menu items that behave differently from the rest, so the menu review has something to show.
# The retired one has had no orders for a while before the manager takes it off the menu.
RETIRED_QUIET_DAYS = 45
UNWANTED_QUIET_DAYS = 200  # longer than menu_idle_months: the menu review flags it
_UNLOVED_ITEM = "电商直播培训"                 # poorly rated
_UNWANTED_ITEM = "农家书屋读书会"               # almost nobody asks for it
_RETIRED_ITEM = ("送电影下乡", "家家有电视和手机，露天电影观众逐年减少")


def _retire_unwanted_item(session: Session, town: _Town) -> None:
    title, reason = _RETIRED_ITEM
    item = next(i for i in town.items if i.title == title)
    catalog.retire_item(session, actor=town.manager, item_id=item.id, reason=reason)


# --- the history ------------------------------------------------------------------------------


def _plan_history(planner: _Planner, town: _Town, n_orders: int, today: date) -> list[Plan]:
    rng = planner.rng
    scripted = _scripted(planner, town)
    first_day = today - timedelta(days=HISTORY_DAYS)
    days = [first_day + timedelta(days=d) for d in range(HISTORY_DAYS)]
    weights = []
    for d, day in enumerate(days):
        w = (0.6 + 0.8 * d / HISTORY_DAYS) * data.CAMPAIGN_BOOST.get(day.month, 1.0)
        weights.append(w * (0.55 if day.weekday() >= 5 else 1.0))
    plans = list(scripted)
    for day in sorted(rng.choices(days, weights, k=max(0, n_orders - len(scripted)))):
        submitted = planner.at(day, rng.uniform(8, 18.5))
        if submitted >= planner.anchor:
            continue
        plan = _content(planner, town, submitted)
        _random_lifecycle(planner, town, plan)
        plans.append(plan)
    plans.sort(key=lambda p: p.submitted_at)
    return plans


def _content(planner: _Planner, town: _Town, submitted: datetime, *,
             category: int | None = None, source: str | None = None) -> Plan:
    """What is asked, where, by whom and by when."""
    rng = planner.rng
    source = OrderSource(source or rng.choices(*zip(*data.SOURCE_WEIGHTS, strict=False))[0])
    if category is None:
        category = rng.choices(range(len(data.CATEGORY_WEIGHTS)), data.CATEGORY_WEIGHTS)[0]
    local_day = planner.day(submitted)
    retiring = submitted > planner.anchor - timedelta(days=RETIRED_QUIET_DAYS)
    forgotten = submitted > planner.anchor - timedelta(days=UNWANTED_QUIET_DAYS)
    menu = [i for i, m in enumerate(data.MENU) if m[0] == category
            and local_day.month in data.SEASONS.get(m[1], (local_day.month,))
            and not (retiring and m[1] == _RETIRED_ITEM[0])
            and not (forgotten and m[1] == _UNWANTED_ITEM)]
    item_weights = [0.05 if data.MENU[i][1] == _UNWANTED_ITEM else
                    0.6 if data.MENU[i][1] == _UNLOVED_ITEM else 1.0 for i in menu]
    if source == OrderSource.activity or rng.random() < 0.88:
        item = rng.choices(menu, item_weights)[0]
        _cat, title, profile, lo, hi, _ = data.MENU[item]
    else:
        item = None
        title, profile, lo, hi = rng.choice(data.FREE_NEEDS[category])
    campaign = data.CAMPAIGNS[local_day.month]
    if source == OrderSource.activity:
        title = f"{campaign}·{title}"
        site = town.station if rng.random() < 0.35 else rng.choices(
            town.villages, town.village_weights)[0]
    else:
        site = rng.choices(town.villages, town.village_weights)[0]
    requester_name = requester_phone = ""
    if source == OrderSource.survey:
        if rng.random() < 0.4:
            requester_name = rng.choice(data.RESPONDENTS_BY_PROFILE[profile])
        else:
            requester_name = planner.name()[0]
            requester_phone = planner.mobile() if rng.random() < 0.5 else ""
    elif source != OrderSource.activity:
        requester_name = planner.name()[0]
        requester_phone = planner.mobile()
    who = f"{site.name}{requester_name}" if requester_name else f"{site.name}村民"
    description = data.DESCRIPTIONS[source.value].format(who=who, title=title, campaign=campaign)
    due_days = rng.randint(10, 25) if source == OrderSource.activity else 7
    placer = ("officer" if source == OrderSource.survey
              or (source == OrderSource.walk_in and rng.random() < 0.6) else "manager")
    return Plan(submitted_at=submitted, site_id=site.id, category=category, item=item,
                title=title, description=description, source=source,
                requester_name=requester_name, requester_phone=requester_phone,
                due_on=local_day + timedelta(days=due_days), expected=rng.randint(lo, hi),
                profile=profile, placer=placer)


def _pick_team(planner: _Planner, plan: Plan, exclude: str | None = None) -> str:
    keys = [k for k in _candidates(plan) if k != exclude]
    weights = [_TEAM_WEIGHT[k] for k in keys]
    return planner.rng.choices(keys, weights)[0]


def _candidates(plan: Plan) -> list[str]:
    return [t[0] for t in data.TEAMS if plan.category in t[5]]


def _random_lifecycle(planner: _Planner, town: _Town, plan: Plan) -> None:
    """The full story of an order as it would unfold, later cut at today's midnight."""
    rng = planner.rng
    t = plan.submitted_at
    r = rng.random()
    t = planner.office(t + (planner.hours(0.3, 6) if r < 0.72 else planner.hours(6, 22)
                            if r < 0.93 else planner.hours(25, 60)))
    team = _pick_team(planner, plan)
    if rng.random() < 0.07:  # the first team hands it back; the manager finds another
        plan.steps.append(Step("dispatch", t, team=team))
        t = t + planner.hours(2, 30)
        plan.steps.append(Step("decline", t, team=team, reason=rng.choice(data.DECLINE_REASONS)))
        t = planner.office(t + planner.hours(0.5, 8))
        team = _pick_team(planner, plan, exclude=team)
    plan.steps.append(Step("dispatch", t, team=team))
    r = rng.random()
    t = planner.office(t + (planner.hours(0.5, 18) if r < 0.75 else planner.hours(18, 46)
                            if r < 0.95 else planner.hours(49, 80)))
    _accept_and_finish(planner, town, plan, team, t)
    _maybe_cancel_or_stall(planner, plan)
    _cut_at(plan, planner.anchor)


def _accept_and_finish(planner: _Planner, town: _Town, plan: Plan, team: str,
                       accepted_at: datetime, *, rated: bool | None = None,
                       on_time: bool | None = None) -> None:
    rng = planner.rng
    accept_day = planner.day(accepted_at)
    if on_time is None:
        on_time = rng.random() < 0.9
    if accept_day <= plan.due_on and on_time:
        slack = min(4, (plan.due_on - accept_day).days)
        planned = accept_day + timedelta(days=rng.randint(0, slack))
    else:
        planned = max(accept_day, plan.due_on) + timedelta(days=rng.randint(0, 4))
    plan.steps.append(Step("accept", accepted_at, team=team, planned_on=planned))
    completed = planner.at(planned, rng.uniform(10, 18))
    if completed <= accepted_at + timedelta(hours=1):
        completed = accepted_at + planner.hours(1.5, 5)
    plan.steps.append(Step("complete", completed, team=team,
                           done=_completion(planner, town, plan, team, completed)))
    by_chance = rated is None
    if rated is None:
        rated = rng.random() > 0.025  # a few are never rated
    if not rated:
        if by_chance:
            _unrated_follow_up(planner, plan, completed)
        return
    r, issued = rng.random(), None
    if r < 0.3:
        channel, at = RatingChannel.in_person, completed + planner.hours(0.2, 1.5)
        actor = "officer" if rng.random() < 0.6 else "manager"
    elif r < 0.55:  # the resident scans the QR code the lead showed or left on a card
        channel, actor = RatingChannel.qr, "resident"
        issued = completed + timedelta(minutes=rng.randint(1, 20))
        at = issued + planner.hours(0.1, 30)
    else:
        late = rng.random() < 0.03
        channel, actor = RatingChannel.call, "officer"
        at = planner.office(completed + (planner.hours(8 * 24, 13 * 24) if late
                                         else planner.hours(12, 6 * 24)))
    item_title = data.MENU[plan.item][1] if plan.item is not None else ""
    table = ((5, 10), (4, 20), (3, 25), (2, 25), (1, 20)) if item_title == _UNLOVED_ITEM \
        else data.RATING_WEIGHTS
    level = rng.choices(*zip(*table, strict=False))[0]
    plan.steps.append(Step("rate", at, team=team, level=level, channel=channel, actor=actor,
                           comment=rng.choice(data.RATING_COMMENTS[level]), issued_at=issued))
    if bad_rating(level):
        _bad_rating_follow_up(planner, plan, at)


def _bad_rating_follow_up(planner: _Planner, plan: Plan, rated_at: datetime) -> None:
    """Most 差评 are called back within the 15 days, some late, a few never."""
    rng = planner.rng
    r = rng.random()
    if r >= 0.93:
        return
    at = planner.office(rated_at + (planner.hours(20, 14 * 24) if r < 0.8
                                    else planner.hours(16 * 24, 30 * 24)))
    plan.steps.append(Step("follow_up", at, actor="officer",
                           comment=rng.choice(FOLLOW_UP_OUTCOMES)))


def _unrated_follow_up(planner: _Planner, plan: Plan, completed: datetime) -> None:
    """An order nobody rated is called after its 7 days; half the calls bring a rating."""
    rng = planner.rng
    r = rng.random()
    if r >= 0.8:
        return
    at = planner.office(completed + (planner.hours(8 * 24, 20 * 24) if r < 0.7
                                     else planner.hours(23 * 24, 35 * 24)))
    level = rng.choice((5, 4, 4, 3)) if rng.random() < 0.5 else 0
    plan.steps.append(Step("follow_up", at, actor="officer", level=level,
                           comment=rng.choice(UNRATED_OUTCOMES)))


def _completion(planner: _Planner, town: _Town, plan: Plan, team: str,
                at: datetime) -> completions.Completion:
    rng = planner.rng
    total = max(1, round(plan.expected * rng.uniform(0.7, 1.3)))
    groups = [g.value for g in models.BeneficiaryGroup]
    shares = [w * rng.uniform(0.5, 1.5) for w in data.PROFILES[plan.profile]]
    raw = [total * s / sum(shares) for s in shares]
    counts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True):
        if sum(counts) == total:
            break
        counts[i] += 1
    # The few groups that matter for this service; the rest count as 一般群众.
    ranked = sorted(range(len(groups)), key=lambda i: counts[i], reverse=True)
    keep = set(ranked[:rng.randint(2, 4)])
    general = groups.index("general")
    for i in range(len(groups)):
        if i not in keep and i != general:
            counts[general] += counts[i]
            counts[i] = 0
    beneficiaries = {g: c for g, c in zip(groups, counts, strict=False) if c > 0}
    day = planner.day(at)
    crew = [v for v in town.rosters[team] if v.registered_on <= day]
    size = min(len(crew), rng.choices((2, 3, 4, 5, 6), (30, 30, 20, 12, 8))[0])
    # A few keen volunteers turn out far more often than the rest (weighted draw without
    # replacement, Efraimidis–Spirakis), so the star levels have something to show.
    crew = sorted(crew, key=lambda v: rng.random() ** (1 / town.keenness[v.id]))[-size:]
    hours = {v.id: rng.choice((1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4)) for v in crew}
    return completions.Completion(beneficiaries=beneficiaries, hours=hours,
                                  note=rng.choice(data.COMPLETION_NOTES))


def _maybe_cancel_or_stall(planner: _Planner, plan: Plan) -> None:
    rng = planner.rng
    r = rng.random()
    young = plan.submitted_at > planner.anchor - timedelta(days=RECENT_DAYS)
    if r < 0.045:
        # 取消: before dispatch, while dispatched, or after acceptance.
        stage = rng.choices(CANCELLABLE, (5, 2.5, 2.5))[0]
        times = [plan.submitted_at] + [s.at for s in plan.steps]
        actions = ["place"] + [s.action for s in plan.steps]
        last = {OrderStatus.submitted: "place", OrderStatus.dispatched: "dispatch",
                OrderStatus.accepted: "accept"}[stage]
        index = len(actions) - 1 - actions[::-1].index(last)
        start, end = times[index], times[index + 1]
        at = start + (end - start) * rng.uniform(0.2, 0.8)
        del plan.steps[index:]
        plan.steps.append(Step("cancel", at, reason=rng.choice(data.CANCEL_REASONS)))
    elif young and r < 0.045 + 0.08:
        # Stuck half-way: these are the orders that show up as 超时.
        stage = rng.choices(("dispatch", "accept", "complete"), (2, 3, 5))[0]
        index = next(i for i, s in enumerate(plan.steps) if s.action == stage)
        del plan.steps[index:]


def _cut_at(plan: Plan, anchor: datetime) -> None:
    """Keep only what had happened by the moment the history stops."""
    for i, step in enumerate(plan.steps):
        if step.at >= anchor:
            del plan.steps[i:]
            return


def _scripted(planner: _Planner, town: _Town) -> list[Plan]:
    """Orders whose state right now is chosen, so the demo accounts always have work: the `lead`
    squad has orders waiting (one late), accepted (one past due), done and unrated, cancelled and
    declined; the manager's queue has a fresh order, an overdue one and one handed back."""
    today, lead = planner.day(planner.anchor), data.LEAD_TEAM
    health = _TEAM_CATS[lead][0]
    other = next(k for k in town.team_keys_by_category[health] if k != lead)
    h = timedelta(hours=1)
    plans = []

    def new(days_ago: int, hour: float, category: int = health, source: str = "survey") -> Plan:
        submitted = planner.at(today - timedelta(days=days_ago), hour)
        plan = _content(planner, town, submitted, category=category, source=source)
        plans.append(plan)
        return plan

    # waiting for the lead: two in time, one late (dispatched more than 2 days ago)
    for days_ago, hour, after in ((1, 15, 2), (1, 9.5, 1.5), (4, 10, 3)):
        p = new(days_ago, hour)
        p.steps.append(Step("dispatch", p.submitted_at + after * h, team=lead))
    # accepted: one on schedule, one past its due date
    p = new(3, 9)
    p.steps += [Step("dispatch", p.submitted_at + 2 * h, team=lead),
                Step("accept", p.submitted_at + 8 * h, team=lead,
                     planned_on=today + timedelta(days=2))]
    p = new(12, 9)
    p.steps += [Step("dispatch", p.submitted_at + 1 * h, team=lead),
                Step("accept", p.submitted_at + 5 * h, team=lead,
                     planned_on=planner.day(p.submitted_at) + timedelta(days=3))]
    # done and waiting for the resident's rating; and one done long ago, never rated
    for days_ago in (5, 20):
        p = new(days_ago, 9)
        p.steps.append(Step("dispatch", p.submitted_at + 2 * h, team=lead))
        _accept_and_finish(planner, town, p, lead, p.submitted_at + 6 * h, rated=False,
                           on_time=True)
    # 差评 to call back: one rated six days ago, one three weeks ago never called (回访超时)
    for days_ago, level in ((6, 1), (26, 2)):
        p = new(days_ago, 9)
        p.steps.append(Step("dispatch", p.submitted_at + 2 * h, team=lead))
        _accept_and_finish(planner, town, p, lead, p.submitted_at + 6 * h, rated=False,
                           on_time=True)
        done_at = p.steps[-1].at
        p.steps.append(Step("rate", done_at + 20 * h, team=lead, level=level,
                            channel=RatingChannel.call, actor="officer",
                            comment=data.RATING_COMMENTS[level][1]))
    # declined by the lead, then done by another team
    p = new(6, 9)
    p.steps += [Step("dispatch", p.submitted_at + 1 * h, team=lead),
                Step("decline", p.submitted_at + 4 * h, team=lead,
                     reason=data.DECLINE_REASONS[1]),
                Step("dispatch", p.submitted_at + 24 * h, team=other)]
    _accept_and_finish(planner, town, p, other, p.submitted_at + 27 * h, rated=True,
                       on_time=True)
    # dispatched to the lead, then cancelled by the manager
    p = new(8, 9)
    p.steps += [Step("dispatch", p.submitted_at + 2 * h, team=lead),
                Step("cancel", p.submitted_at + 26 * h, reason=data.CANCEL_REASONS[3])]
    # the manager's queue
    new(1, 21, category=2, source="online")
    new(2, 8.5, category=0, source="phone")           # waiting > 1 day: 超时
    p = new(1, 10, category=5, source="walk_in")
    first = next(k for k in town.team_keys_by_category[5] if k != lead)
    p.steps += [Step("dispatch", p.submitted_at + 3 * h, team=first),
                Step("decline", p.submitted_at + 10 * h, team=first,
                     reason=data.DECLINE_REASONS[0])]
    for p in plans:
        _cut_at(p, planner.anchor)
    return plans


# --- playing the plans through the services ----------------------------------------------------


def _survey_for(session: Session, town: _Town, plan: Plan, rng: random.Random,
                tz: ZoneInfo) -> tuple[int, ...]:
    """The home visit an officer's survey order came from, recorded the same day just before."""
    respondent = plan.requester_name or "村民代表"
    site = next(v for v in town.villages if v.id == plan.site_id)
    survey = surveys.record(
        session, actor=town.officer, site_id=plan.site_id,
        surveyed_on=plan.submitted_at.astimezone(tz).date(),
        respondent=respondent if len(respondent) > 3 else f"{site.name}{respondent}家",
        people_covered=max(1, plan.expected // rng.choice((1, 2, 3))),
        needs=[surveys.NeedInput(category_id=town.categories[plan.category].id,
                                 priority=rng.choices(PRIORITIES, (5, 2, 4))[0], text=plan.title,
                                 item_id=town.items[plan.item].id if plan.item is not None
                                 else None)],
        now=plan.submitted_at - timedelta(minutes=5))
    return tuple(session.exec(select(models.Need.id).where(models.Need.survey_id == survey.id)))


def _play(session: Session, town: _Town, plans: list[Plan], anchor: datetime,
          report: Progress, asking: random.Random) -> None:
    actors = {"manager": town.manager, "officer": town.officer}
    every = max(1, len(plans) // 50)
    tz = ZoneInfo(settings_service.current(session)["timezone"])
    surveyed_from = anchor - timedelta(days=SURVEY_DAYS)
    for n, plan in enumerate(plans):
        need_ids: tuple[int, ...] = ()
        if (plan.source == OrderSource.survey and plan.placer == "officer"
                and plan.submitted_at >= surveyed_from):
            need_ids = _survey_for(session, town, plan, asking, tz)
        order = orders.place(
            session, actor=actors[plan.placer], site_id=plan.site_id,
            category_id=town.categories[plan.category].id, title=plan.title,
            source=plan.source, description=plan.description,
            item_id=town.items[plan.item].id if plan.item is not None else None,
            requester_name=plan.requester_name, requester_phone=plan.requester_phone,
            due_on=plan.due_on, expected_beneficiaries=plan.expected, need_ids=need_ids,
            now=plan.submitted_at)
        for step in plan.steps:
            assert step.at < anchor
            _take(session, town, actors, order.id, step)
        if n % every == 0:
            report(_ORDERS_FROM + (_ORDERS_TO - _ORDERS_FROM) * (n + 1) / len(plans),
                   f"生成工单 {n + 1}/{len(plans)}")


def _take(session: Session, town: _Town, actors: dict, order_id: int, step: Step) -> None:
    """One step of an order's history, through the service its user would call."""
    if step.action == "rate" and step.channel == RatingChannel.qr:
        link = rating_links.issue(session, actor=town.leads[step.team], order_id=order_id,
                                  now=step.issued_at)
        rating_links.rate(session, token=link.token, order_id=order_id, level=step.level,
                          comment=step.comment, now=step.at)
        return
    def lead() -> Actor:
        return town.leads[step.team]

    calls = {
        "dispatch": lambda: orders.dispatch(session, actor=town.manager, order_id=order_id,
                                            team_id=town.teams[step.team].id, now=step.at),
        "decline": lambda: orders.decline(session, actor=lead(), order_id=order_id,
                                          reason=step.reason, now=step.at),
        "accept": lambda: orders.accept(session, actor=lead(), order_id=order_id,
                                        planned_on=step.planned_on, now=step.at),
        "complete": lambda: completions.complete(session, actor=lead(), order_id=order_id,
                                                 done=step.done, now=step.at),
        "rate": lambda: ratings.rate(session, actor=actors[step.actor], order_id=order_id,
                                     level=step.level, comment=step.comment,
                                     channel=step.channel, now=step.at),
        "follow_up": lambda: follow_ups.record(session, actor=actors[step.actor],
                                               order_id=order_id, outcome=step.comment,
                                               level=step.level or None, now=step.at),
        "cancel": lambda: orders.cancel(session, actor=town.manager, order_id=order_id,
                                        reason=step.reason, now=step.at),
    }
    calls[step.action]()


# --- needs still waiting: the board --------------------------------------------------------

SURVEY_DAYS = 365        # survey orders of the last year came from a recorded home visit
OPEN_SURVEYS = 70        # recent visits whose needs wait on the board
OPEN_DAYS = 40
PRIORITIES = ("hear", "see", "get")
# A category the centre added lately: residents ask for it, the menu has nothing yet.
NEW_CATEGORY = ("生态环保服务", ("想学垃圾分类", "组织清理村前小河", "村道两旁补种绿化树",
                                 "讲讲秸秆禁烧的道理"))
CLOSE_REASONS = ("超出志愿服务范围，已转村委会协调", "需要专项资金，已报镇里统筹",
                 "已由其他部门解决")


def _open_needs(session: Session, town: _Town, planner: _Planner, rng: random.Random,
                count: int) -> None:
    """Recent visits whose needs are not ordered yet, a few closed as not feasible, and a new
    category whose needs no menu item serves."""
    new_cat = catalog.create_category(session, actor=town.manager, name=NEW_CATEGORY[0])
    today = planner.day(planner.anchor)
    items_by_cat: dict[int, list[int]] = {}
    for i, m in enumerate(data.MENU):
        if town.items[i].active:
            items_by_cat.setdefault(m[0], []).append(i)
    for _ in range(count):
        day = today - timedelta(days=rng.randint(1, OPEN_DAYS))
        when = planner.at(day, rng.uniform(8.5, 17.5))
        village = rng.choices(town.villages, town.village_weights)[0]
        lines = []
        for _n in range(rng.choices((1, 2, 3), (5, 3, 2))[0]):
            if rng.random() < 0.08:
                lines.append(surveys.NeedInput(category_id=new_cat.id, priority="get",
                                               text=rng.choice(NEW_CATEGORY[1])))
                continue
            cat = rng.choices(range(len(data.CATEGORY_WEIGHTS)), data.CATEGORY_WEIGHTS)[0]
            if rng.random() < 0.55:
                item = rng.choice(items_by_cat[cat])
                text = rng.choice(("", "希望尽快安排", "村里很多人想参加", "最好安排在周末"))
                lines.append(surveys.NeedInput(category_id=town.categories[cat].id,
                                               priority=rng.choice(PRIORITIES), text=text,
                                               item_id=town.items[item].id))
            else:
                lines.append(surveys.NeedInput(category_id=town.categories[cat].id,
                                               priority=rng.choice(PRIORITIES),
                                               text=rng.choice(data.FREE_NEEDS[cat])[0]))
        if rng.random() < 0.35:
            respondent = rng.choice(data.RESPONDENTS)
            people = rng.randint(8, 60)
        else:
            respondent, people = f"{planner.name()[0]}家", rng.randint(1, 6)
        survey = surveys.record(session, actor=town.officer, site_id=village.id, surveyed_on=day,
                                respondent=respondent, people_covered=people, needs=lines,
                                now=when)
        if rng.random() < 0.12:
            first = session.exec(select(models.Need.id)
                                 .where(models.Need.survey_id == survey.id)).first()
            needs.close(session, actor=town.manager, need_id=first,
                        reason=rng.choice(CLOSE_REASONS))


def _counts(session: Session) -> dict[str, int]:
    def count(model, *where) -> int:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()

    out = {f"sites_{level.value}": count(Site, Site.level == level) for level in SiteLevel}
    out |= {f"teams_{tier.value}": count(models.Team, models.Team.tier == tier)
            for tier in TeamTier}
    out |= {"users": count(User), "volunteers": count(Volunteer),
            "menu_items": count(models.ServiceItem), "orders": count(WorkOrder),
            "events": count(OrderEvent), "service_records": count(models.ServiceRecord),
            "ratings": count(models.Rating), "follow_ups": count(models.FollowUp),
            "surveys": count(models.Survey), "needs": count(models.Need),
            "households": count(models.Household), "contact_pairs": count(models.ContactPair),
            "contact_visits": count(models.ContactVisit), "stations": count(models.Station),
            "duty_slots": count(models.DutySlot),
            "duty_records": count(models.ServiceRecord,
                                  models.ServiceRecord.source == models.ServiceSource.duty),
            "walk_ins": count(WorkOrder, WorkOrder.station_id.is_not(None))}
    out |= {f"orders_{s.value}": count(WorkOrder, WorkOrder.status == s) for s in OrderStatus}
    return out


__all__ = ["build", "DatabaseNotEmpty", "Result", "HISTORY_DAYS"]
