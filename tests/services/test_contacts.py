"""户 and 户联系: the household register and who sees its personal data, pairing rules, visits
with needs, the overdue list with an injected clock, and coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from models import ContactPair, ContactVisit, Gender, Household, Need, Survey
from services import contacts, households, needs, settings, surveys, volunteers
from services.contacts import VisitInput
from services.errors import Duplicate, Forbidden, Invalid, NotFound
from services.households import HouseholdFilter, HouseholdInput

# 2026-06-30 12:00 in Beijing
NOW = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)


def _household(session, town, head="王大伯", address="东村一组 3 号", phone="13900000001",
               site=None, tags=()):
    return households.create(session, actor=town.officer, raw=HouseholdInput(
        site_id=site or town.village_a, head_name=head, address=address, phone=phone, people=3,
        tag_ids=tags))


def _member(session, town, name="党员甲", phone="13700000001", party=True, site=None):
    return volunteers.create(session, actor=town.manager, name=name, phone=phone,
                             gender=Gender.male, site_id=site or town.village_a,
                             party_member=party, registered_on=date(2025, 1, 1))


def _tag(session, name):
    return next(t.id for t in households.tags(session) if t.name == name)


# --- the register -------------------------------------------------------------------------------


def test_an_officer_registers_a_household_with_tags_and_the_list_shows_it(session, town):
    tag = _tag(session, "空巢老人")
    h = _household(session, town, tags=(tag,))
    rows, total = households.page(session, actor=town.officer)
    assert total == 1
    assert rows[0]["id"] == h.id and rows[0]["tags"] == ["空巢老人"]
    assert rows[0]["phone"] == "13900000001" and rows[0]["address"] == "东村一组 3 号"


def test_the_default_tags_come_with_the_database(session):
    names = [t.name for t in households.tags(session)]
    assert {"困难家庭", "空巢老人", "留守儿童", "残障", "低保"} <= set(names)


@pytest.mark.parametrize("change, key", [
    ({"head_name": " "}, "error.required"),
    ({"address": ""}, "error.required"),
    ({"phone": "12345"}, "error.phone_format"),
    ({"people": 0}, "error.number_range"),
    ({"people": 2.5}, "error.number"),
    ({"tag_ids": (99999,)}, "error.household_tag"),
])
def test_bad_household_input_is_refused_and_nothing_is_written(session, town, change, key):
    raw = {"site_id": town.village_a, "head_name": "李婶", "address": "西头 5 号", "phone": "",
           "people": 2}
    raw.update(change)
    with pytest.raises(Invalid) as err:
        households.create(session, actor=town.officer, raw=HouseholdInput(**raw))
    assert err.value.key == key
    session.rollback()
    assert session.exec(select(Household)).all() == []


def test_a_household_belongs_to_a_village_not_to_a_station(session, town):
    with pytest.raises(Invalid) as err:
        households.create(session, actor=town.officer, raw=HouseholdInput(
            site_id=town.station, head_name="李婶", address="镇上", people=2))
    assert err.value.key == "error.household_village"


def test_the_same_head_at_the_same_address_is_a_duplicate(session, town):
    _household(session, town)
    with pytest.raises(Duplicate):
        _household(session, town, phone="")


def test_another_sites_manager_cannot_register_or_see_our_households(session, town):
    h = _household(session, town)
    with pytest.raises(Forbidden):
        households.create(session, actor=town.outsider, raw=HouseholdInput(
            site_id=town.village_a, head_name="外人", address="某处", people=1))
    assert households.page(session, actor=town.outsider) == ([], 0)
    with pytest.raises(NotFound):
        households.detail(session, actor=town.outsider, household_id=h.id)


def test_a_leader_sees_households_but_not_their_phones_or_addresses(session, town):
    _household(session, town)
    (row,), _ = households.page(session, actor=town.leader)
    assert row["head_name"] == "王大伯"
    assert row["phone"] == "" and row["address"] == ""


def test_a_retired_tag_cannot_be_given_but_stays_on_a_household_that_has_it(session, town):
    tag = _tag(session, "低保")
    h = _household(session, town, tags=(tag,))
    households.set_tag_active(session, actor=town.manager, tag_id=tag, active=False)
    with pytest.raises(Invalid):
        _household(session, town, head="新户", tags=(tag,))
    households.update(session, actor=town.officer, household_id=h.id, raw=HouseholdInput(
        site_id=town.village_a, head_name="王大伯", address="东村一组 3 号", people=4,
        tag_ids=(tag,)))
    assert households.detail(session, actor=town.officer, household_id=h.id)["tags"] == ["低保"]


def test_the_list_filters_by_tag_and_search(session, town):
    tag = _tag(session, "留守儿童")
    _household(session, town, head="张家", address="北街 1 号", tags=(tag,))
    _household(session, town, head="李家", address="南街 2 号")
    assert households.page(session, actor=town.officer,
                           flt=HouseholdFilter(tag_id=tag))[1] == 1
    rows, total = households.page(session, actor=town.officer,
                                  flt=HouseholdFilter(search="南街"))
    assert total == 1 and rows[0]["head_name"] == "李家"


def test_only_managers_manage_the_tag_list(session, town):
    with pytest.raises(Forbidden):
        households.add_tag(session, actor=town.officer, name="新标签")
    tag = households.add_tag(session, actor=town.manager, name="退役军人")
    assert tag.name in [t.name for t in households.tags(session)]
    with pytest.raises(Duplicate):
        households.add_tag(session, actor=town.manager, name="退役军人")


# --- pairing ---------------------------------------------------------------------------------


def test_a_manager_pairs_a_member_with_two_households_and_the_lists_follow(session, town):
    member = _member(session, town)
    a = _household(session, town, head="甲户", address="1 号")
    b = _household(session, town, head="乙户", address="2 号")
    c = _household(session, town, head="丙户", address="3 号")
    for h in (a, b):
        contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=member.id,
                      now=NOW)
    rows, total = contacts.unpaired(session, actor=town.manager)
    assert total == 1 and rows[0]["id"] == c.id
    (m,) = [m for m in contacts.members(session, actor=town.manager) if m["id"] == member.id]
    assert m["households"] == 2 and m["below_target"]  # the default target is 3
    contacts.pair(session, actor=town.manager, household_id=c.id, volunteer_id=member.id, now=NOW)
    assert member.id not in {m["id"] for m in contacts.below_target(session, actor=town.manager)}


def test_the_target_is_a_setting(session, town):
    member = _member(session, town)
    h = _household(session, town)
    contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=member.id, now=NOW)
    settings.update(session, actor=town.manager, values={"contact_households_target": 1})
    assert member.id not in {m["id"] for m in contacts.below_target(session, actor=town.manager)}


def test_a_non_party_member_cannot_be_a_household_contact(session, town):
    h = _household(session, town)
    with pytest.raises(Invalid) as err:
        contacts.pair(session, actor=town.manager, household_id=h.id,
                      volunteer_id=town.volunteers_a[0], now=NOW)
    assert err.value.key == "error.contact_not_party_member"
    assert session.exec(select(ContactPair)).all() == []


def test_a_household_paired_twice_to_the_same_member_is_refused(session, town):
    member = _member(session, town)
    h = _household(session, town)
    contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=member.id, now=NOW)
    with pytest.raises(Duplicate) as err:
        contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=member.id,
                      now=NOW)
    assert err.value.key == "error.contact_same_pair"


def test_a_household_has_one_contact_member_until_the_pair_is_ended(session, town):
    first, second = _member(session, town), _member(session, town, "党员乙", "13700000002")
    h = _household(session, town)
    p = contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=first.id,
                      started_on=date(2026, 1, 1), now=NOW)
    with pytest.raises(Invalid) as err:
        contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=second.id,
                      now=NOW)
    assert err.value.key == "error.household_has_contact"
    with pytest.raises(Invalid) as err:
        contacts.end(session, actor=town.manager, pair_id=p.id, reason="", now=NOW)
    assert err.value.key == "error.required"
    contacts.end(session, actor=town.manager, pair_id=p.id, reason="党员调离", now=NOW)
    contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=second.id, now=NOW)
    history = contacts.history(session, actor=town.manager, household_id=h.id)
    assert [(r["member"], r["end_reason"]) for r in history] == [("党员乙", ""),
                                                                 ("党员甲", "党员调离")]
    with pytest.raises(Invalid) as err:
        contacts.end(session, actor=town.manager, pair_id=p.id, reason="再次", now=NOW)
    assert err.value.key == "error.contact_already_ended"


def test_a_pair_cannot_end_before_it_started_or_start_in_the_future(session, town):
    member = _member(session, town)
    h = _household(session, town)
    with pytest.raises(Invalid) as err:
        contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=member.id,
                      started_on=date(2026, 7, 1), now=NOW)
    assert err.value.key == "error.contact_start_future"
    p = contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=member.id,
                      started_on=date(2026, 6, 1), now=NOW)
    with pytest.raises(Invalid) as err:
        contacts.end(session, actor=town.manager, pair_id=p.id, reason="搬走",
                     ended_on=date(2026, 5, 1), now=NOW)
    assert err.value.key == "error.end_before_start"


def test_only_managers_pair_and_only_within_their_sites(session, town):
    member = _member(session, town)
    h = _household(session, town)
    with pytest.raises(Forbidden):
        contacts.pair(session, actor=town.officer, household_id=h.id, volunteer_id=member.id)
    with pytest.raises(NotFound):
        contacts.pair(session, actor=town.outsider, household_id=h.id, volunteer_id=member.id)


# --- visits ----------------------------------------------------------------------------------


def _paired(session, town, started=date(2026, 1, 1)):
    member = _member(session, town)
    h = _household(session, town)
    contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=member.id,
                  started_on=started, now=NOW)
    return member, h


def _visit(member, h, day=date(2026, 6, 1), **kw):
    args = {"household_id": h.id, "volunteer_id": member.id, "visited_on": day,
            "method": "home", "topics": "家庭教育", "guidance": "多陪孩子读书"}
    args.update(kw)
    return VisitInput(**args)


def test_an_officer_records_a_visit_with_a_need_and_the_need_is_on_the_board(session, town):
    member, h = _paired(session, town)
    need = surveys.NeedInput(category_id=town.category, priority="hear", text="想听养老政策")
    visit = contacts.record_visit(session, actor=town.officer,
                                  visit=_visit(member, h, needs=(need,)), now=NOW)
    survey = session.get(Survey, visit.survey_id)
    assert survey.household_id == h.id and survey.respondent == "王大伯"
    rows, total = needs.page(session, actor=town.officer)
    assert total == 1 and rows[0]["text"] == "想听养老政策"
    assert rows[0]["from_contact"] is True


def test_a_visit_without_needs_writes_no_survey(session, town):
    member, h = _paired(session, town)
    visit = contacts.record_visit(session, actor=town.officer, visit=_visit(member, h), now=NOW)
    assert visit.survey_id is None and session.exec(select(Survey)).all() == []


@pytest.mark.parametrize("change, key", [
    ({"visited_on": date(2026, 7, 1)}, "error.visit_date_future"),
    ({"visited_on": None}, "error.visit_date"),
    ({"method": "letter"}, "error.visit_method"),
    ({"topics": ""}, "error.required"),
    ({"visited_on": date(2025, 12, 1)}, "error.visit_not_paired"),
])
def test_a_bad_visit_is_refused_and_nothing_is_written(session, town, change, key):
    member, h = _paired(session, town)
    need = surveys.NeedInput(category_id=town.category, priority="hear", text="想听")
    with pytest.raises(Invalid) as err:
        contacts.record_visit(session, actor=town.officer,
                              visit=_visit(member, h, needs=(need,), **change), now=NOW)
    assert err.value.key == key
    session.rollback()
    assert session.exec(select(ContactVisit)).all() == []
    assert session.exec(select(Need)).all() == []


def test_a_visit_dated_today_in_beijing_is_not_in_the_future(session, town):
    member, h = _paired(session, town)
    # 2026-06-30 20:00 UTC is already 2026-07-01 in Beijing.
    late = datetime(2026, 6, 30, 20, 0, tzinfo=UTC)
    contacts.record_visit(session, actor=town.officer, visit=_visit(member, h, date(2026, 7, 1)),
                          now=late)


def test_a_bad_need_on_a_visit_stops_the_whole_visit(session, town):
    member, h = _paired(session, town)
    bad = surveys.NeedInput(category_id=None, priority="hear", text="x")
    with pytest.raises(Invalid):
        contacts.record_visit(session, actor=town.officer, visit=_visit(member, h, needs=(bad,)),
                              now=NOW)
    session.rollback()
    assert session.exec(select(ContactVisit)).all() == []


def test_a_leader_cannot_record_a_visit(session, town):
    member, h = _paired(session, town)
    with pytest.raises(Forbidden):
        contacts.record_visit(session, actor=town.leader, visit=_visit(member, h), now=NOW)


# --- overdue, with the clock injected -----------------------------------------------------------


def test_a_household_is_overdue_once_the_target_days_pass_since_the_last_visit(session, town):
    member, h = _paired(session, town, started=date(2025, 6, 1))
    contacts.record_visit(session, actor=town.officer, visit=_visit(member, h, date(2026, 1, 1)),
                          now=NOW)
    # 180 days after 2026-01-01 is 2026-06-30: due that day.
    day_before = datetime(2026, 6, 28, 16, 0, tzinfo=UTC)  # 2026-06-29 00:00 in Beijing
    assert contacts.overdue(session, actor=town.manager, now=day_before)[1] == 0
    rows, total = contacts.overdue(session, actor=town.manager, now=NOW)
    assert total == 1 and rows[0]["days"] == 180 and rows[0]["contact"] == "党员甲"
    settings.update(session, actor=town.manager, values={"contact_visit_days": 200})
    assert contacts.overdue(session, actor=town.manager, now=NOW)[1] == 0


def test_a_never_visited_household_waits_from_the_start_of_its_pair(session, town):
    _member_, h = _paired(session, town, started=date(2026, 1, 1))
    rows, total = contacts.overdue(session, actor=town.manager, now=NOW)
    assert total == 1 and rows[0]["waiting_since"] == date(2026, 1, 1)


def test_the_overdue_list_pages_longest_waiting_first_and_keeps_its_total(session, town):
    """The page and its total come from one window count; a page past the end still says the
    total."""
    member = _member(session, town)
    for i, start in enumerate((date(2025, 3, 1), date(2025, 1, 1), date(2025, 2, 1))):
        h = _household(session, town, head=f"户{i}", address=f"{i} 号")
        contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=member.id,
                      started_on=start, now=NOW)
    rows, total = contacts.overdue(session, actor=town.manager, now=NOW, limit=2)
    assert total == 3 and [r["head_name"] for r in rows] == ["户1", "户2"]
    rows, total = contacts.overdue(session, actor=town.manager, now=NOW, offset=2, limit=2)
    assert total == 3 and [r["head_name"] for r in rows] == ["户0"]
    assert contacts.overdue(session, actor=town.manager, now=NOW, offset=9)[1] == 3


def test_an_unpaired_household_is_not_overdue_but_unpaired(session, town):
    _household(session, town)
    assert contacts.overdue(session, actor=town.manager, now=NOW)[1] == 0
    assert contacts.unpaired(session, actor=town.manager)[1] == 1


# --- coverage ----------------------------------------------------------------------------------


def test_coverage_is_households_visited_over_households_paired_per_member_and_site(session, town):
    member = _member(session, town)
    hs = [_household(session, town, head=f"户{i}", address=f"{i} 号") for i in range(4)]
    for h in hs:
        contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=member.id,
                      started_on=date(2026, 1, 1), now=NOW)
    for h in hs[:3]:
        contacts.record_visit(session, actor=town.officer,
                              visit=_visit(member, h, date(2026, 3, 1)), now=NOW)
    contacts.record_visit(session, actor=town.officer,
                          visit=_visit(member, hs[0], date(2026, 3, 5)), now=NOW)
    (row,) = contacts.coverage(session, actor=town.manager, start=date(2026, 1, 1),
                               end=date(2026, 6, 30))
    assert (row["paired"], row["visited"], row["coverage"]) == (4, 3, 0.75)
    (site,) = contacts.coverage(session, actor=town.manager, start=date(2026, 1, 1),
                                end=date(2026, 6, 30), by="site")
    assert site["name"] == "东村" and site["coverage"] == 0.75
    (later,) = contacts.coverage(session, actor=town.manager, start=date(2026, 4, 1),
                                 end=date(2026, 6, 30))
    assert (later["paired"], later["visited"]) == (4, 0)
    assert contacts.coverage(session, actor=town.outsider, start=date(2026, 1, 1),
                             end=date(2026, 6, 30)) == []
