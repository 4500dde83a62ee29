"""Correcting a completion (issue 3): the lead who marked an order done may correct it within 24
hours; records and beneficiaries are replaced, points move by the difference, the history keeps
a 'correct' event; anyone else, later, or with bad numbers changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from models import (
    Gender,
    OrderBeneficiary,
    OrderEvent,
    OrderStatus,
    PointsEntry,
    ServiceRecord,
    WorkOrder,
)
from services import completions, teams, volunteers
from services.errors import DomainError, Invalid
from tests.services.steps import T0, order_in

S = OrderStatus
DONE_AT = T0 + timedelta(hours=3)   # when order_in marks an order done


def _fixed(town, **hours):
    return completions.Completion(beneficiaries={"children": 20},
                                  hours={town.volunteers_a[0]: 4, town.volunteers_a[2]: 1.5},
                                  note="更正后的情况")


def _points(session, order_id):
    return dict(session.exec(select(PointsEntry.volunteer_id, func.sum(PointsEntry.points))
                             .where(PointsEntry.order_id == order_id)
                             .group_by(PointsEntry.volunteer_id)).all())


def _records(session, order_id):
    return dict(session.exec(select(ServiceRecord.volunteer_id, ServiceRecord.hours)
                             .where(ServiceRecord.order_id == order_id)).all())


def test_the_lead_corrects_within_a_day(session, town):
    order = order_in(session, town, S.completed)
    v0, v1, v2 = town.volunteers_a
    assert _records(session, order.id) == {v0: 2, v1: 3.5}
    version = order.version
    fixed = completions.correct(session, actor=town.lead_a, order_id=order.id, done=_fixed(town),
                                reason="漏记了一名志愿者", now=DONE_AT + timedelta(hours=23))
    assert fixed.status == S.completed and fixed.version == version + 1
    assert fixed.actual_beneficiaries == 20 and fixed.completion_note == "更正后的情况"
    assert _records(session, order.id) == {v0: 4, v2: 1.5}
    assert dict(session.exec(select(OrderBeneficiary.group, OrderBeneficiary.count)
                             .where(OrderBeneficiary.order_id == order.id)).all()) == {
        "children": 20}
    # 10 points an hour: v0 20 → 40, v1 35 → 0, v2 0 → 15; the old lines stay in the ledger.
    assert _points(session, order.id) == {v0: 40, v1: 0, v2: 15}
    assert session.exec(select(func.count()).select_from(PointsEntry)
                        .where(PointsEntry.order_id == order.id)).one() == 5
    event = session.exec(select(OrderEvent).order_by(OrderEvent.id.desc())).first()
    assert (event.action, event.from_status, event.to_status, event.actor_id) == (
        "correct", S.completed, S.completed, town.lead_a.id)
    assert event.note == "漏记了一名志愿者"
    assert event.detail == {"people": [15, 20], "hours": [5.5, 5.5], "volunteers": [2, 2]}


def test_a_rated_order_may_be_corrected_and_stays_rated(session, town):
    order = order_in(session, town, S.rated)
    fixed = completions.correct(session, actor=town.lead_a, order_id=order.id, done=_fixed(town),
                                reason="人数记错", now=DONE_AT + timedelta(hours=2))
    assert fixed.status == S.rated


def _unchanged(session, order_id, version, before_records, before_events):
    assert _records(session, order_id) == before_records
    assert session.exec(select(func.count()).select_from(OrderEvent)).one() == before_events
    assert session.get(WorkOrder, order_id).version == version


@pytest.mark.parametrize("case", ["too_late", "other_lead", "manager", "hours_25",
                                  "no_reason", "not_done"])
def test_a_correction_that_may_not_be_made_changes_nothing(session, town, case):
    status = S.accepted if case == "not_done" else S.completed
    order = order_in(session, town, status)
    records, version = _records(session, order.id), order.version
    events = session.exec(select(func.count()).select_from(OrderEvent)).one()
    actor, now, reason, done = town.lead_a, DONE_AT + timedelta(hours=1), "更正", _fixed(town)
    if case == "too_late":
        now = DONE_AT + timedelta(hours=24, minutes=1)
    elif case == "other_lead":
        actor = town.lead_b
    elif case == "manager":
        actor = town.manager
    elif case == "hours_25":
        done = completions.Completion(beneficiaries={}, hours={town.volunteers_a[0]: 25})
    elif case == "no_reason":
        reason = "  "
    with pytest.raises(DomainError) as err:
        completions.correct(session, actor=actor, order_id=order.id, done=done, reason=reason,
                            now=now)
    if case in ("too_late", "not_done"):
        assert err.value.key == "error.correct_window"
    _unchanged(session, order.id, version, records, events)


def test_only_the_lead_who_marked_it_done_may_correct(session, town):
    order = order_in(session, town, S.completed)
    assert completions.correctable_until(session, actor=town.lead_a, order_id=order.id) == \
        DONE_AT + timedelta(hours=24)
    assert completions.correctable_until(session, actor=town.lead_b, order_id=order.id) is None
    assert completions.correctable_until(session, actor=town.manager, order_id=order.id) is None


def test_volunteers_outside_the_roster_may_help(session, town):
    # A volunteer of the same 站 who is not on team A's roster may be recorded; one of another
    # 所 may not.
    near = volunteers.create(session, actor=town.manager, name="邻村志愿者", phone="13900000001",
                             gender=Gender.male, site_id=town.village_b,
                             registered_on=date(2025, 1, 1))
    helpers = {v.id for v in teams.helpers(session, team_id=town.team_a)}
    assert near.id in helpers and not helpers & set(town.volunteers_a)
    order = order_in(session, town, S.accepted)
    done = completions.Completion(beneficiaries={"general": 3},
                                  hours={town.volunteers_a[0]: 2, near.id: 2})
    completions.complete(session, actor=town.lead_a, order_id=order.id, done=done, now=DONE_AT)
    assert set(_records(session, order.id)) == {town.volunteers_a[0], near.id}


def test_a_correction_with_a_stranger_is_refused(session, town):
    from services import users
    boss = users.to_actor(session, users.by_username(session, "boss"))
    far = volunteers.create(session, actor=boss, name="外镇志愿者", phone="13900000002",
                            gender=Gender.male, site_id=town.other_station,
                            registered_on=date(2025, 1, 1))
    order = order_in(session, town, S.completed)
    with pytest.raises(Invalid) as err:
        completions.correct(session, actor=town.lead_a, order_id=order.id, reason="加人",
                       done=completions.Completion(hours={far.id: 2}), now=DONE_AT)
    assert err.value.key == "error.volunteer_unknown"
    assert set(_records(session, order.id)) == set(town.volunteers_a[:2])
