"""The order list's SQL tricks (two-step urgent sort, exact code search, scope without a join)
return exactly what the plain definitions say."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from models import WorkOrder
from services import order_queries, sla
from services import settings as settings_service
from tests.services.steps import T0, S, order_in

NOW = T0 + timedelta(days=20)


@pytest.fixture
def mixed(session, town):
    """Thirty orders in assorted states, placed over three weeks with assorted due dates."""
    rng = random.Random(5)
    states = [S.submitted, S.dispatched, S.accepted, S.completed, S.rated, S.cancelled]
    for i in range(30):
        at = T0 + timedelta(days=rng.randint(0, 19), hours=rng.randint(0, 12))
        due = (at + timedelta(days=rng.randint(0, 12))).date()
        order_in(session, town, rng.choice(states), at=at, due_on=due, title=f"工单{i}",
                 site_id=rng.choice([town.village_a, town.village_b]))
    return town


def expected_urgent(session) -> list[int]:
    values = settings_service.current(session)
    kind = sla.overdue_kind(NOW, values)
    rows = session.exec(select(WorkOrder.id, kind, WorkOrder.due_on, WorkOrder.submitted_at)).all()
    return [i for i, k, due, at in sorted(rows, key=lambda r: (r[1] is None, r[2], r[3], r[0]))]


@pytest.mark.parametrize("limit", [1, 4, 7, 50])
def test_the_urgent_sort_pages_through_overdue_orders_first_then_by_due_date(session, mixed,
                                                                             limit):
    want = expected_urgent(session)
    assert any(k for k in want)  # some orders exist
    got = []
    for offset in range(0, len(want) + limit, limit):
        rows, total = order_queries.page(session, actor=mixed.manager, offset=offset, limit=limit,
                                         sort="urgent", now=NOW)
        assert total == len(want)
        got += [r["id"] for r in rows]
    assert got == want


def test_the_overdue_filter_finds_exactly_the_orders_with_an_overdue_kind(session, mixed):
    values = settings_service.current(session)
    kind = sla.overdue_kind(NOW, values)
    want = {i for i, k in session.exec(select(WorkOrder.id, kind)).all() if k}
    assert want
    rows, total = order_queries.page(session, actor=mixed.manager, limit=100, now=NOW,
                              flt=order_queries.OrderFilter(overdue_only=True))
    assert {r["id"] for r in rows} == want and total == len(want)


def test_a_whole_code_finds_its_order_and_a_fragment_finds_all_that_contain_it(session, mixed):
    one = session.exec(select(WorkOrder).order_by(WorkOrder.id).limit(1)).one()
    rows, total = order_queries.page(session, actor=mixed.manager, now=NOW,
                              flt=order_queries.OrderFilter(search=one.code.lower()))
    assert total == 1 and rows[0]["id"] == one.id
    rows, total = order_queries.page(session, actor=mixed.manager, limit=100, now=NOW,
                              flt=order_queries.OrderFilter(search="工单1"))
    assert total == 11  # 工单1 and 工单10 … 工单19


def _contains(order: WorkOrder, text: str) -> bool:
    """The definition: the code or the title contains the text, ASCII letters folded (LIKE's
    case rule), `%` and `_` literal."""
    fold = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    text = text.strip().translate(fold)
    return any(text in (f or "").translate(fold) for f in (order.code, order.title))


@pytest.mark.parametrize("text", [
    "工", "1", "单2", "工单1", "工单19", "单19", "dd-", "DD-20", "-0000", "0001", "00010",
    "9工", "工单1工", "单%", "%", "_", "工单_", "a", "zz", " 工单3 ", "工单29x"])
@pytest.mark.parametrize("walk_over", [2000, 0])  # matches sorted, or the sort's index walked
def test_a_search_finds_exactly_the_orders_whose_code_or_title_contain_the_text(
        session, mixed, text, walk_over, monkeypatch):
    monkeypatch.setattr(order_queries, "_WALK_OVER", walk_over)
    orders = session.exec(select(WorkOrder)).all()
    want = {o.id for o in orders if _contains(o, text)}
    for actor in (mixed.manager, mixed.officer):  # the whole town, a scope
        seen = {r["id"] for r in order_queries.page(session, actor=actor, limit=100, now=NOW)[0]}
        for sort in ("newest", "urgent"):
            rows, total = order_queries.page(session, actor=actor, limit=100, now=NOW,
                                             sort=sort, flt=order_queries.OrderFilter(search=text))
            assert {r["id"] for r in rows} == want & seen and total == len(want & seen)


def test_the_search_index_follows_a_changed_title_and_a_removed_order(session, mixed):
    one, two = session.exec(select(WorkOrder).order_by(WorkOrder.id).limit(2)).all()
    one.title = "上门理发"
    session.add(one)
    session.commit()
    find = lambda text: {r["id"] for r in order_queries.page(  # noqa: E731
        session, actor=mixed.manager, limit=100, now=NOW,
        flt=order_queries.OrderFilter(search=text))[0]}
    assert find("理发") == {one.id} and one.id not in find("工单")
    for table, column in (("orderevent", "order_id"), ("orderbeneficiary", "order_id"),
                          ("servicerecord", "order_id"), ("rating", "order_id"),
                          ("orderfact", "order_id")):
        session.exec(text(f"DELETE FROM {table} WHERE {column} = :i").bindparams(i=two.id))
    session.exec(text("DELETE FROM workorder WHERE id = :i").bindparams(i=two.id))
    session.commit()
    assert two.id not in find(two.title) and two.id not in find(two.code[-6:])


def test_a_village_filter_and_the_station_scope_agree_with_the_site_tree(session, mixed):
    all_rows, total = order_queries.page(session, actor=mixed.manager, limit=100, now=NOW)
    a, n_a = order_queries.page(session, actor=mixed.manager, limit=100, now=NOW,
                         flt=order_queries.OrderFilter(site_id=mixed.village_a))
    b, n_b = order_queries.page(session, actor=mixed.manager, limit=100, now=NOW,
                         flt=order_queries.OrderFilter(site_id=mixed.village_b))
    assert n_a and n_b and n_a + n_b == total == 30
    assert {r["site"] for r in a} == {"东村"} and {r["site"] for r in b} == {"西村"}
    assert order_queries.page(session, actor=mixed.outsider, now=NOW)[1] == 0
    stray = replace(mixed.manager, site_path="/999/")  # a top-level path that is not the root
    assert order_queries.page(session, actor=stray, now=NOW)[1] == 0


def test_the_manager_at_the_root_sees_every_station_and_the_overview_counts_them(session, mixed):
    from services import reports, users
    from tests.factories import place

    place(session, mixed, actor=mixed.outsider, site_id=mixed.other_station, now=NOW)
    boss = users.to_actor(session, users.by_username(session, "boss"))
    assert boss.site_path.count("/") == 2
    assert order_queries.page(session, actor=boss, now=NOW)[1] == 31
    assert order_queries.page(session, actor=mixed.manager, now=NOW)[1] == 30
    day = NOW.date()
    assert reports.overview(session, actor=boss, start=day, end=day, now=NOW)["placed"] == 1
    assert reports.overview(session, actor=mixed.manager, start=day, end=day,
                            now=NOW)["placed"] == 0


def test_the_overdue_list_narrows_to_one_step(session, town):
    from services.errors import Invalid

    late_dispatch = order_in(session, town, S.submitted)
    late_accept = order_in(session, town, S.dispatched)
    on_time = order_in(session, town, S.submitted, at=T0 + timedelta(days=3))
    now = T0 + timedelta(days=3, hours=12)   # 1 day to dispatch, 2 to accept; due in 7

    def codes(kind):
        rows, _ = order_queries.page(session, actor=town.manager, now=now,
                              flt=order_queries.OrderFilter(overdue_only=True, overdue_kind=kind))
        return {r["code"] for r in rows}

    assert codes(None) == {late_dispatch.code, late_accept.code}
    assert codes("dispatch") == {late_dispatch.code}
    assert codes("accept") == {late_accept.code}
    assert codes("due") == set() and on_time.code not in codes(None)
    with pytest.raises(Invalid):
        codes("tomorrow")
