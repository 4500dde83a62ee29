"""Each order's facts kept for 绩效评价 (services/order_facts.py): every change of an order —
placement, dispatch, 退单, acceptance, completion, correction, 中心审核 sending back, 催办 by a
manager or by the resident, cancellation, 来访 — rewrites its row in that transaction; a rolled
back change leaves it as it was; a change of time zone recounts 按时; `check` names a row that
disagrees with the definition, and `rebuild` puts it right."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from models import OrderFact
from services import completions, escalation, order_facts, orders, progress_links
from services import settings as settings_service
from tests.factories import place
from tests.services.test_evaluation import flow, report

H, DAY = timedelta(hours=1), timedelta(days=1)
PLACED = datetime(2026, 3, 2, 2, tzinfo=UTC)


def fact(session, order_id: int) -> OrderFact:
    session.expire_all()
    return session.exec(select(OrderFact).where(OrderFact.order_id == order_id)).one()


def agrees(session) -> bool:
    return order_facts.check(session, tz=settings_service.timezone(session)) == []


def test_a_placed_order_has_its_row_and_each_step_moves_it(session, town):
    order = place(session, town, now=PLACED, due_on=date(2026, 3, 10))
    row = fact(session, order.id)
    assert (row.site_id, row.created_by_id, row.team_id, row.due_on) == (
        order.site_id, town.officer.id, None, date(2026, 3, 10))
    assert (row.live, row.done, row.clean, row.on_time, row.urged) == (1, 0, 1, 0, 0)
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                    now=PLACED + H)
    assert (fact(session, order.id).team_id, fact(session, order.id).dispatcher_id) == (
        town.team_a, town.manager.id)
    orders.decline(session, actor=town.lead_a, order_id=order.id, reason="人手不足",
                   now=PLACED + 2 * H)
    assert (fact(session, order.id).team_id, fact(session, order.id).clean) == (None, 0)
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_b,
                    now=PLACED + 3 * H)
    orders.accept(session, actor=town.lead_b, order_id=order.id, now=PLACED + 5 * H)
    row = fact(session, order.id)
    assert (row.team_id, row.accept_hours, row.completed_at) == (town.team_b, 2.0, None)
    completions.complete(session, actor=town.lead_b, order_id=order.id,
                         done=report(town, people=7), now=PLACED + 2 * DAY)
    row = fact(session, order.id)
    assert (row.done, row.on_time, row.beneficiaries) == (1, 1, 7)
    assert row.completed_at.replace(tzinfo=UTC) == PLACED + 2 * DAY
    assert agrees(session)


def test_a_correction_makes_a_done_order_no_longer_clean(session, town):
    order = flow(session, town, due_on=date(2026, 3, 10), placed=PLACED,
                 done_at=PLACED + DAY)
    assert fact(session, order.id).clean == 1
    completions.correct(session, actor=town.lead_a, order_id=order.id,
                        done=report(town, people=9), reason="人数记错", now=PLACED + DAY + H)
    row = fact(session, order.id)
    assert (row.clean, row.beneficiaries) == (0, 9)
    assert agrees(session)


def test_a_managers_and_a_residents_urge_mark_the_order_urged(session, town):
    late = datetime(2026, 3, 20, 2, tzinfo=UTC)
    by_manager = flow(session, town, due_on=date(2026, 3, 10), placed=PLACED,
                      accept_at=PLACED + 2 * H)
    escalation.urge(session, actor=town.manager, order_id=by_manager.id, note="请尽快办理",
                    now=late)
    assert fact(session, by_manager.id).urged == 1
    by_resident = place(session, town, now=PLACED, due_on=date(2026, 3, 10))
    token = progress_links.issue(session, actor=town.officer, order_id=by_resident.id,
                                 now=PLACED + H).token
    progress_links.urge(session, token=token, order_id=by_resident.id, now=late)
    assert fact(session, by_resident.id).urged == 1
    assert agrees(session)


def test_a_cancelled_order_is_no_longer_live(session, town):
    order = flow(session, town, due_on=date(2026, 3, 10), placed=PLACED,
                 cancel_at=PLACED + 20 * DAY)
    row = fact(session, order.id)
    assert (row.live, row.done) == (0, 0)
    assert row.accepted_at is not None  # its acceptance still counts where it happened
    assert agrees(session)


def test_a_rolled_back_change_leaves_the_row_as_it_was(session, town):
    order = flow(session, town, due_on=date(2026, 3, 10), placed=PLACED)
    before = fact(session, order.id).model_dump()
    orders.transition(session, orders.load(session, order.id), actor=town.lead_a,
                      action="accept", now=PLACED + 2 * H, values={"accepted_at": PLACED + 2 * H})
    assert fact(session, order.id).accepted_at is not None  # written in the transaction …
    session.rollback()
    assert fact(session, order.id).model_dump() == before  # … and gone with it
    assert agrees(session)


def test_a_new_time_zone_recounts_on_time_by_its_local_day(session, town):
    # done 31 March 16:30 UTC: 1 April 00:30 in Beijing (late), 31 March 22:00 in Kolkata
    order = flow(session, town, due_on=date(2026, 3, 31), placed=PLACED,
                 done_at=datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    assert fact(session, order.id).on_time == 0
    settings_service.update(session, actor=town.manager, values={"timezone": "Asia/Kolkata"})
    assert fact(session, order.id).on_time == 1
    assert agrees(session)


def test_check_names_a_wrong_or_missing_row_and_rebuild_puts_it_right(session, town):
    first = flow(session, town, due_on=date(2026, 3, 10), placed=PLACED, done_at=PLACED + DAY)
    second = place(session, town, now=PLACED, due_on=date(2026, 3, 12))
    row = fact(session, first.id)
    row.on_time = 0
    session.add(row)
    session.delete(fact(session, second.id))
    session.commit()
    tz = settings_service.timezone(session)
    assert order_facts.check(session, tz=tz) == [(first.id, "on_time", 0, 1),
                                                 (second.id, "row", None, "rule")]
    assert order_facts.rebuild(session, tz=tz) == 2
    session.commit()
    assert agrees(session)
    assert fact(session, first.id).on_time == 1


def test_a_service_record_carries_its_orders_team_and_check_names_a_wrong_copy(session, town):
    """The volunteers who served per team (a county's 志愿服务队 table) read each record's copy
    of its order's team: written with the record, kept through a correction, checked, and
    copied again by the rebuild."""
    from models import ServiceRecord

    order = flow(session, town, due_on=date(2026, 3, 10), placed=PLACED, done_at=PLACED + DAY,
                 team="b")
    completions.correct(session, actor=town.lead_b, order_id=order.id,
                        done=report(town, people=4), reason="人数记错", now=PLACED + DAY + H)

    def records():
        session.expire_all()
        return session.exec(select(ServiceRecord).where(ServiceRecord.order_id == order.id)).all()

    assert records() and {r.team_id for r in records()} == {town.team_b}
    assert agrees(session)
    wrong = records()[0]
    wrong.team_id = town.team_a
    session.add(wrong)
    session.commit()
    assert order_facts.check(session, tz=settings_service.timezone(session)) == [
        (order.id, "servicerecord.team_id", town.team_a, town.team_b)]
    order_facts.rebuild_record_teams(session)
    session.commit()
    assert agrees(session) and {r.team_id for r in records()} == {town.team_b}
