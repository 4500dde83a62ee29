"""Who may do what: the role × action matrix, the site subtree, and a team lead's own team."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from core import db
from models import (
    AuditLog,
    Gender,
    Need,
    OrderEvent,
    Role,
    ServiceItem,
    Setting,
    Survey,
    Team,
    TeamTier,
    User,
    Volunteer,
    WorkOrder,
)
from services import (
    completions,
    escalation,
    order_queries,
    orders,
    ratings,
    reports,
    settings,
    teams,
    users,
    volunteers,
)
from services.errors import Forbidden, NotFound
from services.permissions import (
    ORDER_REACH,
    PERMISSIONS,
    Action,
    Reach,
    ensure_allowed,
    sees_order,
)
from tests.factories import place
from tests.services.steps import T0, S, count, good_completion, order_in

ROLES = (Role.manager, Role.officer, Role.team_lead, Role.leader)


def _actor(town, role):
    return {Role.manager: town.manager, Role.officer: town.officer,
            Role.team_lead: town.lead_a, Role.leader: town.leader}[role]


# Each call is made by `actor` on the state it needs (prepared by whoever may prepare it);
# `ready` runs between the preparation and the call itself. A call returns the table that gains
# exactly one row when it is allowed (None for a read).

def call_place(session, town, actor, ready=lambda: None):
    ready()
    place(session, town, actor=actor, now=T0)
    return WorkOrder


def call_dispatch(session, town, actor, ready=lambda: None):
    order = order_in(session, town, S.submitted)
    ready()
    orders.dispatch(session, actor=actor, order_id=order.id, team_id=town.team_a)
    return OrderEvent


def call_accept(session, town, actor, ready=lambda: None):
    order = order_in(session, town, S.dispatched)
    ready()
    orders.accept(session, actor=actor, order_id=order.id)
    return OrderEvent


def call_decline(session, town, actor, ready=lambda: None):
    order = order_in(session, town, S.dispatched)
    ready()
    orders.decline(session, actor=actor, order_id=order.id, reason="人手不足")
    return OrderEvent


def call_complete(session, town, actor, ready=lambda: None):
    order = order_in(session, town, S.accepted)
    ready()
    completions.complete(session, actor=actor, order_id=order.id, done=good_completion(town))
    return OrderEvent


def call_rate(session, town, actor, ready=lambda: None):
    order = order_in(session, town, S.completed)
    ready()
    ratings.rate(session, actor=actor, order_id=order.id, level=5)
    return OrderEvent


def call_cancel(session, town, actor, ready=lambda: None):
    order = order_in(session, town, S.submitted)
    ready()
    orders.cancel(session, actor=actor, order_id=order.id, reason="重复工单")
    return OrderEvent


def call_users_create(session, town, actor, ready=lambda: None):
    ready()
    users.create(session, actor=actor, username="newbie", display_name="新人",
                 role=Role.officer, site_id=town.village_a)
    return User


def call_teams_create(session, town, actor, ready=lambda: None):
    ready()
    teams.create(session, actor=actor, name="文艺总队", tier=TeamTier.corps, site_id=town.station)
    return Team


def call_volunteers_create(session, town, actor, ready=lambda: None):
    ready()
    volunteers.create(session, actor=actor, name="王芳", phone="13900000001",
                      gender=Gender.female, site_id=town.village_b, registered_on=date(2026, 1, 1))
    return Volunteer


def call_settings_update(session, town, actor, ready=lambda: None):
    ready()
    settings.update(session, actor=actor, values={"points_per_hour": 20})
    return Setting


def call_reports_overview(session, town, actor, ready=lambda: None):
    ready()
    reports.overview(session, actor=actor, start=date(2026, 1, 1), end=date(2026, 12, 31))
    return None


def call_orders_page(session, town, actor, ready=lambda: None):
    ready()
    order_queries.page(session, actor=actor)
    return None


def call_late_page(session, town, actor, ready=lambda: None):
    ready()
    order_queries.late_page(session, actor=actor)
    return None


def call_urge(session, town, actor, ready=lambda: None):
    from datetime import timedelta

    order = place(session, town, now=db.utcnow() - timedelta(days=5))
    ready()
    escalation.urge(session, actor=actor, order_id=order.id, note="请尽快派单")
    return None


def call_review_approve(session, town, actor, ready=lambda: None):
    from services import review

    order = order_in(session, town, S.in_review)
    ready()
    review.approve(session, actor=actor, order_id=order.id)
    return OrderEvent


def call_review_send_back(session, town, actor, ready=lambda: None):
    from services import review

    order = order_in(session, town, S.in_review)
    ready()
    review.send_back(session, actor=actor, order_id=order.id, reason="人数不符")
    return OrderEvent


def _survey(session, town, actor):
    from services import surveys

    return surveys.record(session, actor=actor, site_id=town.village_a,
                          surveyed_on=date(2026, 3, 1), respondent="李家", people_covered=2, now=T0,
                          needs=[surveys.NeedInput(category_id=town.category, priority="hear",
                                                   text="想听讲座")])


def call_surveys_record(session, town, actor, ready=lambda: None):
    ready()
    _survey(session, town, actor)
    return Survey


def call_needs_to_order(session, town, actor, ready=lambda: None):
    from services import needs

    survey = _survey(session, town, town.officer)
    ready()
    need_id = session.exec(select(Need.id).where(Need.survey_id == survey.id)).one()
    needs.to_order(session, actor=actor, need_ids=[need_id], now=T0)
    return WorkOrder


def call_needs_board(session, town, actor, ready=lambda: None):
    from services import needs

    ready()
    needs.page(session, actor=actor)
    return None


def call_menu_create(session, town, actor, ready=lambda: None):
    from services import catalog

    ready()
    catalog.create_item(session, actor=actor, title="防诈骗讲座", category_id=town.category)
    return ServiceItem


def call_menu_review(session, town, actor, ready=lambda: None):
    from services import menu

    ready()
    menu.review(session, actor=actor)
    return None


def call_surveys_import(session, town, actor, ready=lambda: None):
    from services import survey_import
    from tests.services.test_survey_import import GOOD, xlsx

    ready()
    survey_import.import_file(session, actor=actor, content=xlsx(GOOD[:1]), now=T0)
    return Survey


MANAGER, OFFICER, LEAD, LEADER = Role.manager, Role.officer, Role.team_lead, Role.leader

# Written out by hand from the roles table of PRODUCT.md.
MATRIX = [
    (call_place, {MANAGER, OFFICER}),
    (call_dispatch, {MANAGER}),
    (call_accept, {LEAD}),
    (call_decline, {LEAD}),
    (call_complete, {LEAD}),
    (call_rate, {MANAGER, OFFICER}),
    (call_cancel, {MANAGER}),
    (call_users_create, {MANAGER}),
    (call_teams_create, {MANAGER}),
    (call_volunteers_create, {MANAGER}),
    (call_settings_update, {MANAGER}),
    (call_reports_overview, {MANAGER, LEADER}),
    (call_orders_page, {MANAGER, OFFICER, LEAD}),  # a team lead's page is their team's orders only
    (call_late_page, {MANAGER, OFFICER, LEAD, LEADER}),  # 催办督办: leaders read the late ones
    (call_urge, {MANAGER}),
    (call_review_approve, {MANAGER}),      # 中心审核
    (call_review_send_back, {MANAGER}),
    (call_surveys_record, {MANAGER, OFFICER}),
    (call_surveys_import, {MANAGER}),
    (call_needs_to_order, {MANAGER, OFFICER}),
    (call_needs_board, {MANAGER, OFFICER, LEADER}),
    (call_menu_create, {MANAGER}),
    (call_menu_review, {MANAGER, OFFICER, LEADER}),
]
CASES = [(call, role, role in roles) for call, roles in MATRIX for role in ROLES]


def _rows(db_url):
    with db.session(db_url) as fresh:
        return {m.__name__: fresh.exec(select(func.count()).select_from(m)).one()
                for m in (WorkOrder, OrderEvent, User, Team, Volunteer, Setting, AuditLog, Survey,
                          ServiceItem)}


@pytest.mark.parametrize("call,role,allowed", CASES,
                         ids=[f"{c.__name__[5:]}-{r.value}-{'yes' if a else 'no'}"
                              for c, r, a in CASES])
def test_role_may_or_may_not_make_the_call(session, town, db_url, call, role, allowed):
    actor = _actor(town, role)
    before = {}
    if allowed:
        table = call(session, town, actor, ready=lambda: before.update(_rows(db_url)))
        if table is not None:  # a change: its table has grown
            assert _rows(db_url)[table.__name__] == before[table.__name__] + 1
        return
    with pytest.raises(Forbidden) as err:
        call(session, town, actor)
    assert err.value.key == "error.forbidden"


@pytest.mark.parametrize("call,role", [(c, r) for c, r, a in CASES if not a],
                         ids=[f"{c.__name__[5:]}-{r.value}" for c, r, a in CASES if not a])
def test_a_refused_call_writes_nothing(session, town, call, role, db_url):
    before = {}
    with pytest.raises(Forbidden):
        call(session, town, _actor(town, role), ready=lambda: before.update(_rows(db_url)))
    assert before, "the call was refused before it was even prepared"
    session.commit()  # even a caller that commits after the refusal finds nothing to write
    assert _rows(db_url) == before


def test_the_permissions_table_has_an_entry_for_every_action():
    assert set(PERMISSIONS) == set(Action)
    assert PERMISSIONS[Action.DISPATCH] == frozenset({Role.manager})
    assert PERMISSIONS[Action.WORK_ORDERS] == frozenset({Role.team_lead})
    assert PERMISSIONS[Action.REVIEW] == frozenset({Role.manager})


def test_ensure_allowed_refuses_a_site_outside_the_subtree(town):
    ensure_allowed(town.manager, Action.DISPATCH, site_path=town.manager.site_path + "9/")
    with pytest.raises(Forbidden):
        ensure_allowed(town.outsider, Action.DISPATCH, site_path=town.manager.site_path)


# --- site scope -------------------------------------------------------------------------------


def test_outsider_manager_cannot_dispatch_the_towns_order(session, town):
    order = order_in(session, town, S.submitted)
    with pytest.raises(Forbidden):
        orders.dispatch(session, actor=town.outsider, order_id=order.id, team_id=town.team_a)
    assert session.get(WorkOrder, order.id).status == S.submitted


def test_outsider_manager_cannot_cancel_the_towns_order(session, town):
    order = order_in(session, town, S.dispatched)
    with pytest.raises(Forbidden):
        orders.cancel(session, actor=town.outsider, order_id=order.id, reason="不归我管")
    assert session.get(WorkOrder, order.id).status == S.dispatched


def test_outsider_manager_cannot_rate_the_towns_order(session, town):
    order = order_in(session, town, S.completed)
    with pytest.raises(Forbidden):
        ratings.rate(session, actor=town.outsider, order_id=order.id, level=1)
    assert session.get(WorkOrder, order.id).status == S.completed


def test_outsider_manager_does_not_see_the_towns_orders(session, town):
    order = order_in(session, town, S.submitted)
    assert order_queries.page(session, actor=town.outsider) == ([], 0)
    with pytest.raises(NotFound):
        order_queries.detail(session, actor=town.outsider, order_id=order.id)
    rows, total = order_queries.page(session, actor=town.manager)
    assert total == 1 and rows[0]["id"] == order.id


def test_manager_cannot_dispatch_to_a_team_outside_the_subtree(session, town):
    from services.errors import Invalid

    far = teams.create(session, actor=town.outsider, name="绿水总队", tier=TeamTier.corps,
                       site_id=town.other_station)
    order = order_in(session, town, S.submitted)
    with pytest.raises(Invalid) as err:
        orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=far.id)
    assert err.value.key == "error.team_required"


def test_officer_cannot_place_an_order_outside_their_subtree(session, town):
    before = count(session, WorkOrder)
    with pytest.raises(Forbidden):
        place(session, town, actor=town.officer, site_id=town.other_station, now=T0)
    session.rollback()
    assert count(session, WorkOrder) == before


def test_village_officer_cannot_place_an_order_for_the_neighbouring_village(session, town):
    user, _ = users.create(session, actor=town.manager, username="cun_a", display_name="东村实践员",
                           role=Role.officer, site_id=town.village_a, password="correct horse")
    village_officer = users.to_actor(session, user)
    place(session, town, actor=village_officer, site_id=town.village_a, now=T0)
    with pytest.raises(Forbidden):
        place(session, town, actor=village_officer, site_id=town.village_b, now=T0)


def test_manager_cannot_create_accounts_outside_their_subtree(session, town):
    with pytest.raises(Forbidden):
        users.create(session, actor=town.manager, username="spy", display_name="间谍",
                     role=Role.officer, site_id=town.other_station)
    assert users.by_username(session, "spy") is None


def test_settings_changes_are_refused_to_everyone_but_managers(session, town):
    for actor in (town.officer, town.lead_a, town.leader):
        with pytest.raises(Forbidden):
            settings.update(session, actor=actor, values={"points_per_hour": 1})
    assert settings.current(session)["points_per_hour"] == 10


# --- a team lead and another team's order ------------------------------------------------------


def test_team_lead_cannot_accept_another_teams_order(session, town):
    order = order_in(session, town, S.dispatched)  # dispatched to team A
    with pytest.raises(Forbidden):
        orders.accept(session, actor=town.lead_b, order_id=order.id)
    assert session.get(WorkOrder, order.id).status == S.dispatched


def test_team_lead_cannot_decline_another_teams_order(session, town):
    order = order_in(session, town, S.dispatched)
    with pytest.raises(Forbidden):
        orders.decline(session, actor=town.lead_b, order_id=order.id, reason="不想做")
    row = session.get(WorkOrder, order.id)
    assert (row.status, row.team_id, row.decline_count) == (S.dispatched, town.team_a, 0)


def test_team_lead_cannot_complete_another_teams_order(session, town):
    order = order_in(session, town, S.accepted)
    with pytest.raises(Forbidden):
        completions.complete(session, actor=town.lead_b, order_id=order.id,
                             done=good_completion(town))
    assert session.get(WorkOrder, order.id).status == S.accepted


def test_team_lead_cannot_open_another_teams_order(session, town):
    order = order_in(session, town, S.accepted)
    with pytest.raises(NotFound):
        order_queries.detail(session, actor=town.lead_b, order_id=order.id)
    shown = order_queries.detail(session, actor=town.lead_a, order_id=order.id)
    assert shown["order"]["id"] == order.id


def test_team_lead_lists_only_their_own_teams_orders(session, town):
    mine = order_in(session, town, S.dispatched)  # team A
    theirs = order_in(session, town, S.submitted)
    orders.dispatch(session, actor=town.manager, order_id=theirs.id, team_id=town.team_b)
    order_in(session, town, S.submitted)  # nobody's yet

    rows, total = order_queries.page(session, actor=town.lead_a)
    assert total == 1 and [r["id"] for r in rows] == [mine.id]
    rows, total = order_queries.page(session, actor=town.lead_b)
    assert total == 1 and [r["id"] for r in rows] == [theirs.id]
    assert order_queries.waiting_count(session, actor=town.lead_a) == 1
    assert order_queries.waiting_count(session, actor=town.lead_b) == 1


def test_team_lead_cannot_widen_their_list_with_a_filter(session, town):
    order_in(session, town, S.dispatched)  # team A
    flt = order_queries.OrderFilter(team_id=town.team_a)
    assert order_queries.page(session, actor=town.lead_b, flt=flt) == ([], 0)


def test_team_lead_cannot_touch_an_order_that_was_declined_by_their_team(session, town):
    order = order_in(session, town, S.dispatched)
    orders.decline(session, actor=town.lead_a, order_id=order.id, reason="人手不足")
    with pytest.raises(Forbidden):
        orders.accept(session, actor=town.lead_a, order_id=order.id)
    assert order_queries.page(session, actor=town.lead_a) == ([], 0)


def test_every_role_has_a_reach_and_only_team_leads_are_held_to_their_team():
    assert set(ORDER_REACH) == set(Role)
    assert [r for r in Role if ORDER_REACH[r] is Reach.OWN_TEAM] == [Role.team_lead]


def test_a_team_lead_reaches_their_teams_orders_wherever_they_are_and_no_others(town):
    lead = town.lead_a
    elsewhere = "/1/999/"  # an order of another 所, dispatched to team A
    assert sees_order(lead, site_path=elsewhere, team_id=town.team_a)
    assert not sees_order(lead, site_path=lead.site_path, team_id=town.team_b)
    assert not sees_order(lead, site_path=lead.site_path, team_id=None)


def test_everyone_else_reaches_their_subtree_whatever_the_team(town):
    inside = f"{town.manager.site_path}{town.village_a}/"
    assert sees_order(town.manager, site_path=inside, team_id=None)
    assert sees_order(town.leader, site_path=inside, team_id=town.team_b)
    assert not sees_order(town.outsider, site_path=inside, team_id=town.team_a)
