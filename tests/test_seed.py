"""The demo town: built through the services, it has the promised shape, obeys every rule, and
comes out the same for the same seed and day."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from core import db
from models import (
    BeneficiaryGroup,
    FollowUp,
    Need,
    NeedStatus,
    OrderBeneficiary,
    OrderEvent,
    OrderSource,
    OrderStatus,
    Rating,
    RatingChannel,
    Role,
    ServiceRecord,
    Site,
    SiteLevel,
    Survey,
    Team,
    TeamCategory,
    TeamTier,
    User,
    Volunteer,
    VolunteerTeam,
    WorkOrder,
)
from seed import data, town
from seed.__main__ import main as seed_main
from services import follow_ups, menu, needs, order_queries, sla, users
from services import settings as settings_service
from services import sites as sites_service
from services.errors import LoginRefused

TODAY = date(2026, 6, 15)
TZ = ZoneInfo("Asia/Shanghai")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
S = OrderStatus


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The full-size town, built once for the whole module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('seed') / 'demo.db'}"
    steps: list[tuple[float, str]] = []
    result = town.build(url, seed=2026, today=TODAY, progress=lambda f, m: steps.append((f, m)))
    return url, result, steps


@pytest.fixture
def s(built):
    with db.session(built[0]) as session:
        yield session


def test_the_progress_bar_moves_from_zero_to_one_with_chinese_messages(built):
    steps = built[2]
    fractions = [f for f, _ in steps]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert all(re.search(r"[\u4e00-\u9fff]", m) for _, m in steps)


def test_the_site_tree_has_one_centre_one_station_and_a_dozen_villages(s):
    levels = Counter(s.exec(select(Site.level)).all())
    assert levels[SiteLevel.center] == 1
    assert levels[SiteLevel.station] == 1
    assert levels[SiteLevel.point] >= 12
    station = s.exec(select(Site).where(Site.level == SiteLevel.station)).one()
    points = s.exec(select(Site).where(Site.level == SiteLevel.point)).all()
    assert all(p.parent_id == station.id and p.path.startswith(station.path) for p in points)


def test_teams_form_a_corps_of_detachments_of_squads_each_serving_one_or_two_categories(s):
    all_teams = s.exec(select(Team)).all()
    assert len(all_teams) >= 15
    tiers = Counter(t.tier for t in all_teams)
    assert tiers[TeamTier.corps] == 1 and tiers[TeamTier.detachment] >= 3
    assert tiers[TeamTier.squad] >= 10
    by_id = {t.id: t for t in all_teams}
    parent_tier = {TeamTier.detachment: TeamTier.corps, TeamTier.squad: TeamTier.detachment}
    for team in all_teams:
        if team.tier == TeamTier.corps:
            assert team.parent_id is None
        else:
            assert by_id[team.parent_id].tier == parent_tier[team.tier]
        assert team.lead_name and MOBILE.match(team.phone)
    per_team = Counter(s.exec(select(TeamCategory.team_id)).all())
    assert all(1 <= per_team[t.id] <= 2 for t in all_teams)


def test_at_least_300_volunteers_with_unique_valid_mobiles_each_in_one_or_two_teams(s):
    vols = s.exec(select(Volunteer)).all()
    assert len(vols) >= 300
    phones = [v.phone for v in vols]
    assert len(set(phones)) == len(phones)
    assert all(MOBILE.match(p) for p in phones)
    assert all(2 <= len(v.name) <= 4 for v in vols)
    memberships = Counter(s.exec(select(VolunteerTeam.volunteer_id)).all())
    assert all(1 <= memberships[v.id] <= 2 for v in vols)
    assert {v.gender for v in vols} == {"male", "female"}
    assert 0.15 < sum(v.party_member for v in vols) / len(vols) < 0.5
    assert sum(bool(v.skills) for v in vols) == len(vols)
    assert all(v.registered_on < TODAY for v in vols)


def test_demo_accounts_log_in_with_the_demo_password_and_need_no_change(built):
    url = built[0]
    with db.write_session(url) as session:
        for name, role in (("manager", Role.manager), ("officer", Role.officer),
                           ("lead", Role.team_lead), ("leader", Role.leader)):
            user = users.verify_login(session, username=name, password=users.DEMO_PASSWORD)
            assert user.role == role and not user.must_change_password
            assert session.get(Site, user.site_id).level == SiteLevel.station
        lead = users.by_username(session, "lead")
        assert session.get(Team, lead.team_id).tier == TeamTier.squad
        total = session.exec(select(func.count()).select_from(User)).one()
        assert total <= 22  # every account costs a bcrypt hash while the user waits
        leads = session.exec(select(User.team_id).where(User.role == Role.team_lead)).all()
        assert set(leads) == set(session.exec(select(Team.id)).all())
        # the other leads are not demo logins
        other = session.exec(select(User).where(User.username == "lead_party")).one()
        with pytest.raises(LoginRefused):
            users.verify_login(session, username=other.username, password=users.DEMO_PASSWORD)


def test_about_2500_orders_in_every_status_from_every_source(s, built):
    result = built[1]
    statuses = Counter(s.exec(select(WorkOrder.status)).all())
    assert 2300 <= sum(statuses.values()) <= 2600
    # 待审核 needs 中心审核 switched on, which the demo leaves off (its default)
    assert set(statuses) == set(OrderStatus) - {S.in_review}
    assert statuses[S.rated] > sum(statuses.values()) * 0.8
    sources = Counter(s.exec(select(WorkOrder.source)).all())
    assert set(sources) == set(OrderSource)
    assert sources.most_common(1)[0][0] == OrderSource.survey
    assert result.counts["orders"] == sum(statuses.values())
    first = s.exec(select(func.min(WorkOrder.submitted_at))).one()
    assert first.date() >= TODAY - timedelta(days=town.HISTORY_DAYS + 1)


def test_timestamps_follow_the_lifecycle_and_stay_in_the_past(s, built):
    now = built[1].now
    # 来访 are placed and done at once (tested below); the rest go through every step.
    for o in s.exec(select(WorkOrder).where(WorkOrder.station_id.is_(None))).all():
        chain = [o.submitted_at, o.dispatched_at, o.accepted_at, o.completed_at, o.rated_at]
        present = [t for t in chain if t is not None]
        # a 中心制单's 下发 places each order and sends it to its team at the same moment
        distinct = len(present) - (o.source == OrderSource.campaign and o.dispatched_at is not None)
        assert present == sorted(present) and len(set(present)) == distinct, o.code
        assert all(t <= now for t in present), o.code
        assert o.cancelled_at is None or o.submitted_at < o.cancelled_at <= now
        assert o.due_on >= o.submitted_at.astimezone(TZ).date()
        expected = {S.submitted: 1, S.dispatched: 2, S.accepted: 3, S.completed: 4, S.rated: 5}
        if o.status in expected:
            assert chain[expected[o.status]:] == [None] * (5 - expected[o.status]), o.code


def test_every_transition_left_an_event_in_order(s):
    events = defaultdict(list)
    # A follow-up (回访) is an event too, but not a transition: it leaves the status as it is.
    for e in s.exec(select(OrderEvent).where(OrderEvent.action != "follow_up")
                    .order_by(OrderEvent.order_id, OrderEvent.id)).all():
        events[e.order_id].append(e)
    all_orders = s.exec(select(WorkOrder).where(WorkOrder.station_id.is_(None))).all()
    walk_ins = s.exec(select(WorkOrder.id).where(WorkOrder.station_id.is_not(None))).all()
    assert set(events) == {o.id for o in all_orders} | set(walk_ins)
    path = {S.rated: ["place", "dispatch", "accept", "complete", "rate"],
            S.completed: ["place", "dispatch", "accept", "complete"],
            S.accepted: ["place", "dispatch", "accept"], S.dispatched: ["place", "dispatch"]}
    declined = 0
    for o in all_orders:
        trail = events[o.id]
        actions = [e.action for e in trail]
        times = [e.at for e in trail]
        assert times == sorted(times), o.code
        assert trail[-1].to_status == o.status
        assert actions.count("decline") == o.decline_count
        declined += o.decline_count > 0
        # Without the declines (each undoing one dispatch), the story is the straight path.
        straight = list(actions)
        for _ in range(o.decline_count):
            i = straight.index("decline")
            del straight[i - 1:i + 1]
        if o.status in path:
            assert straight == path[o.status], (o.code, actions)
        elif o.status == S.cancelled:
            assert straight[-1] == "cancel" and o.cancel_reason and trail[-1].note
        rate = [e for e in trail if e.action == "rate"]
        if rate:
            assert rate[0].at == o.rated_at
    assert declined >= 20


def test_done_orders_record_beneficiaries_and_2_to_6_of_the_team_s_volunteers(s):
    done = s.exec(select(WorkOrder).where(WorkOrder.status.in_((S.completed, S.rated)),
                                          WorkOrder.station_id.is_(None))).all()
    groups = defaultdict(dict)
    for b in s.exec(select(OrderBeneficiary)).all():
        groups[b.order_id][b.group] = b.count
    crews = defaultdict(list)
    for r in s.exec(select(ServiceRecord)).all():
        crews[r.order_id].append(r)
    members = defaultdict(set)
    for vid, tid in s.exec(select(VolunteerTeam.volunteer_id, VolunteerTeam.team_id)).all():
        members[tid].add(vid)
    registered = dict(s.exec(select(Volunteer.id, Volunteer.registered_on)).all())
    for o in done:
        assert set(groups[o.id]) <= set(BeneficiaryGroup)
        assert sum(groups[o.id].values()) == o.actual_beneficiaries > 0
        crew = crews[o.id]
        assert 2 <= len(crew) <= 6, o.code
        assert all(1 <= r.hours <= 4 and r.served_at == o.completed_at for r in crew)
        assert {r.volunteer_id for r in crew} <= members[o.team_id]
        assert all(registered[r.volunteer_id] <= o.completed_at.date() for r in crew)


def test_ratings_are_mostly_good_with_a_few_poor_ones_by_qr_code_call_or_in_person(s):
    ratings = s.exec(select(Rating)).all()
    levels = Counter(r.level for r in ratings)
    n = len(ratings)
    assert 0.82 <= (levels[5] + levels[4]) / n <= 0.95
    assert 0.5 <= levels[5] / n <= 0.7
    assert levels[1] + levels[2] >= 0.02 * n and levels[1] > 0 and levels[2] > 0
    assert {r.channel for r in ratings} == {RatingChannel.call, RatingChannel.in_person,
                                            RatingChannel.qr}
    by_qr = [r for r in ratings if r.channel == RatingChannel.qr]
    assert 0.15 < len(by_qr) / n < 0.35
    assert all(r.token_id is not None and r.by_user_id is None for r in by_qr)


def test_follow_ups_are_due_overdue_and_done_for_poor_ratings_and_unrated_orders(s, built):
    now = built[1].now
    officer = users.actor(s, users.by_username(s, "officer").id)
    for state, least in (("due", 1), ("overdue", 1), ("done", 10)):
        rows, total = follow_ups.page(s, actor=officer, state=state, now=now, limit=500)
        reasons = Counter(r["reason"] for r in rows)
        assert total >= least and set(reasons) == {"bad_rating", "unrated"}, (state, reasons)
    done = s.exec(select(FollowUp).where(FollowUp.done_at.is_not(None))).all()
    assert sum(bool(f.outcome) for f in done) >= 10  # the rest were settled by a late rating
    assert any(f.done_at > f.due_at for f in done) and any(f.done_at <= f.due_at for f in done)
    rates = follow_ups.rates(s, actor=officer, start=TODAY - timedelta(days=365),
                             end=TODAY - timedelta(days=1), now=now)
    assert 0.7 < rates.follow_up_rate < 1 and rates.on_time_rate < rates.follow_up_rate


def test_some_orders_are_overdue_at_every_step(s, built):
    now = built[1].now
    values = settings_service.current(s)
    kinds = Counter(k for k in s.exec(select(sla.overdue_kind(now, values))).all() if k)
    assert set(kinds) == set(sla.KINDS), kinds


def test_the_demo_lead_has_orders_in_every_state_and_some_waiting_now(built):
    url = built[0]
    with db.session(url) as session:
        lead = users.actor(session, users.by_username(session, "lead").id)
        statuses = Counter(session.exec(select(WorkOrder.status)
                                        .where(WorkOrder.team_id == lead.team_id)).all())
        assert {S.dispatched, S.accepted, S.completed, S.rated, S.cancelled} <= set(statuses)
        assert order_queries.waiting_count(session, actor=lead) >= 2
        declined_by_lead = session.exec(select(func.count()).select_from(OrderEvent).where(
            OrderEvent.action == "decline", OrderEvent.actor_id == lead.id)).one()
        assert declined_by_lead >= 1
        rows, total = order_queries.page(session, actor=lead, now=built[1].now)
        assert total == sum(statuses.values()) and rows


def test_the_town_has_surveys_with_open_ordered_and_closed_needs_linked_to_their_orders(s, built):
    states = Counter(s.exec(needs.query(s, users.actor(s, users.by_username(s, "manager").id),
                                        needs.state())).all())
    assert states["open"] >= 40 and states["closed"] >= 3
    assert states["ordered"] + states["done"] + states["rated"] >= 300
    linked = s.exec(select(Need, Survey, WorkOrder).join(Survey, Survey.id == Need.survey_id)
                    .join(WorkOrder, WorkOrder.id == Need.order_id)).all()
    assert all(o.source == OrderSource.survey and o.site_id == sv.site_id
               and o.category_id == n.category_id for n, sv, o in linked)
    assert all(n.status == NeedStatus.ordered for n, _sv, _o in linked
               if not n.closed_reason)
    assert built[1].counts["surveys"] == s.exec(select(func.count()).select_from(Survey)).one()
    manager = users.actor(s, users.by_username(s, "manager").id)
    assert [u["category"] for u in menu.unserved(s, actor=manager)] == [town.NEW_CATEGORY[0]]
    flagged = {r["title"]: [f["kind"] for f in r["flags"]]
               for r in menu.review(s, actor=manager, now=built[1].now)}
    assert flagged["电商直播培训"] == ["low_rating"]
    assert flagged["农家书屋读书会"] == ["idle"]


def test_a_second_build_without_reset_refuses_and_leaves_the_data_alone(built, capsys):
    url = built[0]
    with pytest.raises(town.DatabaseNotEmpty) as err:
        town.build(url, today=TODAY)
    assert "--reset" in str(err.value) and "数据库" in str(err.value)
    assert seed_main(["--url", url, "--today", TODAY.isoformat()]) == 1
    assert "not empty" in capsys.readouterr().err
    with db.session(url) as session:
        assert session.exec(select(func.count()).select_from(WorkOrder)).one() == \
            built[1].counts["orders"]


def _snapshot(url: str) -> dict:
    with db.session(url) as session:
        return {
            "orders": session.exec(select(WorkOrder.code, WorkOrder.status, WorkOrder.title,
                                          WorkOrder.team_id, WorkOrder.submitted_at,
                                          WorkOrder.completed_at)
                                   .order_by(WorkOrder.id)).all(),
            "volunteers": session.exec(select(Volunteer.name, Volunteer.phone)
                                       .order_by(Volunteer.id)).all(),
            "ratings": session.exec(select(Rating.order_id, Rating.level)
                                    .order_by(Rating.id)).all(),
            "hours": session.exec(select(ServiceRecord.volunteer_id, ServiceRecord.hours)
                                  .order_by(ServiceRecord.id)).all(),
            # 户联系 and 值班 come from the same seed too
            "households": session.exec(text("SELECT head_name, address, phone FROM household "
                                            "ORDER BY id")).all(),
            "pairs": session.exec(text("SELECT household_id, volunteer_id, started_on "
                                       "FROM contactpair ORDER BY id")).all(),
            "visits": session.exec(text("SELECT household_id, visited_on, method, topics "
                                        "FROM contactvisit ORDER BY id")).all(),
            "rota": session.exec(text("SELECT slot_id, volunteer_id, starts_on "
                                      "FROM dutyassignment ORDER BY id")).all(),
        }


def test_the_same_seed_and_day_build_the_same_town_and_reset_starts_over(tmp_path):
    url = f"sqlite:///{tmp_path / 'small.db'}"
    town.build(url, seed=7, today=TODAY, scale=0.02)
    first = _snapshot(url)
    assert len(first["orders"]) >= 40
    again = town.build(url, seed=7, today=TODAY, scale=0.02, reset=True)
    assert _snapshot(url) == first
    assert again.counts["orders"] == len(first["orders"])
    town.build(url, seed=8, today=TODAY, scale=0.02, reset=True)
    assert _snapshot(url)["orders"] != first["orders"]


def test_the_history_stops_before_the_chosen_day(tmp_path):
    with pytest.raises(ValueError):
        town.build(f"sqlite:///{tmp_path / 'x.db'}", today=date.today() + timedelta(days=400))


def test_the_team_names_and_menu_come_from_the_seed_data():
    assert len({t[1] for t in data.TEAMS}) == len(data.TEAMS)
    assert len({m[1] for m in data.MENU}) == len(data.MENU)
    assert all(len(m[1]) <= 80 for m in data.MENU)
    assert sum(1 for name, _ in data.VILLAGES) >= 12


def test_an_interrupted_build_leaves_an_empty_database_to_start_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'cut.db'}"
    calls = []

    def closed_tab(fraction, message):
        calls.append(fraction)
        if fraction > 0.3:  # the browser went away part-way through the orders
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        town.build(url, seed=7, today=TODAY, scale=0.02, progress=closed_tab)
    assert calls and max(calls) > 0.3
    with db.session(url) as s:
        assert not users.any_exist(s) and not sites_service.any_exist(s)
    assert town.build(url, seed=7, today=TODAY, scale=0.02).counts["orders"] >= 40


def test_every_volunteers_balance_is_the_sum_of_their_ledger_lines(built):
    """积分: the list's balances (services/points.balances) and each standing equal the raw sum
    of the ledger lines, for every volunteer of the demo town."""
    from models import PointsEntry
    from services import points

    url, _result, _steps = built
    with db.session(url) as s:
        raw = dict(s.exec(select(PointsEntry.volunteer_id, func.sum(PointsEntry.points))
                          .group_by(PointsEntry.volunteer_id)).all())
        ids = list(s.exec(select(Volunteer.id)))
        assert len(raw) > 100, "the demo town should have earned points"
        assert points.balances(s, ids) == {v: int(n) for v, n in raw.items()}
        assert all(points.standing(s, v).balance == raw.get(v, 0) for v in ids[:50])


def test_households_contacts_stations_and_the_rota_fill_the_new_pages(s, built):
    """户, 户联系 and 值班表 are not empty on the demo: households with tags in every village,
    most paired, visits (one overdue at least, a few needs on the board), two stations with a
    weekly rota, one slot short, the last weeks' attendance as duty hours, the desk's 来访."""
    from models import (
        ContactPair,
        ContactVisit,
        DutyAttendance,
        DutySlot,
        Household,
        HouseholdTagLink,
        ServiceSource,
        Station,
    )
    from services import contacts, duty, repeats, rollups

    result = built[1]
    manager = users.to_actor(s, s.exec(select(User).where(User.username == "manager")).one())
    villages = set(s.exec(select(Site.id).where(Site.level == SiteLevel.point)).all())
    assert set(s.exec(select(Household.site_id)).all()) == villages
    assert s.exec(select(func.count()).select_from(HouseholdTagLink)).one() > 50
    paired = s.exec(select(func.count()).select_from(ContactPair)).one()
    homes = result.counts["households"]
    assert 0.6 * homes <= paired < homes          # some households still have no contact
    assert s.exec(select(func.count()).select_from(ContactVisit)).one() > paired
    assert contacts.overdue(s, actor=manager, now=result.now)[1] > 0
    party = set(s.exec(select(Volunteer.id).where(Volunteer.party_member)).all())
    assert set(s.exec(select(ContactPair.volunteer_id)).all()) <= party
    assert (result.counts["stations"], result.counts["duty_slots"]) == (2, 5)
    week = duty.rota(s, actor=manager, start=duty.week_start(TODAY))
    assert len(week) == 5 and sum(e.short for e in week) == 1
    marked = s.exec(select(func.count()).select_from(DutyAttendance)).one()
    duty_rows = s.exec(select(ServiceRecord).where(ServiceRecord.source == ServiceSource.duty))
    assert 0 < len(duty_rows.all()) <= marked
    walk_ins = s.exec(select(WorkOrder).where(WorkOrder.station_id.is_not(None))).all()
    assert walk_ins and all(o.source == OrderSource.walk_in and o.team_id is None
                            and o.status == S.completed and o.actual_beneficiaries > 0
                            and o.submitted_at == o.completed_at <= result.now
                            for o in walk_ins)
    assert s.exec(select(func.count()).select_from(Station)).one() == 2
    assert s.exec(select(func.count()).select_from(DutySlot)).one() == 5
    assert rollups.check(s, tz="Asia/Shanghai") == []
    assert repeats.check(s, repeat_days=settings_service.current(s)["repeat_days"]) == []
