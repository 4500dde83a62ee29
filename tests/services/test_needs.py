"""需求调查 and the needs board: recording a visit, turning needs into one order, the need's
state following its order, closing a need as not feasible, and who may do what where."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from models import Need, NeedStatus, OrderSource, Survey, WorkOrder
from services import catalog, completions, needs, orders, ratings, surveys
from services.errors import Forbidden, Invalid, NotFound
from services.surveys import NeedInput
from tests.services.steps import T0, S, count, good_completion

DAY = date(2026, 3, 1)  # the day before T0, local


def visit(session, town, *lines, village=None, actor=None, respondent="李大娘家", people=3,
          day=DAY):
    """A survey of the test town with needs given as (category, priority, text[, item])."""
    lines = lines or ((town.category, "hear", "想听防诈骗讲座"),)
    return surveys.record(
        session, actor=actor or town.officer, site_id=village or town.village_a,
        surveyed_on=day, respondent=respondent, people_covered=people,
        needs=[NeedInput(category_id=c, priority=p, text=t, item_id=(i[0] if i else None))
               for c, p, t, *i in lines], now=T0)


def need_ids(session, survey) -> list[int]:
    return list(session.exec(select(Need.id).where(Need.survey_id == survey.id)
                             .order_by(Need.id)))


def shown_state(session, town, need_id) -> str:
    rows, _ = needs.page(session, actor=town.manager, flt=needs.NeedFilter(states=()))
    return next(r["state"] for r in rows if r["id"] == need_id)


# --- recording a survey ---------------------------------------------------------------------


def test_an_officer_records_a_visit_with_two_needs_in_one_go(session, town):
    survey = visit(session, town, (town.category, "hear", "想听防诈骗讲座"),
                   (town.other_category, "get", "希望有人上门量血压"))
    saved = session.get(Survey, survey.id)
    assert (saved.officer_id, saved.site_id, saved.surveyed_on, saved.people_covered) == (
        town.officer.id, town.village_a, DAY, 3)
    lines = session.exec(select(Need).where(Need.survey_id == survey.id).order_by(Need.id)).all()
    assert [(n.priority.value, n.text, n.status) for n in lines] == [
        ("hear", "想听防诈骗讲座", NeedStatus.open), ("get", "希望有人上门量血压", NeedStatus.open)]


@pytest.mark.parametrize("change,key", [
    ({"needs": []}, "error.needs_required"),
    ({"respondent": "  "}, "error.required"),
    ({"respondent": "户" * 61}, "error.too_long"),
    ({"people_covered": 0}, "error.number_range"),
    ({"people_covered": "2.5"}, "error.number"),
    ({"surveyed_on": None}, "error.survey_date"),
    ({"surveyed_on": DAY + timedelta(days=2)}, "error.survey_date_future"),
    ({"site_id": None}, "error.site_required"),
    ({"needs": [NeedInput(category_id=None, priority="hear", text="x")]},
     "error.category_required"),
    ({"needs": [NeedInput(category_id=1, priority="loud", text="x")]}, "error.priority"),
    ({"needs": [NeedInput(category_id=1, priority="hear", text="")]}, "error.required"),
    ({"needs": [NeedInput(category_id=1, priority="hear", text="x" * 501)]}, "error.too_long"),
])
def test_a_bad_visit_is_refused_and_writes_nothing(session, town, change, key):
    args = {"actor": town.officer, "site_id": town.village_a, "surveyed_on": DAY,
            "respondent": "李家", "people_covered": 2,
            "needs": [NeedInput(category_id=town.category, priority="hear", text="想听讲座")],
            "now": T0}
    args.update(change)
    with pytest.raises(Invalid) as err:
        surveys.record(session, **args)
    assert err.value.key == key
    session.rollback()
    assert (count(session, Survey), count(session, Need)) == (0, 0)


def test_a_need_may_name_a_menu_item_of_its_category_and_then_needs_no_words(session, town):
    item = catalog.create_item(session, actor=town.manager, title="防诈骗讲座",
                               category_id=town.category)
    survey = visit(session, town, (town.category, "hear", "", item.id))
    assert session.exec(select(Need.item_id).where(Need.survey_id == survey.id)).one() == item.id
    with pytest.raises(Invalid) as err:
        visit(session, town, (town.other_category, "hear", "", item.id))
    assert err.value.key == "error.item_category"


def test_surveys_are_recorded_only_by_officers_and_managers_within_their_sites(session, town):
    for actor in (town.lead_a, town.leader):
        with pytest.raises(Forbidden):
            visit(session, town, actor=actor)
    with pytest.raises(Forbidden):
        visit(session, town, actor=town.outsider)
    assert count(session, Survey) == 0


def test_the_survey_list_filters_by_village_officer_category_and_dates(session, town):
    a = visit(session, town, day=DAY - timedelta(days=10))
    b = visit(session, town, (town.other_category, "see", "想看健身操"), village=town.village_b)
    c = visit(session, town, actor=town.manager, respondent="敬老院", people=30)

    def ids(**flt):
        rows, total = surveys.page(session, actor=town.manager, flt=surveys.SurveyFilter(**flt))
        assert total == len(rows)
        return [r["id"] for r in rows]

    assert ids() == [c.id, b.id, a.id]  # newest visit first
    assert ids(site_id=town.village_b) == [b.id]
    assert ids(site_id=town.station) == [c.id, b.id, a.id]
    assert ids(officer_id=town.manager.id) == [c.id]
    assert ids(category_id=town.other_category) == [b.id]
    assert ids(date_from=DAY - timedelta(days=1)) == [c.id, b.id]
    assert ids(date_to=DAY - timedelta(days=1)) == [a.id]
    rows, _ = surveys.page(session, actor=town.outsider)
    assert rows == []
    assert surveys.officers(session, actor=town.manager) == {
        town.manager.id: town.manager.display_name, town.officer.id: town.officer.display_name}


# --- from needs to an order -----------------------------------------------------------------


def test_two_similar_needs_of_one_village_become_one_prefilled_order(session, town):
    first = visit(session, town, (town.category, "hear", "想听防诈骗讲座"), people=3)
    second = visit(session, town, (town.category, "hear", "想听养老金政策"), respondent="王家",
                   people=4)
    ids = need_ids(session, first) + need_ids(session, second)
    draft = needs.draft(session, actor=town.officer, need_ids=ids)
    assert (draft["site_id"], draft["category_id"], draft["title"]) == (
        town.village_a, town.category, "想听防诈骗讲座")
    assert draft["expected_beneficiaries"] == 7 and draft["requester_name"] == "李大娘家、王家"
    assert "想听养老金政策" in draft["description"]

    order = needs.to_order(session, actor=town.officer, need_ids=ids, now=T0)
    assert (order.source, order.site_id, order.status) == (OrderSource.survey, town.village_a,
                                                           S.submitted)
    assert [n["id"] for n in needs.of_order(session, order_id=order.id)] == ids
    for need_id in ids:
        need = session.get(Need, need_id)
        assert (need.status, need.order_id) == (NeedStatus.ordered, order.id)


@pytest.mark.parametrize("second,key", [
    ("other_village", "error.needs_one_village"),
    ("other_category", "error.needs_one_category"),
])
def test_needs_of_two_villages_or_two_categories_do_not_make_one_order(session, town, second,
                                                                       key):
    first = visit(session, town)
    other = (visit(session, town, village=town.village_b) if second == "other_village"
             else visit(session, town, (town.other_category, "get", "量血压")))
    with pytest.raises(Invalid) as err:
        needs.to_order(session, actor=town.officer,
                       need_ids=need_ids(session, first) + need_ids(session, other), now=T0)
    assert err.value.key == key
    session.rollback()
    assert count(session, WorkOrder) == 0


def test_a_need_already_ordered_cannot_be_ordered_twice(session, town):
    ids = need_ids(session, visit(session, town))
    needs.to_order(session, actor=town.officer, need_ids=ids, now=T0)
    with pytest.raises(Invalid) as err:
        needs.to_order(session, actor=town.manager, need_ids=ids, now=T0)
    assert err.value.key == "error.need_not_open"
    assert count(session, WorkOrder) == 1


def test_the_needs_state_follows_its_order_to_done_and_rated(session, town):
    need_id, = need_ids(session, visit(session, town))
    assert shown_state(session, town, need_id) == "open"
    order = needs.to_order(session, actor=town.officer, need_ids=[need_id], now=T0)
    assert shown_state(session, town, need_id) == "ordered"
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a, now=T0)
    orders.accept(session, actor=town.lead_a, order_id=order.id, now=T0)
    assert shown_state(session, town, need_id) == "ordered"
    completions.complete(session, actor=town.lead_a, order_id=order.id, done=good_completion(town),
                         now=T0)
    assert shown_state(session, town, need_id) == "done"
    ratings.rate(session, actor=town.officer, order_id=order.id, level=5, now=T0)
    assert shown_state(session, town, need_id) == "rated"
    assert session.get(Need, need_id).status == NeedStatus.ordered  # stored once, never rewritten


def test_a_cancelled_order_puts_its_needs_back_on_the_board_to_be_ordered_again(session, town):
    need_id, = need_ids(session, visit(session, town))
    first = needs.to_order(session, actor=town.officer, need_ids=[need_id], now=T0)
    orders.cancel(session, actor=town.manager, order_id=first.id, reason="天气原因")
    assert shown_state(session, town, need_id) == "open"
    rows, _ = needs.page(session, actor=town.manager)  # the board's default: open needs
    # open again, and showing no order code: the cancelled order is not what it waits for
    assert [(r["id"], r["order_code"]) for r in rows] == [(need_id, "")]

    again = needs.to_order(session, actor=town.officer, need_ids=[need_id], now=T0)
    assert session.get(Need, need_id).order_id == again.id
    assert shown_state(session, town, need_id) == "ordered"


def test_the_order_form_may_change_the_prefilled_words(session, town):
    ids = need_ids(session, visit(session, town))
    order = needs.to_order(session, actor=town.officer, need_ids=ids, title="反诈宣讲进东村",
                           expected_beneficiaries=40, due_on=DAY + timedelta(days=10), now=T0)
    assert (order.title, order.expected_beneficiaries, order.due_on) == (
        "反诈宣讲进东村", 40, DAY + timedelta(days=10))


def test_closing_a_need_needs_a_reason_and_takes_it_off_the_board(session, town):
    need_id, = need_ids(session, visit(session, town))
    with pytest.raises(Invalid):
        needs.close(session, actor=town.officer, need_id=need_id, reason=" ")
    closed = needs.close(session, actor=town.officer, need_id=need_id, reason="超出服务范围")
    assert (closed.status, closed.closed_reason) == (NeedStatus.closed, "超出服务范围")
    assert needs.page(session, actor=town.manager)[1] == 0
    with pytest.raises(Invalid) as err:
        needs.to_order(session, actor=town.officer, need_ids=[need_id], now=T0)
    assert err.value.key == "error.need_not_open"
    with pytest.raises(Invalid):
        needs.close(session, actor=town.manager, need_id=need_id, reason="再关一次")


def test_an_ordered_need_cannot_be_closed(session, town):
    ids = need_ids(session, visit(session, town))
    needs.to_order(session, actor=town.officer, need_ids=ids, now=T0)
    with pytest.raises(Invalid) as err:
        needs.close(session, actor=town.manager, need_id=ids[0], reason="不做了")
    assert err.value.key == "error.need_not_open"


@pytest.mark.parametrize("who", ["leader", "lead_a"])
def test_leaders_and_team_leads_cannot_order_or_close_needs(session, town, who):
    ids = need_ids(session, visit(session, town))
    with pytest.raises(Forbidden):
        needs.to_order(session, actor=getattr(town, who), need_ids=ids, now=T0)
    with pytest.raises(Forbidden):
        needs.close(session, actor=getattr(town, who), need_id=ids[0], reason="不做")


def test_a_manager_of_another_station_does_not_see_the_towns_needs(session, town):
    ids = need_ids(session, visit(session, town))
    with pytest.raises(NotFound):
        needs.close(session, actor=town.outsider, need_id=ids[0], reason="不归我管")
    assert needs.page(session, actor=town.outsider)[1] == 0
    assert needs.heat(session, actor=town.outsider).empty
    assert session.get(Need, ids[0]).status == NeedStatus.open


def test_the_heat_map_counts_open_needs_per_village_and_category(session, town):
    visit(session, town, (town.category, "hear", "a"), (town.category, "see", "b"),
          (town.other_category, "get", "c"))
    visit(session, town, village=town.village_b)
    done = need_ids(session, visit(session, town))
    needs.close(session, actor=town.officer, need_id=done[0], reason="已解决")
    heat = needs.heat(session, actor=town.leader)
    got = {(r.village, r.category, r.needs) for r in heat.itertuples()}
    assert got == {("东村", "理论宣讲", 2), ("东村", "健康促进与体育服务", 1),
                   ("西村", "理论宣讲", 1)}
    heat = needs.heat(session, actor=town.leader, flt=needs.NeedFilter(states=("closed",)))
    assert list(heat["needs"]) == [1]
