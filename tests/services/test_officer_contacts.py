"""户联系 coverage on the 绩效评价 of 文明实践员: households visited ÷ households paired in the
period, over the households of the officer's site and the sites below it, and the visits the officer
recorded — with visits recorded through the services at known times (Beijing time, UTC+8).

15:30 UTC on 31 March is 23:30 on 31 March in Beijing; 16:30 UTC is 00:30 on 1 April.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from models import Gender, Role
from services import contacts, evaluation, households, periods, users, volunteers
from services.contacts import VisitInput
from services.errors import Invalid
from services.households import HouseholdInput
from tests.factories import PASSWORD

MARCH = periods.month(2026, 3)
APRIL = periods.month(2026, 4)
LATE_MARCH = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)   # 23:30 on 31 March, Beijing
EARLY_APRIL = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 April, Beijing
NOW = datetime(2026, 5, 1, 2, tzinfo=UTC)


def _household(session, town, head, site):
    return households.create(session, actor=town.officer, raw=HouseholdInput(
        site_id=site, head_name=head, address=f"{head}家", people=3))


def _member(session, town, name, phone, site):
    return volunteers.create(session, actor=town.manager, name=name, phone=phone,
                             gender=Gender.male, site_id=site, party_member=True,
                             registered_on=date(2025, 1, 1))


def _visit(session, actor, member, household, day, now):
    return contacts.record_visit(session, actor=actor, now=now, visit=VisitInput(
        household_id=household.id, volunteer_id=member.id, visited_on=day, method="home",
        topics="家庭教育", guidance="多陪孩子读书"))


def _row(session, town, officer_id, period):
    result = evaluation.officers(session, actor=town.leader, period=period, now=NOW)
    return next(r for r in result.rows if r["key"] == officer_id)


@pytest.fixture
def paired(session, town):
    """东村: three households paired with 党员甲 from 1 January (one pair ended on 15 March);
    西村: one household paired with 党员乙; a fourth 东村 household paired only from 1 April.
    A second officer works at 西村."""
    a = _member(session, town, "党员甲", "13700000001", town.village_a)
    b = _member(session, town, "党员乙", "13700000002", town.village_b)
    east = [_household(session, town, f"东{i}", town.village_a) for i in range(3)]
    west = _household(session, town, "西0", town.village_b)
    late = _household(session, town, "东新", town.village_a)
    pairs = [contacts.pair(session, actor=town.manager, household_id=h.id, volunteer_id=a.id,
                           started_on=date(2026, 1, 1), now=NOW) for h in east]
    contacts.pair(session, actor=town.manager, household_id=west.id, volunteer_id=b.id,
                  started_on=date(2026, 1, 1), now=NOW)
    contacts.pair(session, actor=town.manager, household_id=late.id, volunteer_id=a.id,
                  started_on=date(2026, 4, 1), now=NOW)
    contacts.end(session, actor=town.manager, pair_id=pairs[2].id, reason="户主搬迁",
                 ended_on=date(2026, 3, 15), now=NOW)
    user, _ = users.create(session, actor=town.manager, username="off_west",
                           display_name="西村实践员", role=Role.officer,
                           site_id=town.village_b, password=PASSWORD)
    return {"a": a, "b": b, "east": east, "west": west, "late": late, "west_officer": user.id}


def test_coverage_of_the_officers_sites_in_the_beijing_month(session, town, paired):
    a, east = paired["a"], paired["east"]
    # 23:30 on 31 March: a visit dated 31 March counts in March
    _visit(session, town.officer, a, east[0], date(2026, 3, 31), LATE_MARCH)
    # 00:30 on 1 April: a visit dated 1 April is April's
    _visit(session, town.officer, a, east[1], date(2026, 4, 1), EARLY_APRIL)
    _visit(session, town.manager, paired["b"], paired["west"], date(2026, 3, 2), NOW)
    march = _row(session, town, town.officer.id, MARCH)
    # the officer of 青山镇 (所): 东村 and 西村 — 4 pairs in March (the one ended on 15 March
    # still counts; the one from 1 April does not); visited in March: 东0 and 西0
    assert (march["contact_paired"], march["contact_visited"]) == (4, 2)
    assert march["contact_coverage"] == 0.5
    assert march["contact_visits"] == 1  # 西0's visit was recorded by the manager
    april = _row(session, town, town.officer.id, APRIL)
    # April: 东0, 东1, 西0 and 东新 paired (东2 ended in March); 东1 visited
    assert (april["contact_paired"], april["contact_visited"], april["contact_visits"]) == (
        4, 1, 1)
    west = _row(session, town, paired["west_officer"], MARCH)
    assert (west["contact_paired"], west["contact_visited"], west["contact_coverage"]) == (
        1, 1, 1.0)
    assert west["contact_visits"] == 0


def test_a_visit_dated_tomorrow_in_beijing_is_refused_at_23_30(session, town, paired):
    with pytest.raises(Invalid):
        _visit(session, town.officer, paired["a"], paired["east"][0], date(2026, 4, 1),
               LATE_MARCH)
    session.rollback()
    assert _row(session, town, town.officer.id, APRIL)["contact_visits"] == 0


def test_no_pairs_is_no_coverage_not_zero(session, town):
    row = _row(session, town, town.officer.id, MARCH)
    assert (row["contact_paired"], row["contact_visited"], row["contact_coverage"]) == (0, 0,
                                                                                         None)


def test_the_figure_agrees_with_the_contact_pages_coverage_by_site(session, town, paired):
    a, east = paired["a"], paired["east"]
    _visit(session, town.officer, a, east[0], date(2026, 3, 10), NOW)
    by_site = contacts.coverage(session, actor=town.manager, start=MARCH.start, end=MARCH.end,
                                by="site")
    paired_total = sum(r["paired"] for r in by_site)
    visited_total = sum(r["visited"] for r in by_site)
    row = _row(session, town, town.officer.id, MARCH)
    assert (row["contact_paired"], row["contact_visited"]) == (paired_total, visited_total)
    assert evaluation.contact_coverage(paired_total, visited_total) == row["contact_coverage"]
