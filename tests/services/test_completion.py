"""Marking an order done is all or nothing: service records, points and beneficiaries together."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from core import db
from models import OrderBeneficiary, OrderEvent, PointsEntry, PointsReason, ServiceRecord, WorkOrder
from services import completions, order_queries, points, settings
from services.errors import Invalid
from tests.services.steps import T0, S, order_in

NOW = T0 + timedelta(days=1)


def _written(db_url, order_id):
    """What the database holds for the order, read through a fresh connection."""
    with db.session(db_url) as s:
        def n(model):
            return s.exec(select(func.count()).select_from(model)
                          .where(model.order_id == order_id)).one()

        order = s.get(WorkOrder, order_id)
        return {"status": order.status, "completed_at": order.completed_at,
                "actual_beneficiaries": order.actual_beneficiaries,
                "records": n(ServiceRecord), "points": n(PointsEntry),
                "beneficiaries": n(OrderBeneficiary), "events": n(OrderEvent)}


def _untouched(events_before):
    return {"status": S.accepted, "completed_at": None, "actual_beneficiaries": None,
            "records": 0, "points": 0, "beneficiaries": 0, "events": events_before}


BAD = {
    "unknown volunteer": ({"beneficiaries": {"elderly": 3}, "hours": "bad-volunteer"},
                          "error.volunteer_unknown"),
    "zero hours": ({"beneficiaries": {"elderly": 3}, "hours": 0}, "error.hours_range"),
    "25 hours": ({"beneficiaries": {"elderly": 3}, "hours": 25}, "error.hours_range"),
    "negative hours": ({"beneficiaries": {"elderly": 3}, "hours": -1}, "error.hours_range"),
    "hours not a number": ({"beneficiaries": {"elderly": 3}, "hours": "两小时"},
                           "error.hours_range"),
    "negative beneficiaries": ({"beneficiaries": {"elderly": 3, "children": -1}, "hours": 2},
                               "error.number_range"),
    "fractional beneficiaries": ({"beneficiaries": {"elderly": 2.5}, "hours": 2}, "error.number"),
    "unknown group": ({"beneficiaries": {"elderly": 3, "aliens": 2}, "hours": 2},
                      "error.beneficiary_group"),
    "no volunteers": ({"beneficiaries": {"elderly": 3}, "hours": None},
                      "error.volunteers_required"),
    "note too long": ({"beneficiaries": {"elderly": 3}, "hours": 2, "note": "长" * 2001},
                      "error.too_long"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_completion_writes_nothing(session, town, db_url, case):
    spec, key = BAD[case]
    order = order_in(session, town, S.accepted)
    events_before = _written(db_url, order.id)["events"]
    good, other = town.volunteers_a[0], town.volunteers_a[1]
    if spec["hours"] == "bad-volunteer":
        hours = {good: 2, 999_999: 2}   # the bad one comes after a good one
    elif spec["hours"] is None:
        hours = {}
    else:
        hours = {good: 2, other: spec["hours"]}
    done = completions.Completion(beneficiaries=spec["beneficiaries"], hours=hours,
                                  note=spec.get("note", ""))

    with pytest.raises(Invalid) as err:
        completions.complete(session, actor=town.lead_a, order_id=order.id, done=done, now=NOW)

    assert err.value.key == key
    session.commit()  # even a caller that commits after the error finds nothing to write
    assert _written(db_url, order.id) == _untouched(events_before)


def test_an_inactive_volunteer_cannot_be_credited(session, town, db_url):
    from models import Volunteer

    vol = session.get(Volunteer, town.volunteers_a[2])
    vol.active = False
    session.add(vol)
    session.commit()
    order = order_in(session, town, S.accepted)
    with pytest.raises(Invalid) as err:
        completions.complete(session, actor=town.lead_a, order_id=order.id, now=NOW,
                        done=completions.Completion(hours={vol.id: 2}))
    assert err.value.key == "error.volunteer_unknown"
    assert _written(db_url, order.id)["records"] == 0


def test_a_failure_midway_through_completion_writes_nothing(db_url, monkeypatch):
    """Points fail after the status change, the event and the service records were added."""
    from tests.factories import build_town

    with db.write_session(db_url) as s:
        town = build_town(s)
        order = order_in(s, town, S.accepted)
        events_before = _written(db_url, order.id)["events"]

    def exploding_points(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(points, "for_hours", exploding_points)
    with db.write_session(db_url) as s:
        with pytest.raises(RuntimeError, match="disk full"):
            completions.complete(s, actor=town.lead_a, order_id=order.id, now=NOW,
                            done=completions.Completion(beneficiaries={"elderly": 4},
                                                        hours={town.volunteers_a[0]: 2}))
        # Midway: the status change and the event are flushed inside the open transaction.
        assert s.exec(select(func.count()).select_from(OrderEvent)
                      .where(OrderEvent.order_id == order.id)).one() == events_before + 1
    # Leaving the session without commit rolls all of it back.
    assert _written(db_url, order.id) == _untouched(events_before)


def test_a_good_completion_records_service_points_and_beneficiaries(session, town, db_url):
    order = order_in(session, town, S.accepted)
    v0, v1 = town.volunteers_a[0], town.volunteers_a[1]
    done = completions.complete(session, actor=town.lead_a, order_id=order.id, now=NOW,
                           done=completions.Completion(
                               beneficiaries={"elderly": 10, "children": 4, "general": 5},
                               hours={v0: 2, v1: 3.5}, note=" 顺利完成 "))

    assert (done.status, done.completed_at, done.actual_beneficiaries, done.completion_note) == (
        S.completed, NOW, 19, "顺利完成")
    records = session.exec(select(ServiceRecord.volunteer_id, ServiceRecord.hours,
                                  ServiceRecord.served_at)
                           .where(ServiceRecord.order_id == order.id)
                           .order_by(ServiceRecord.volunteer_id)).all()
    assert records == [(v0, 2.0, NOW), (v1, 3.5, NOW)]
    points = session.exec(select(PointsEntry.volunteer_id, PointsEntry.points, PointsEntry.reason,
                                 PointsEntry.note)
                          .where(PointsEntry.order_id == order.id)
                          .order_by(PointsEntry.volunteer_id)).all()
    assert points == [(v0, 20, PointsReason.service, order.code),
                      (v1, 35, PointsReason.service, order.code)]
    groups = dict(session.exec(select(OrderBeneficiary.group, OrderBeneficiary.count)
                               .where(OrderBeneficiary.order_id == order.id)).all())
    assert {g.value: c for g, c in groups.items()} == {"elderly": 10, "children": 4, "general": 5}
    assert _written(db_url, order.id)["status"] == S.completed  # committed


def test_points_follow_the_points_per_hour_setting(session, town):
    settings.update(session, actor=town.manager, values={"points_per_hour": 4})
    order = order_in(session, town, S.accepted)
    completions.complete(session, actor=town.lead_a, order_id=order.id, now=NOW,
                    done=completions.Completion(hours={town.volunteers_a[0]: 2.5}))
    assert session.exec(select(PointsEntry.points)
                        .where(PointsEntry.order_id == order.id)).all() == [10]


def test_no_points_are_written_when_points_per_hour_is_zero(session, town):
    settings.update(session, actor=town.manager, values={"points_per_hour": 0})
    order = order_in(session, town, S.accepted)
    completions.complete(session, actor=town.lead_a, order_id=order.id, now=NOW,
                    done=completions.Completion(hours={town.volunteers_a[0]: 2}))
    assert session.exec(select(func.count()).select_from(PointsEntry)
                        .where(PointsEntry.order_id == order.id)).one() == 0
    assert session.exec(select(func.count()).select_from(ServiceRecord)
                        .where(ServiceRecord.order_id == order.id)).one() == 1


def test_the_detail_of_a_completed_order_shows_its_service_record(session, town):
    order = order_in(session, town, S.completed)
    detail = order_queries.detail(session, actor=town.manager, order_id=order.id, now=NOW)
    assert detail["beneficiaries"] == {"elderly": 10, "general": 5}
    assert sorted((r["volunteer_id"], r["hours"]) for r in detail["service"]) == [
        (town.volunteers_a[0], 2.0), (town.volunteers_a[1], 3.5)]
    assert [h["action"] for h in detail["history"]] == ["place", "dispatch", "accept", "complete"]


def test_a_volunteer_from_outside_the_team_and_its_sites_cannot_be_recorded(session, town,
                                                                              db_url):
    from datetime import date

    from models import Gender
    from services import volunteers

    stranger = volunteers.create(session, actor=town.outsider, name="外镇志愿者",
                                 phone="13900000099", gender=Gender.male,
                                 site_id=town.other_station, registered_on=date(2025, 1, 1))
    order = order_in(session, town, S.accepted)
    events = _written(db_url, order.id)["events"]
    with pytest.raises(Invalid) as err:
        completions.complete(session, actor=town.lead_a, order_id=order.id, now=NOW,
                        done=completions.Completion(hours={stranger.id: 2}))
    assert err.value.key == "error.volunteer_unknown"
    assert _written(db_url, order.id) == _untouched(events)


def test_a_volunteer_of_the_teams_sites_who_is_not_in_the_team_may_be_recorded(session, town):
    from datetime import date

    from models import Gender
    from services import volunteers

    helper = volunteers.create(session, actor=town.manager, name="邻村志愿者",
                               phone="13900000098", gender=Gender.female,
                               site_id=town.village_b, registered_on=date(2025, 1, 1))
    order = order_in(session, town, S.accepted)
    done = completions.complete(session, actor=town.lead_a, order_id=order.id, now=NOW,
                           done=completions.Completion(hours={helper.id: 1.5}))
    assert done.status == S.completed
