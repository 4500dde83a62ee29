"""中心审核: with `review_required` on, 完成 waits as 待审核 and counts nothing — no figure,
service record, points or rating link — until a manager of the order's site approves it (done
as of the team's submission) or sends it back with a reason; two decisions: one wins.

Times are UTC; 15:30 UTC is 23:30 in Beijing, 16:30 UTC is 00:30 the next day."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from core import db
from models import (
    OrderBeneficiary,
    OrderEvent,
    OrderStatus,
    PointsEntry,
    Role,
    ServiceRecord,
    VolunteerStars,
    WorkOrder,
)
from services import (
    completions,
    evaluation,
    orders,
    periods,
    points,
    rating_links,
    reports,
    review,
    rollups,
    sites,
    users,
    volunteer_records,
)
from services import settings as settings_service
from services.errors import Forbidden, Invalid, OrderNotInState
from tests.factories import build_town, place
from tests.services.steps import count, good_completion, review_on, run_together

S = OrderStatus
H = timedelta(hours=1)
DUE = date(2026, 3, 31)
PLACED = datetime(2026, 3, 20, 2, tzinfo=UTC)
SUBMITTED = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)   # 23:30 Beijing on the due day
APPROVED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)       # 09:00 Beijing the day after
HOURS = 2 + 3.5  # good_completion: two volunteers
MARCH, APRIL = periods.month(2026, 3), periods.month(2026, 4)


def accepted(session, town, *, due_on=DUE, at=PLACED):
    order = place(session, town, now=at, due_on=due_on)
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                    now=at + H)
    return orders.accept(session, actor=town.lead_a, order_id=order.id, now=at + 2 * H)


def submitted(session, town, *, at=SUBMITTED, **kw):
    order = accepted(session, town, **kw)
    return completions.complete(session, actor=town.lead_a, order_id=order.id,
                                done=good_completion(town), now=at)


def no_rollup_differences(session):
    assert rollups.check(session, tz=settings_service.timezone(session)) == []


def overview(session, town, day):
    return reports.overview(session, actor=town.manager, start=day, end=day, now=APPROVED)


# --- the setting --------------------------------------------------------------------------------


def test_review_is_off_by_default_and_a_completion_is_done_at_once(session, town):
    assert settings_service.current(session)["review_required"] == 0
    assert not review.required(session)
    order = submitted(session, town)
    assert order.status == S.completed
    assert count(session, ServiceRecord) == 2


def test_the_setting_takes_only_0_or_1(session, town):
    for bad in (2, -1, True, 0.5):
        with pytest.raises(Invalid):
            settings_service.update(session, actor=town.manager, values={"review_required": bad})
    review_on(session, town)
    assert review.required(session)


# --- 待审核 counts nothing ------------------------------------------------------------------------


def test_with_review_on_a_completion_waits_and_writes_nothing_that_counts(session, town):
    review_on(session, town)
    order = submitted(session, town)
    assert order.status == S.in_review
    assert order.completed_at is None and order.actual_beneficiaries is None
    assert count(session, ServiceRecord) == count(session, OrderBeneficiary) == 0
    assert count(session, PointsEntry) == 0
    event = session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id)
                         .order_by(OrderEvent.id.desc())).first()
    assert (event.action, event.from_status, event.to_status) == ("submit", S.accepted,
                                                                 S.in_review)
    assert event.note == "顺利完成"
    assert event.detail == {"groups": {"elderly": 10, "general": 5},
                            "hours": {str(town.volunteers_a[0]): 2.0,
                                      str(town.volunteers_a[1]): 3.5}}
    tiles = overview(session, town, date(2026, 3, 31))
    assert (tiles["done"], tiles["beneficiaries"], tiles["hours"],
            tiles["active_volunteers"]) == (0, 0, 0, 0)
    no_rollup_differences(session)


def test_a_waiting_order_is_not_overdue_cancellable_or_correctable(session, town):
    review_on(session, town)
    order = submitted(session, town, due_on=date(2026, 3, 31))
    with pytest.raises(OrderNotInState):
        orders.cancel(session, actor=town.manager, order_id=order.id, reason="重复")
    assert completions.correctable_until(session, actor=town.lead_a, order_id=order.id) is None
    late = datetime(2026, 5, 1, tzinfo=UTC)
    assert overview(session, town, date(2026, 3, 31))["overdue"] == 0
    assert reports.overview(session, actor=town.manager, start=DUE, end=DUE,
                            now=late)["overdue"] == 0


def test_a_waiting_order_keeps_its_site_from_being_deactivated(session, town):
    review_on(session, town)
    submitted(session, town)
    assert sites.open_orders_below(session, "/") >= 1


# --- approval -------------------------------------------------------------------------------


def test_approval_makes_it_done_as_of_the_teams_submission(session, town):
    review_on(session, town)
    order = submitted(session, town)
    done = review.approve(session, actor=town.manager, order_id=order.id, now=APPROVED)
    assert done.status == S.completed
    assert rollups.aware(done.completed_at) == SUBMITTED
    assert rollups.aware(done.reviewed_at) == APPROVED
    assert done.actual_beneficiaries == 15 and done.completion_note == "顺利完成"
    served = session.exec(select(ServiceRecord.volunteer_id, ServiceRecord.hours,
                                 ServiceRecord.served_at)).all()
    assert sorted((v, h) for v, h, _ in served) == sorted(
        [(town.volunteers_a[0], 2.0), (town.volunteers_a[1], 3.5)])
    assert {rollups.aware(at) for _, _, at in served} == {SUBMITTED}
    groups = dict(session.exec(select(OrderBeneficiary.group, OrderBeneficiary.count)).all())
    assert {g.value: n for g, n in groups.items()} == {"elderly": 10, "general": 5}
    event = session.exec(select(OrderEvent).order_by(OrderEvent.id.desc())).first()
    assert (event.action, event.actor_id, rollups.aware(event.at)) == (
        "approve", town.manager.id, APPROVED)
    no_rollup_differences(session)


def test_figures_count_an_approved_order_on_the_local_day_the_team_submitted_it(session, town):
    """Submitted 23:30 Beijing on 31 March (the due day), approved 09:00 on 1 April: done on
    31 March, on time, in March's figures; 1 April shows nothing."""
    review_on(session, town)
    order = submitted(session, town)
    before = evaluation.teams(session, actor=town.leader, period=MARCH, now=APPROVED)
    row = next(r for r in before.rows if r["key"] == town.team_a)
    assert (row["due"], row["done"], row["on_time"]) == (1, 0, 0)

    review.approve(session, actor=town.manager, order_id=order.id, now=APPROVED)
    tiles = overview(session, town, date(2026, 3, 31))
    assert (tiles["done"], tiles["beneficiaries"], tiles["hours"],
            tiles["active_volunteers"]) == (1, 15, HOURS, 2)
    assert overview(session, town, date(2026, 4, 1))["done"] == 0
    after = evaluation.teams(session, actor=town.leader, period=MARCH, now=APPROVED)
    row = next(r for r in after.rows if r["key"] == town.team_a)
    assert (row["due"], row["done"], row["on_time"], row["first_time"]) == (1, 1, 1, 1)
    assert row["beneficiaries"] == 15
    no_rollup_differences(session)


def test_points_are_credited_on_approval_at_the_approval_time(session, town):
    review_on(session, town)
    order = submitted(session, town)
    v0, v1 = town.volunteers_a[:2]
    assert points.balances(session, [v0, v1]) == {}
    review.approve(session, actor=town.manager, order_id=order.id, now=APPROVED)
    assert points.balances(session, [v0, v1]) == {v0: 20, v1: 35}
    ats = {rollups.aware(a) for a in session.exec(select(PointsEntry.at)).all()}
    assert ats == {APPROVED}


def test_the_volunteer_record_counts_hours_only_once_approved(session, town):
    review_on(session, town)
    order = submitted(session, town)
    v0 = town.volunteers_a[0]
    assert session.get(VolunteerStars, v0) is None
    record = volunteer_records.record(session, actor=town.manager, volunteer_id=v0)
    assert record["hours"] == 0 and record["service"] == [] and record["points"]["balance"] == 0
    review.approve(session, actor=town.manager, order_id=order.id, now=APPROVED)
    record = volunteer_records.record(session, actor=town.manager, volunteer_id=v0)
    assert record["hours"] == 2 and len(record["service"]) == 1
    assert session.get(VolunteerStars, v0) is not None  # 星级 moments kept on approval
    assert record["points"]["balance"] == 20


def test_a_rating_link_is_refused_while_waiting_and_issued_after_approval(session, town):
    review_on(session, town)
    order = submitted(session, town)
    with pytest.raises(Invalid) as err:
        rating_links.issue(session, actor=town.lead_a, order_id=order.id, now=APPROVED)
    assert err.value.key == "error.rating_link_not_completed"
    review.approve(session, actor=town.manager, order_id=order.id, now=APPROVED)
    issued = rating_links.issue(session, actor=town.lead_a, order_id=order.id, now=APPROVED)
    assert issued.order_id == order.id


def test_turning_review_off_leaves_waiting_orders_to_be_decided(session, town):
    review_on(session, town)
    order = submitted(session, town)
    review_on(session, town, on=False)
    assert review.waiting_count(session, actor=town.manager) == 1
    assert review.approve(session, actor=town.manager, order_id=order.id,
                          now=APPROVED).status == S.completed


# --- return to the team -------------------------------------------------------------------


def test_a_return_needs_a_reason_and_writes_nothing_without_one(session, town):
    review_on(session, town)
    order = submitted(session, town)
    events = count(session, OrderEvent)
    for blank in ("", "   "):
        with pytest.raises(Invalid) as err:
            review.send_back(session, actor=town.manager, order_id=order.id, reason=blank)
        assert err.value.params.get("field") == "return_reason"
    assert count(session, OrderEvent) == events
    assert session.get(WorkOrder, order.id, populate_existing=True).status == S.in_review


def test_a_returned_report_is_corrected_and_resubmitted_and_only_the_new_one_counts(
        session, town):
    review_on(session, town)
    order = submitted(session, town)
    back = review.send_back(session, actor=town.manager, order_id=order.id,
                            reason=" 受益人数与签到表不符 ", now=APPROVED)
    assert back.status == S.accepted
    assert (back.return_reason, back.return_count) == ("受益人数与签到表不符", 1)
    assert count(session, ServiceRecord) == count(session, PointsEntry) == 0
    event = session.exec(select(OrderEvent).order_by(OrderEvent.id.desc())).first()
    assert (event.action, event.note, event.to_status) == ("send_back", "受益人数与签到表不符",
                                                          S.accepted)
    again = APPROVED + H
    fixed = completions.Completion(beneficiaries={"elderly": 8},
                                   hours={town.volunteers_a[0]: 1.5}, note="已按签到表更正")
    completions.complete(session, actor=town.lead_a, order_id=order.id, done=fixed, now=again)
    done = review.approve(session, actor=town.manager, order_id=order.id, now=again + H)
    assert rollups.aware(done.completed_at) == again
    assert done.actual_beneficiaries == 8 and done.completion_note == "已按签到表更正"
    assert session.exec(select(ServiceRecord.volunteer_id, ServiceRecord.hours)).all() == [
        (town.volunteers_a[0], 1.5)]
    assert points.balances(session, [town.volunteers_a[0]]) == {town.volunteers_a[0]: 15}
    no_rollup_differences(session)


def test_the_lead_gets_the_returned_report_back_to_correct_and_nobody_else(session, town):
    review_on(session, town)
    order = submitted(session, town)
    assert review.returned_report(session, actor=town.lead_a, order_id=order.id) is None
    review.send_back(session, actor=town.manager, order_id=order.id, reason="请核对")
    back = review.returned_report(session, actor=town.lead_a, order_id=order.id)
    assert back["beneficiaries"] == {"elderly": 10, "general": 5}
    assert back["order"] == {"completion_note": "顺利完成"}
    assert sorted((r["volunteer_id"], r["hours"]) for r in back["service"]) == sorted(
        [(town.volunteers_a[0], 2.0), (town.volunteers_a[1], 3.5)])
    for other in (town.lead_b, town.manager):
        with pytest.raises(Forbidden):
            review.returned_report(session, actor=other, order_id=order.id)


def test_a_returned_order_is_not_a_first_time_resolution(session, town):
    review_on(session, town)
    order = submitted(session, town, at=datetime(2026, 3, 30, 2, tzinfo=UTC))
    review.send_back(session, actor=town.manager, order_id=order.id, reason="请补充照片",
                     now=datetime(2026, 3, 30, 3, tzinfo=UTC))
    completions.complete(session, actor=town.lead_a, order_id=order.id,
                         done=good_completion(town), now=datetime(2026, 3, 30, 4, tzinfo=UTC))
    review.approve(session, actor=town.manager, order_id=order.id,
                   now=datetime(2026, 3, 30, 5, tzinfo=UTC))
    table = evaluation.teams(session, actor=town.leader, period=MARCH, now=APPROVED)
    row = next(r for r in table.rows if r["key"] == town.team_a)
    assert (row["done"], row["first_time"]) == (1, 0)


# --- who, where, which state ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["lead_a", "officer", "leader"])
def test_only_managers_review(session, town, who):
    review_on(session, town)
    order = submitted(session, town)
    with pytest.raises(Forbidden):
        review.approve(session, actor=getattr(town, who), order_id=order.id)
    with pytest.raises(Forbidden):
        review.send_back(session, actor=getattr(town, who), order_id=order.id, reason="不行")
    with pytest.raises(Forbidden):
        review.queue(session, actor=getattr(town, who))


def test_a_manager_of_another_site_can_neither_decide_nor_see_it(session, town):
    review_on(session, town)
    order = submitted(session, town)
    with pytest.raises(Forbidden):
        review.approve(session, actor=town.outsider, order_id=order.id)
    with pytest.raises(Forbidden):
        review.send_back(session, actor=town.outsider, order_id=order.id, reason="不行")
    assert review.queue(session, actor=town.outsider) == []
    assert review.waiting_count(session, actor=town.outsider) == 0
    assert session.get(WorkOrder, order.id, populate_existing=True).status == S.in_review


@pytest.mark.parametrize("status", [S.accepted, S.completed, S.rated, S.cancelled])
def test_only_a_waiting_report_can_be_decided(session, town, status):
    from tests.services.steps import order_in

    order = order_in(session, town, status)
    review_on(session, town)
    for decide in (lambda: review.approve(session, actor=town.manager, order_id=order.id),
                   lambda: review.send_back(session, actor=town.manager, order_id=order.id,
                                            reason="不行")):
        with pytest.raises(OrderNotInState) as err:
            decide()
        assert err.value.params["status"] == status.value
    assert session.get(WorkOrder, order.id, populate_existing=True).version == order.version


def test_a_second_decision_is_refused_naming_who_decided_and_writes_nothing(session, town):
    review_on(session, town)
    order = submitted(session, town)
    review.approve(session, actor=town.manager, order_id=order.id, now=APPROVED)
    before = (count(session, OrderEvent), count(session, ServiceRecord),
              count(session, PointsEntry))
    for decide in (lambda: review.approve(session, actor=town.manager, order_id=order.id),
                   lambda: review.send_back(session, actor=town.manager, order_id=order.id,
                                            reason="再看看")):
        with pytest.raises(OrderNotInState) as err:
            decide()
        assert err.value.key == "error.order_state_changed"
        assert err.value.params["by"] == town.manager.display_name
    assert (count(session, OrderEvent), count(session, ServiceRecord),
            count(session, PointsEntry)) == before


def test_the_queue_shows_each_report_with_its_volunteers(session, town):
    review_on(session, town)
    first = submitted(session, town)
    second = submitted(session, town, at=SUBMITTED + H)
    review.send_back(session, actor=town.manager, order_id=second.id, reason="请补充")
    completions.complete(session, actor=town.lead_a, order_id=second.id,
                         done=good_completion(town), now=SUBMITTED + 2 * H)
    rows = review.queue(session, actor=town.manager)
    assert [r["id"] for r in rows] == [first.id, second.id]
    assert review.waiting_count(session, actor=town.manager) == 2
    row = rows[0]
    assert (row["beneficiaries"], row["hours"], row["note"], row["team"]) == (
        15, HOURS, "顺利完成", "宣讲支队")
    assert row["groups"] == {"elderly": 10, "general": 5}
    assert sorted(v["hours"] for v in row["volunteers"]) == [2.0, 3.5]
    assert all(v["name"] for v in row["volunteers"])
    assert rollups.aware(row["submitted_at"]) == SUBMITTED
    assert (rows[1]["return_count"], rows[1]["last_return_reason"]) == (1, "请补充")
    assert review.queue(session, actor=town.manager, offset=1, limit=1)[0]["id"] == second.id


# --- two managers at once -----------------------------------------------------------------


def _decide(db_url, barrier, actor, order_id, how, results, errors):
    try:
        with db.write_session(db_url) as s:
            barrier.wait(timeout=10)
            if how == "approve":
                review.approve(s, actor=actor, order_id=order_id)
            else:
                review.send_back(s, actor=actor, order_id=order_id, reason="数据有误")
        results.append((actor.display_name, how))
    except Exception as err:  # OrderNotInState is expected; anything else fails below
        errors.append(err)


@pytest.mark.parametrize("hows", [("approve", "approve"), ("approve", "send_back")])
def test_two_managers_deciding_one_report_at_once_have_exactly_one_winner(db_url, hows):
    with db.write_session(db_url) as s:
        town = build_town(s)
        second, _ = users.create(s, actor=town.manager, username="mgr2", display_name="副站长",
                                 role=Role.manager, site_id=town.station,
                                 password="correct horse")
        managers = (town.manager, users.to_actor(s, second))
        review_on(s, town)
        order_id = submitted(s, town).id
    barrier = threading.Barrier(2)
    results, errors = [], []
    run_together([threading.Thread(target=_decide, args=(db_url, barrier, m, order_id, how,
                                                         results, errors))
                  for m, how in zip(managers, hows, strict=True)], timeout=20)
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], OrderNotInState), errors
    winner, how = results[0]
    assert errors[0].params["by"] == winner
    with db.session(db_url) as s:
        row = s.get(WorkOrder, order_id)
        assert row.status == (S.completed if how == "approve" else S.accepted)
        decisions = s.exec(select(OrderEvent.action).where(
            OrderEvent.order_id == order_id,
            OrderEvent.action.in_(("approve", "send_back")))).all()
        assert decisions == [how]
        assert count(s, PointsEntry) == (2 if how == "approve" else 0)
        assert count(s, ServiceRecord) == (2 if how == "approve" else 0)
        assert rollups.check(s, tz=settings_service.timezone(s)) == []


def test_the_residents_progress_page_shows_done_and_the_rating_only_after_approval(session,
                                                                                    town):
    from services import progress_links

    review_on(session, town)
    order = accepted(session, town)
    token = progress_links.issue(session, actor=town.officer, order_id=order.id,
                                 now=SUBMITTED - H).token
    completions.complete(session, actor=town.lead_a, order_id=order.id,
                         done=good_completion(town), now=SUBMITTED)
    waiting = progress_links.view(session, token=token, now=SUBMITTED + H)
    assert waiting.status == "in_review" and not waiting.may_rate
    assert [s.at for s in waiting.steps if s.name == "completed"] == [None]
    review.approve(session, actor=town.manager, order_id=order.id, now=APPROVED)
    done = progress_links.view(session, token=token, now=APPROVED + H)
    assert done.status == "completed" and done.may_rate
    assert [s.at is not None for s in done.steps if s.name == "completed"] == [True]
