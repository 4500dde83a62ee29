"""中心制单: the campaign form's rules (every refusal at once, nothing written), 下发 as one order
per target in one transaction (all or none, a failure on the second target leaves nothing), the
double 下发 and its race, site scope and roles, and each target's progress with known figures."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlmodel import select

from core import db
from models import (
    AuditLog,
    Campaign,
    CampaignTarget,
    OrderEvent,
    OrderSource,
    OrderStatus,
    Rating,
    RatingChannel,
    ServiceItem,
    Site,
    Team,
    TeamTier,
    User,
    WorkOrder,
)
from services import campaigns, catalog, completions, orders, ratings, rollups, teams, users
from services.campaigns import CampaignIssued, TargetInput
from services.errors import Forbidden, Invalid, NotFound, Problems
from tests.factories import build_town
from tests.services.steps import T0, count, run_together

START = date(2026, 3, 5)  # 学雷锋日; T0 is 2 March 10:00 in Shanghai
TZ = "Asia/Shanghai"


def _keys(err) -> set[str]:
    return {p.key for p in getattr(err, "problems", None) or [err]}


def _make(session, town, *, actor=None, targets=None, now=T0, **fields):
    args = {"title": "学雷锋日志愿服务", "category_id": town.category, "starts_on": START,
            "ends_on": START, "description": "进村开展理论宣讲"}
    args.update(fields)
    if targets is None:
        targets = [TargetInput(site_id=town.village_a, team_id=town.team_a,
                               expected_beneficiaries=30),
                   TargetInput(site_id=town.village_b, expected_beneficiaries=20),
                   TargetInput(team_id=town.team_b, expected_beneficiaries=10)]
    return campaigns.create(session, actor=actor or town.manager, targets=targets, now=now,
                            **args)


def _orders(session) -> list[WorkOrder]:
    return list(session.exec(select(WorkOrder).where(WorkOrder.source == OrderSource.campaign)
                             .order_by(WorkOrder.id)))


def _targets(session, campaign_id) -> list[CampaignTarget]:
    return list(session.exec(select(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign_id).order_by(CampaignTarget.id)))


# --- making a campaign ------------------------------------------------------------------------


def test_a_manager_makes_a_campaign_with_its_targets_and_no_order_yet(session, town):
    c = _make(session, town)
    assert (c.title, c.starts_on, c.ends_on, c.site_id, c.issued_at) == (
        "学雷锋日志愿服务", START, START, town.station, None)
    rows = [(t.site_id, t.team_id, t.expected_beneficiaries) for t in _targets(session, c.id)]
    # a team named alone goes to the team's own site (健康支队 is at the 所)
    assert rows == [(town.village_a, town.team_a, 30), (town.village_b, None, 20),
                    (town.station, town.team_b, 10)]
    assert _orders(session) == []
    assert session.exec(select(AuditLog.action).order_by(AuditLog.id.desc())).first() == \
        "campaigns.create"


def test_no_last_day_makes_a_one_day_campaign(session, town):
    assert _make(session, town, ends_on=None).ends_on == START


def test_every_problem_of_the_form_is_refused_at_once_and_nothing_is_written(session, town):
    with pytest.raises(Problems) as caught:
        _make(session, town, title="", starts_on=T0.date() - timedelta(days=1),
              ends_on=T0.date() - timedelta(days=3), targets=[])
    assert _keys(caught.value) == {"error.required", "error.campaign.start_past",
                                   "error.campaign.end_before_start",
                                   "error.campaign.no_targets"}
    session.rollback()
    assert count(session, Campaign) == 0 and count(session, CampaignTarget) == 0


def _boss(session):
    """The centre's manager of the test town."""
    return users.to_actor(session, session.exec(select(User).where(User.username == "boss")).one())


def _retired_item(session, town) -> int:
    item = catalog.create_item(session, actor=town.manager, title="旧项目",
                               category_id=town.category, team_ids=())
    catalog.retire_item(session, actor=town.manager, item_id=item.id, reason="无人点单")
    return item.id


def _switched_off(session, model, row_id) -> int:
    session.get(model, row_id).active = False
    session.commit()
    return row_id


def _other_team(session, town) -> int:
    return teams.create(session, actor=_boss(session), name="外镇队", tier=TeamTier.corps,
                        site_id=town.other_station, category_ids=(town.category,)).id


A5 = "the first target: 东村, 5 people"
# case → (what the form gives, built from the session and the town; the key refused, or None)
CASES = {
    "start_today_is_fine": (lambda _s, _t: {"starts_on": T0.date(), "ends_on": T0.date()}, None),
    "too_long": (lambda _s, _t: {"ends_on": START + timedelta(days=campaigns.MAX_DAYS + 1)},
                 "error.campaign.too_long"),
    "no_start": (lambda _s, _t: {"starts_on": None}, "error.choose"),
    "site_of_another_station": (lambda _s, t: {"targets": [A5, TargetInput(
        site_id=t.other_station)]}, "error.campaign.target_unknown"),
    "unknown_site": (lambda _s, _t: {"targets": [TargetInput(site_id=987654)]},
                     "error.campaign.target_unknown"),
    "team_of_another_station": (lambda s, t: {"targets": [TargetInput(
        team_id=_other_team(s, t))]}, "error.campaign.target_unknown"),
    "inactive_team": (lambda s, t: {"targets": [A5, TargetInput(
        team_id=_switched_off(s, Team, t.team_b))]}, "error.campaign.team_inactive"),
    "inactive_site": (lambda s, t: {"targets": [A5, TargetInput(
        site_id=_switched_off(s, Site, t.village_b))]}, "error.campaign.site_inactive"),
    "same_target_twice": (lambda _s, t: {"targets": [A5, TargetInput(
        site_id=t.village_a, expected_beneficiaries=9)]}, "error.campaign.target_twice"),
    "negative_expected": (lambda _s, t: {"targets": [TargetInput(
        site_id=t.village_a, expected_beneficiaries=-1)]}, "error.campaign.target_expected"),
    "retired_item": (lambda s, t: {"item_id": _retired_item(s, t)}, "error.item_category"),
    "no_category": (lambda _s, _t: {"category_id": None}, "error.category_required"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_bad_field_is_refused_in_words_and_nothing_is_written(session, town, case):
    build, key = CASES[case]
    args = build(session, town)
    first = TargetInput(site_id=town.village_a, expected_beneficiaries=5)
    args["targets"] = [first if x == A5 else x for x in args.get("targets", [A5])]
    before = count(session, Campaign)
    if key is None:
        _make(session, town, **args)
        assert count(session, Campaign) == before + 1
        return
    with pytest.raises(Invalid) as caught:
        _make(session, town, **args)
    assert key in _keys(caught.value)
    session.rollback()
    assert count(session, Campaign) == before


def test_a_centre_site_is_no_target_only_a_suo_or_zhan_is(session, town):
    boss = _boss(session)
    centre = session.get(Site, town.station).parent_id
    with pytest.raises(Invalid) as caught:
        _make(session, town, actor=boss, targets=[TargetInput(site_id=centre)])
    assert _keys(caught.value) == {"error.campaign.target_unknown"}
    # the centre's manager may send one to a 所 and to a 站 below it
    c = _make(session, town, actor=boss, targets=[TargetInput(site_id=town.station),
                                                   TargetInput(site_id=town.other_station)])
    assert len(_targets(session, c.id)) == 2


@pytest.mark.parametrize("who", ["officer", "lead_a", "leader"])
def test_only_managers_make_and_issue_campaigns(session, town, who):
    actor = getattr(town, who)
    with pytest.raises(Forbidden):
        _make(session, town, actor=actor)
    c = _make(session, town)
    with pytest.raises(Forbidden):
        campaigns.issue(session, actor=actor, campaign_id=c.id, now=T0)
    assert _orders(session) == []


@pytest.mark.parametrize("who, sees", [("leader", True), ("manager", True), ("officer", False),
                                       ("lead_a", False)])
def test_leaders_and_managers_read_campaigns_others_do_not(session, town, who, sees):
    c = _make(session, town)
    actor = getattr(town, who)
    if sees:
        rows, total = campaigns.campaign_page(session, actor=actor)
        assert total == 1 and rows[0]["id"] == c.id
        assert len(campaigns.progress(session, actor=actor, campaign_id=c.id, now=T0)) == 3
    else:
        with pytest.raises(Forbidden):
            campaigns.campaign_page(session, actor=actor)


def test_another_stations_manager_neither_sees_nor_issues_it(session, town):
    c = _make(session, town)
    assert campaigns.campaign_page(session, actor=town.outsider) == ([], 0)
    for call in (campaigns.detail, campaigns.totals):
        with pytest.raises(NotFound):
            call(session, actor=town.outsider, campaign_id=c.id)
    with pytest.raises(NotFound):
        campaigns.issue(session, actor=town.outsider, campaign_id=c.id, now=T0)
    assert _orders(session) == []


# --- 下发 ---------------------------------------------------------------------------------------


def test_issuing_makes_one_order_per_target_dispatching_where_a_team_is_named(session, town):
    c = _make(session, town)
    assert campaigns.issue(session, actor=town.manager, campaign_id=c.id, now=T0) == 3
    made = _orders(session)
    assert [(o.site_id, o.status, o.team_id, o.expected_beneficiaries) for o in made] == [
        (town.village_a, OrderStatus.dispatched, town.team_a, 30),
        (town.village_b, OrderStatus.submitted, None, 20),
        (town.station, OrderStatus.dispatched, town.team_b, 10)]
    for o in made:
        assert (o.title, o.category_id, o.due_on, o.description, o.created_by_id) == (
            "学雷锋日志愿服务", town.category, START, "进村开展理论宣讲", town.manager.id)
        assert o.code.startswith("DD-2026-")
    assert [t.order_id for t in _targets(session, c.id)] == [o.id for o in made]
    events = session.exec(select(OrderEvent.order_id, OrderEvent.action, OrderEvent.team_id)
                          .where(OrderEvent.order_id.in_([o.id for o in made]))
                          .order_by(OrderEvent.id)).all()
    # the normal 点单 and 派单 events, so time limits, the desk and the figures see them
    assert [(a, team) for _, a, team in events] == [
        ("place", None), ("dispatch", town.team_a), ("place", None), ("place", None),
        ("dispatch", town.team_b)]
    issued = session.get(Campaign, c.id)
    assert issued.issued_by_id == town.manager.id and issued.issued_at is not None
    assert rollups.check(session, tz=TZ) == []


def test_a_second_issue_is_refused_naming_who_issued_it_and_makes_nothing(session, town):
    c = _make(session, town)
    campaigns.issue(session, actor=town.manager, campaign_id=c.id, now=T0)
    with pytest.raises(CampaignIssued) as caught:
        campaigns.issue(session, actor=town.manager, campaign_id=c.id, now=T0)
    assert caught.value.key == "error.campaign.issued"
    assert caught.value.params == {"title": "学雷锋日志愿服务", "by": town.manager.display_name}
    assert len(_orders(session)) == 3


def test_a_failure_on_the_second_target_leaves_nothing_written(session, town, monkeypatch):
    c = _make(session, town)
    before = {m: count(session, m) for m in (WorkOrder, OrderEvent, AuditLog)}
    real = orders.place_step
    calls = []

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Invalid("error.site_inactive", name="西村")
        return real(*args, **kwargs)

    monkeypatch.setattr(orders, "place_step", second_fails)
    with pytest.raises(Invalid):
        campaigns.issue(session, actor=town.manager, campaign_id=c.id, now=T0)
    assert len(calls) == 2
    assert {m: count(session, m) for m in before} == before
    assert session.get(Campaign, c.id).issued_at is None
    assert [t.order_id for t in _targets(session, c.id)] == [None, None, None]
    assert rollups.check(session, tz=TZ) == []
    monkeypatch.setattr(orders, "place_step", real)
    assert campaigns.issue(session, actor=town.manager, campaign_id=c.id, now=T0) == 3


def test_a_team_switched_off_since_the_campaign_was_made_stops_the_whole_issue(session, town):
    c = _make(session, town)
    session.get(Team, town.team_b).active = False
    session.commit()
    with pytest.raises(Invalid) as caught:
        campaigns.issue(session, actor=town.manager, campaign_id=c.id, now=T0)
    assert _keys(caught.value) == {"error.campaign.team_inactive"}
    assert _orders(session) == [] and session.get(Campaign, c.id).issued_at is None


def test_a_campaign_past_its_last_day_can_no_longer_be_issued(session, town):
    c = _make(session, town)
    with pytest.raises(Invalid) as caught:
        campaigns.issue(session, actor=town.manager, campaign_id=c.id,
                        now=T0 + timedelta(days=4))
    assert _keys(caught.value) == {"error.campaign.ended"}
    assert _orders(session) == []


def test_a_retired_item_since_the_campaign_was_made_stops_the_issue(session, town):
    item = catalog.create_item(session, actor=town.manager, title="学雷锋宣讲",
                               category_id=town.category, team_ids=())
    c = _make(session, town, item_id=item.id)
    catalog.retire_item(session, actor=town.manager, item_id=item.id, reason="改版")
    with pytest.raises(Invalid):
        campaigns.issue(session, actor=town.manager, campaign_id=c.id, now=T0)
    assert _orders(session) == [] and session.get(ServiceItem, item.id).active is False


def test_the_order_form_cannot_make_a_campaign_order(session, town):
    with pytest.raises(Invalid) as caught:
        orders.place(session, actor=town.manager, site_id=town.village_a,
                     category_id=town.category, title="冒充中心制单",
                     source=OrderSource.campaign)
    assert caught.value.key == "error.source"
    assert _orders(session) == []


def _issue_in_own_session(db_url, barrier, actor, campaign_id, results, errors):
    try:
        with db.write_session(db_url) as s:
            barrier.wait(timeout=10)
            results.append((actor.display_name,
                            campaigns.issue(s, actor=actor, campaign_id=campaign_id)))
    except Exception as err:  # the loser's CampaignIssued; anything else fails below
        errors.append(err)


def test_two_managers_issuing_at_once_make_the_orders_once(db_url):
    from models import Role

    with db.write_session(db_url) as s:
        town = build_town(s)
        second, _ = users.create(s, actor=town.manager, username="mgr2", display_name="副站长",
                                 role=Role.manager, site_id=town.station,
                                 password="correct horse")
        managers = (town.manager, users.to_actor(s, second))
        c = _make(s, town, now=db.utcnow(), starts_on=db.utcnow().date() + timedelta(days=2),
                  ends_on=db.utcnow().date() + timedelta(days=2))
    barrier = threading.Barrier(2)
    results, errors = [], []
    run_together([threading.Thread(target=_issue_in_own_session,
                                   args=(db_url, barrier, m, c.id, results, errors))
                  for m in managers], timeout=30)
    assert len(results) == 1 and results[0][1] == 3, (results, errors)
    assert len(errors) == 1 and isinstance(errors[0], CampaignIssued), errors
    assert errors[0].params["by"] == results[0][0]
    with db.session(db_url) as s:
        assert len(_orders(s)) == 3
        assert len({t.order_id for t in _targets(s, c.id)}) == 3


# --- progress -----------------------------------------------------------------------------------


def test_progress_and_totals_follow_the_orders_through_the_normal_lifecycle(session, town):
    c = _make(session, town)
    campaigns.issue(session, actor=town.manager, campaign_id=c.id, now=T0)
    a, b, team_b = _orders(session)
    step = timedelta(hours=1)
    # 东村 (team A): accepted, done with 15 people and 2 + 3.5 hours, rated 非常满意
    orders.accept(session, actor=town.lead_a, order_id=a.id, now=T0 + step)
    done = completions.Completion(beneficiaries={"elderly": 10, "general": 5},
                                  hours={town.volunteers_a[0]: 2, town.volunteers_a[1]: 3.5},
                                  note="顺利完成")
    completions.complete(session, actor=town.lead_a, order_id=a.id, done=done,
                         now=T0 + 2 * step)
    ratings.rate(session, actor=town.officer, order_id=a.id, level=5,
                 channel=RatingChannel.call, now=T0 + 3 * step)
    # 西村 (no team): the 所's manager dispatches it as any order; team A accepts
    orders.dispatch(session, actor=town.manager, order_id=b.id, team_id=town.team_a,
                    now=T0 + step)
    orders.accept(session, actor=town.lead_a, order_id=b.id, now=T0 + 2 * step)
    # 健康支队's own: cancelled
    orders.cancel(session, actor=town.manager, order_id=team_b.id, reason="天气原因",
                  now=T0 + step)
    rows = campaigns.progress(session, actor=town.leader, campaign_id=c.id, now=T0 + 4 * step)
    by_site = {r["order_id"]: r for r in rows}
    assert {k: by_site[a.id][k] for k in ("status", "holder", "beneficiaries", "hours",
                                          "rating", "expected", "team")} == {
        "status": "rated", "holder": "宣讲支队", "beneficiaries": 15, "hours": 5.5,
        "rating": 5, "expected": 30, "team": "宣讲支队"}
    assert {k: by_site[b.id][k] for k in ("status", "holder", "beneficiaries", "hours",
                                          "rating", "team")} == {
        "status": "accepted", "holder": "宣讲支队", "beneficiaries": None, "hours": None,
        "rating": None, "team": ""}
    assert by_site[team_b.id]["status"] == "cancelled"
    assert campaigns.totals(session, actor=town.leader, campaign_id=c.id) == {
        "targets": 3, "orders": 3, "open": 1, "done": 1, "cancelled": 1, "expected": 60,
        "beneficiaries": 15, "hours": 5.5, "rated": 1, "average": 5.0, "good_rate": 100.0}
    rows, _ = campaigns.campaign_page(session, actor=town.leader)
    assert (rows[0]["targets"], rows[0]["done"], rows[0]["issued"]) == (3, 1, True)
    assert session.exec(select(Rating.level).where(Rating.order_id == a.id)).one() == 5


def test_the_good_rate_counts_ratings_of_four_and_five_over_all_ratings(session, town):
    c = _make(session, town, targets=[TargetInput(site_id=town.village_a, team_id=town.team_a),
                                      TargetInput(site_id=town.village_b, team_id=town.team_a)])
    campaigns.issue(session, actor=town.manager, campaign_id=c.id, now=T0)
    done = completions.Completion(beneficiaries={"general": 4},
                                  hours={town.volunteers_a[0]: 1.25}, note="")
    for order, level in zip(_orders(session), (4, 2), strict=True):
        orders.accept(session, actor=town.lead_a, order_id=order.id, now=T0)
        completions.complete(session, actor=town.lead_a, order_id=order.id, done=done, now=T0)
        ratings.rate(session, actor=town.manager, order_id=order.id, level=level,
                     channel=RatingChannel.call, now=T0)
    total = campaigns.totals(session, actor=town.manager, campaign_id=c.id)
    assert (total["rated"], total["average"], total["good_rate"], total["hours"],
            total["beneficiaries"]) == (2, 3.0, 50.0, 2.5, 8)


def test_progress_is_one_statement_whatever_the_number_of_targets(session, town):
    c = _make(session, town)
    campaigns.issue(session, actor=town.manager, campaign_id=c.id, now=T0)
    from sqlalchemy import event

    seen = []

    def remember(conn, cursor, statement, *args):
        if "campaigntarget" in statement.lower():
            seen.append(statement)

    event.listen(session.bind, "before_cursor_execute", remember)
    try:
        campaigns.progress(session, actor=town.manager, campaign_id=c.id, now=T0)
        campaigns.totals(session, actor=town.manager, campaign_id=c.id)
    finally:
        event.remove(session.bind, "before_cursor_execute", remember)
    assert len(seen) == 2


# --- deleting a draft ---------------------------------------------------------------------------


def test_a_draft_is_deleted_with_its_targets_an_issued_campaign_is_not(session, town):
    draft, issued = _make(session, town), _make(session, town, title="重阳敬老")
    campaigns.issue(session, actor=town.manager, campaign_id=issued.id, now=T0)
    assert campaigns.discard(session, actor=town.manager, campaign_id=draft.id) == \
        "学雷锋日志愿服务"
    assert session.get(Campaign, draft.id) is None and _targets(session, draft.id) == []
    with pytest.raises(CampaignIssued):
        campaigns.discard(session, actor=town.manager, campaign_id=issued.id)
    assert len(_targets(session, issued.id)) == 3 and len(_orders(session)) == 3
    with pytest.raises(NotFound):  # gone: a second press finds nothing
        campaigns.discard(session, actor=town.manager, campaign_id=draft.id)


@pytest.mark.parametrize("who, error", [("leader", Forbidden), ("outsider", NotFound)])
def test_only_a_manager_of_its_site_deletes_a_draft(session, town, who, error):
    c = _make(session, town)
    with pytest.raises(error):
        campaigns.discard(session, actor=getattr(town, who), campaign_id=c.id)
    assert session.get(Campaign, c.id) is not None
