"""志愿者档案 and 星级: the record of one volunteer (service lines, corrections, hours by year,
star with the hours to the next, points), stars at their thresholds, the new-stars list of a
period, phones masked for everyone but the volunteer's managers, and the exports."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from core.config import BUSINESS_DEFAULTS
from services import completions, orders, settings, volunteer_records, volunteers
from services.errors import NotFound
from tests.factories import place
from tests.services.steps import T0
from ui.i18n import words_in

ZH = words_in("zh")


def served(session, town, hours: dict[int, float], at: datetime, title="理论宣讲进村"):
    """An order of team A done at `at` with these hours per volunteer."""
    order = place(session, town, now=at - timedelta(hours=3), title=title)
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                    now=at - timedelta(hours=2))
    orders.accept(session, actor=town.lead_a, order_id=order.id, now=at - timedelta(hours=1))
    return completions.complete(session, actor=town.lead_a, order_id=order.id, now=at,
                                done=completions.Completion(beneficiaries={"general": 3},
                                                            hours=hours, note=""))


def hours_of(session, town, vid, total: float, at: datetime):
    """Service records adding up to `total` hours for one volunteer, 20 h an order, at `at`."""
    left = total
    while left > 0:
        served(session, town, {vid: min(20, left)}, at)
        left = round(left - 20, 2)


@pytest.mark.parametrize("hours, stars, to_next", [
    (0, 0, 100), (99.99, 0, 0.01), (100, 1, 200), (299.5, 1, 0.5), (300, 2, 300),
    (600, 3, 400), (999, 3, 1), (1000, 4, 500), (1500, 5, None), (5000, 5, None)])
def test_stars_at_the_default_thresholds(hours, stars, to_next):
    values = BUSINESS_DEFAULTS
    got = volunteer_records.star_progress(hours, values)
    assert (got["stars"], got["to_next"]) == (stars, to_next)


def test_a_sum_a_hair_short_of_a_threshold_is_the_threshold():
    values = BUSINESS_DEFAULTS
    assert volunteer_records.star_progress(sum([0.1] * 1000), values)["stars"] == 1


def test_the_thresholds_are_the_setting(session, town):
    settings.update(session, actor=town.manager, values={"star_1_hours": 5, "star_2_hours": 10,
                                                         "star_3_hours": 20})
    vid = town.volunteers_a[0]
    served(session, town, {vid: 6}, T0)
    rec = volunteer_records.record(session, actor=town.manager, volunteer_id=vid)
    assert (rec["hours"], rec["stars"], rec["next_star_hours"], rec["to_next"]) == (6, 1, 10, 4)


def test_the_record_lists_every_service_with_code_team_and_hours_and_counts_by_year(
        session, town):
    vid = town.volunteers_a[0]
    # 2025-12-31 23:30 Shanghai is still 2025; 16:30 UTC on the 31st
    late_2025 = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)
    a = served(session, town, {vid: 2.5}, late_2025, title="年末宣讲")
    b = served(session, town, {vid: 4, town.volunteers_a[1]: 1}, T0, title="春季宣讲")
    rec = volunteer_records.record(session, actor=town.manager, volunteer_id=vid)
    assert [(x["served_on"], x["code"], x["title"], x["team"], x["hours"])
            for x in rec["service"]] == [
        (date(2026, 3, 2), b.code, "春季宣讲", "宣讲支队", 4.0),
        (date(2025, 12, 31), a.code, "年末宣讲", "宣讲支队", 2.5)]
    assert rec["by_year"] == [{"year": 2025, "hours": 2.5, "services": 1},
                              {"year": 2026, "hours": 4.0, "services": 1}]
    assert rec["hours"] == 6.5 and rec["teams"] == ["宣讲支队"]
    assert rec["points"]["balance"] == 65 == sum(x["points"] for x in rec["ledger"])
    assert rec["ledger"][0]["balance"] == 65 and rec["ledger"][-1]["balance"] == 25


def test_a_correction_is_shown_on_the_record_and_in_the_points(session, town):
    v0, v1 = town.volunteers_a[:2]
    order = served(session, town, {v0: 2, v1: 3}, T0)
    completions.correct(session, actor=town.lead_a, order_id=order.id, reason="多记了一小时",
                        done=completions.Completion(beneficiaries={"general": 3},
                                                    hours={v0: 1}, note=""),
                        now=T0 + timedelta(hours=2))
    rec = volunteer_records.record(session, actor=town.manager, volunteer_id=v0)
    assert [(x["hours"], x["corrected"], x["correction_reason"]) for x in rec["service"]] == [
        (1.0, True, "多记了一小时")]
    assert rec["corrections"][0]["points"] == -10
    gone = volunteer_records.record(session, actor=town.manager, volunteer_id=v1)
    assert gone["service"] == [] and gone["hours"] == 0
    assert [(c["code"], c["points"]) for c in gone["corrections"]] == [(order.code, -30)]
    assert gone["points"]["balance"] == 0


def test_another_stations_manager_cannot_open_the_record(session, town):
    with pytest.raises(NotFound):
        volunteer_records.record(session, actor=town.outsider, volunteer_id=town.volunteers_a[0])


def test_phones_are_full_for_the_volunteers_managers_and_masked_for_others(town):
    path = town.manager.site_path
    assert volunteers.phone_for(town.manager, town.manager.site_path + "9/", "13800000001") \
        == "13800000001"
    assert volunteers.phone_for(town.outsider, path, "13800000001") == "138****0001"
    assert volunteers.phone_for(town.lead_a, town.lead_a.site_path, "13800000001") \
        == "138****0001"
    assert volunteers.masked_phone("0797-1234567") == "079*****4567"


def test_new_stars_in_a_period_are_those_who_crossed_a_threshold_in_it(session, town):
    v0, v1, v2 = town.volunteers_a
    before = datetime(2026, 1, 10, 2, tzinfo=UTC)
    inside = datetime(2026, 2, 10, 2, tzinfo=UTC)
    hours_of(session, town, v0, 90, before)     # 90 → 110 in February: 0★ → 1★
    hours_of(session, town, v0, 20, inside)
    hours_of(session, town, v1, 100, before)    # already 1★, 20 more in February: no new star
    hours_of(session, town, v1, 20, inside)
    hours_of(session, town, v2, 99, inside)     # 99 h, all in February: not yet a star
    rows, total = volunteer_records.new_stars(session, actor=town.manager,
                                              date_from=date(2026, 2, 1),
                                              date_to=date(2026, 2, 28))
    assert total == 1
    assert [(r["id"], r["stars_before"], r["stars_after"], r["hours_before"], r["hours_after"])
            for r in rows] == [(v0, 0, 1, 90, 110)]
    # the period's edges are local days: a service at 23:59 Shanghai on 31 Jan is before it
    none, zero = volunteer_records.new_stars(session, actor=town.manager,
                                             date_from=date(2026, 3, 1),
                                             date_to=date(2026, 3, 31))
    assert (none, zero) == ([], 0)
    past_the_end, still = volunteer_records.new_stars(session, actor=town.manager,
                                                      date_from=date(2026, 2, 1),
                                                      date_to=date(2026, 2, 28), offset=50)
    assert (past_the_end, still) == ([], 1)  # a page past the last still knows the total
    _, outside = volunteer_records.new_stars(session, actor=town.outsider,
                                             date_from=date(2026, 2, 1),
                                             date_to=date(2026, 2, 28))
    assert outside == 0


def test_the_period_edge_is_the_local_day(session, town):
    v0 = town.volunteers_a[0]
    hours_of(session, town, v0, 90, datetime(2026, 1, 1, 2, tzinfo=UTC))
    # 2026-02-01 07:30 Shanghai = 2026-01-31 23:30 UTC: inside February locally
    served(session, town, {v0: 10}, datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    rows, _ = volunteer_records.new_stars(session, actor=town.manager,
                                          date_from=date(2026, 2, 1), date_to=date(2026, 2, 1))
    assert [r["id"] for r in rows] == [v0]


def test_the_record_export_has_the_service_and_the_ledger(session, town):
    vid = town.volunteers_a[0]
    order = served(session, town, {vid: 2}, T0, title="=HYPERLINK(\"x\")")
    book = load_workbook(io.BytesIO(volunteer_records.export_record(
        session, actor=town.manager, volunteer_id=vid, words=ZH)))
    service = list(book[ZH("record.sheet_service")].iter_rows(values_only=True))
    assert service[1][1:5] == (order.code, "=HYPERLINK(\"x\")", "宣讲支队", 2)
    ledger = list(book[ZH("record.sheet_ledger")].iter_rows(values_only=True))
    assert ledger[1][1:4] == (20, ZH("record.reason.service"), order.code)


def test_the_list_export_has_every_volunteer_in_scope(session, town):
    rows = list(load_workbook(io.BytesIO(volunteer_records.export_list(
        session, actor=town.manager, words=ZH))).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["志愿者0", "志愿者1", "志愿者2"]
    assert rows[1][1] == "13800000000"
