"""户联系 coverage where officers are evaluated: the 文明实践员 table of 绩效评价 carries each
officer's 户联系覆盖率 with its numerator and denominator, and the coverage per 村（站） and per
member."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from core import db
from models import Gender
from services import contacts, households, periods, volunteers
from services.clock import local_today
from services.contacts import VisitInput
from services.households import HouseholdInput
from tests.pages.conftest import goto, open_app, run, zh
from tests.pages.test_evaluation_pages import _order


def _last_month() -> periods.Period:
    today = local_today(db.utcnow(), "Asia/Shanghai")
    return periods.previous(periods.containing(today, "month", 1))


def _coverage_frames(at):
    """The per-村（站） and per-member coverage tables, in that order."""
    return [df.value for df in at.dataframe
            if list(df.value.columns) == ["name", "paired", "visited", "coverage"]]


def test_the_officers_table_shows_contact_coverage_of_last_month(world):
    town, month = world.town, _last_month()
    with db.write_session(world.url) as s:
        member = volunteers.create(s, actor=town.manager, name="党员甲", phone="13700000001",
                                   gender=Gender.male, site_id=town.village_a,
                                   party_member=True, registered_on=date(2025, 1, 1))
        homes = [households.create(s, actor=town.officer, raw=HouseholdInput(
            site_id=town.village_a, head_name=f"户{i}", address=f"{i} 号", people=2))
            for i in range(4)]
        for h in homes:
            contacts.pair(s, actor=town.manager, household_id=h.id, volunteer_id=member.id,
                          started_on=month.start - timedelta(days=40))
        for h in homes[:3]:
            contacts.record_visit(s, actor=town.officer, visit=VisitInput(
                household_id=h.id, volunteer_id=member.id, visited_on=month.start + timedelta(
                    days=3), method="home", topics="家庭教育", guidance=""))
    at = goto(open_app(town.leader), "evaluation.py")
    by_site, by_member = _coverage_frames(at)
    assert [tuple(r) for r in by_site.itertuples(index=False)] == [("东村", 4, 3, 75.0)]
    assert [tuple(r) for r in by_member.itertuples(index=False)] == [("党员甲", 4, 3, 75.0)]
    assert zh("evaluation.contact_title") in [e.label for e in at.expander]
    assert not at.exception


def test_a_period_with_no_pairs_says_so(world):
    at = goto(open_app(world.town.manager), "evaluation.py")
    assert zh("contacts.none_paired") in [i.value for i in at.info]
    assert not _coverage_frames(at)


def test_an_officer_with_orders_due_shows_coverage_in_the_row_and_its_detail(world):
    town, month = world.town, _last_month()
    with db.write_session(world.url) as s:
        start = datetime.combine(month.start, time(2), tzinfo=UTC) + timedelta(days=1)
        _order(s, town, start, late=False, level=5)
        member = volunteers.create(s, actor=town.manager, name="党员甲", phone="13700000001",
                                   gender=Gender.male, site_id=town.village_b,
                                   party_member=True, registered_on=date(2025, 1, 1))
        for i in range(2):
            h = households.create(s, actor=town.officer, raw=HouseholdInput(
                site_id=town.village_b, head_name=f"户{i}", address=f"{i} 号", people=2))
            contacts.pair(s, actor=town.manager, household_id=h.id, volunteer_id=member.id,
                          started_on=month.start)
            if i == 0:
                contacts.record_visit(s, actor=town.officer, visit=VisitInput(
                    household_id=h.id, volunteer_id=member.id, visited_on=month.end,
                    method="phone", topics="家庭教育", guidance=""))
    at = goto(open_app(town.leader), "evaluation.py")
    officers = at.dataframe(key="eval_table_officer").value
    row = officers[officers["name"] == "OFF"].iloc[0]
    assert row["contact_coverage"] == 50.0  # the counts are in the picked officer's detail
    at.session_state["eval_table_officer"] = {"selection": {"rows": [0], "columns": [],
                                                            "cells": []}}
    run(at)
    (detail,) = [df.value for df in at.dataframe if "numerator" in df.value.columns]
    line = detail[detail["figure"] == zh("evaluation.col.contact_coverage")].iloc[0]
    assert (line["value"], line["numerator"], line["denominator"]) == (50.0, 1, 2)
    counts = dict(zip(detail["figure"], detail["value"], strict=True))
    assert [counts[zh(f"evaluation.col.contact_{c}")] for c in ("paired", "visited",
                                                                 "visits")] == [2, 1, 1]
    assert not at.exception
