"""项目扶持: the support list's rules (cap, list length, spending within the amount), each
project's figures for a local calendar year with known timestamps, next year's candidates, who
may do what, bad input that changes nothing, and the export equal to the list."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import AuditAction, AuditLog, ProjectSpend, SupportProject
from services import catalog, projects, ratings
from services import settings as settings_service
from services.errors import Duplicate, Forbidden, Invalid, NotFound, Problems
from tests.services.steps import S, count, order_in
from ui.i18n import words_in

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
# 2025-12-31 23:30 and 2026-01-01 00:30 in Shanghai: either side of the year's boundary
LAST_OF_2025 = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)
FIRST_OF_2026 = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
STEP = timedelta(hours=1)  # order_in: one hour per step; completion is the third step


def _item(session, town, title):
    return catalog.create_item(session, actor=town.manager, title=title,
                               category_id=town.category, team_ids=(town.team_a,)).id


def _done_at(session, town, item_id, moment, status=S.rated):
    """An order of the item completed at `moment` (and rated 5 an hour later if `status` says)."""
    return order_in(session, town, status, at=moment - 3 * STEP, item_id=item_id)


def _save(session, town, **fields):
    args = {"actor": town.manager, "year": 2026, "name": "银龄宣讲", "item_ids": [],
            "amount": 20000, "now": NOW}
    args.update(fields)
    return projects.save(session, **args)


@pytest.fixture
def items(session, town):
    return {"talk": _item(session, town, "理论宣讲进村"),
            "health": _item(session, town, "健康义诊"),
            "idle": _item(session, town, "法律咨询")}


def test_a_projects_figures_count_its_items_orders_done_in_the_local_year(session, town, items):
    _done_at(session, town, items["talk"], LAST_OF_2025)                  # 2025: not counted
    _done_at(session, town, items["talk"], FIRST_OF_2026)                 # 2026, rated 5
    _done_at(session, town, items["health"], datetime(2026, 5, 1, 4, tzinfo=UTC), S.completed)
    _done_at(session, town, items["idle"], datetime(2026, 5, 2, 4, tzinfo=UTC))  # not its item
    order_in(session, town, S.accepted, at=datetime(2026, 5, 3, tzinfo=UTC),
             item_id=items["talk"])                                       # not done
    project = _save(session, town, item_ids=[items["talk"], items["health"]], amount="15000.50")
    projects.spend(session, actor=town.manager, project_id=project.id, spent_on=date(2026, 3, 1),
                   amount=3000, note="教材印刷", now=NOW)
    [row] = projects.year_list(session, actor=town.manager, year=2026, now=NOW)
    # two done orders × (10 + 5) beneficiaries and (2 + 3.5) hours; one rated, 5 stars
    assert (row["orders"], row["beneficiaries"], row["hours"]) == (2, 30, 11.0)
    assert (row["rated"], row["good"], row["good_rate"]) == (1, 1, 100.0)
    assert (row["amount"], row["spent"], row["left"]) == (15000.5, 3000.0, 12000.5)
    assert row["cost_per_beneficiary"] == 100.0  # 3000 ÷ 30
    assert row["items"] == "健康义诊、理论宣讲进村"
    [last_year] = projects.candidates(session, actor=town.manager, year=2025, now=NOW)
    assert (last_year["item"], last_year["orders"]) == ("理论宣讲进村", 1)


def test_the_year_follows_the_timezone_setting(session, town, items):
    _done_at(session, town, items["talk"], LAST_OF_2025)
    project = _save(session, town, item_ids=[items["talk"]])
    settings_service.update(session, actor=town.manager, values={"timezone": "UTC"})
    assert projects.year_list(session, actor=town.manager, year=2026, now=NOW)[0]["orders"] == 0
    settings_service.update(session, actor=town.manager, values={"timezone": "Asia/Tokyo"})
    # 15:30 UTC on 31 December is 00:30 on 1 January in Tokyo
    assert projects.year_list(session, actor=town.manager, year=2026, now=NOW)[0]["orders"] == 1
    assert project.id


def test_the_amount_is_capped_by_the_setting_and_money_is_exact(session, town, items):
    with pytest.raises(Invalid) as err:
        _save(session, town, item_ids=[items["talk"]], amount="20000.01")
    assert err.value.key == "error.project_over_cap"
    for bad in ("0", "-5", "12.345", "abc", "", None, "NaN", "inf", True):
        with pytest.raises(Invalid) as err:
            _save(session, town, item_ids=[items["talk"]], amount=bad)
        assert err.value.key == "error.money"
    assert _save(session, town, item_ids=[items["talk"]], amount="20,000").amount_fen == 2_000_000
    settings_service.update(session, actor=town.manager, values={"project_cap_yuan": 50000})
    assert _save(session, town, name="健康进万家", item_ids=[items["health"]],
                 amount=50000).amount_fen == 5_000_000


def test_a_sites_list_holds_at_most_the_setting_per_year(session, town, items):
    settings_service.update(session, actor=town.manager, values={"projects_per_year": 2})
    _save(session, town, name="一", item_ids=[items["talk"]])
    _save(session, town, name="二", item_ids=[items["talk"]])
    with pytest.raises(Invalid) as err:
        _save(session, town, name="三", item_ids=[items["talk"]])
    assert (err.value.key, err.value.params["limit"]) == ("error.project_list_full", 2)
    _save(session, town, name="三", item_ids=[items["talk"]], year=2027)  # another year's list
    assert count(session, SupportProject) == 3


def test_spending_stays_within_the_amount_and_its_dates_are_checked(session, town, items):
    project = _save(session, town, item_ids=[items["talk"]], amount=1000)

    def spend(amount, on=date(2026, 5, 1), note="场地租用"):
        return projects.spend(session, actor=town.manager, project_id=project.id, spent_on=on,
                              amount=amount, note=note, now=NOW)

    spend("999.99")
    with pytest.raises(Invalid) as err:
        spend("0.02")
    assert err.value.key == "error.project_overspent" and err.value.params["left"] == "0.01"
    spend("0.01")
    for on, key in ((date(2026, 6, 2), "error.spent_in_future"),
                    (date(2025, 12, 31), "error.spent_before_year"), (None, "error.choose")):
        with pytest.raises(Invalid) as err:
            projects.spend(session, actor=town.manager, project_id=project.id, spent_on=on,
                           amount="1", note="x", now=NOW)
        assert key in {p.key for p in getattr(err.value, "problems", [err.value])}
    assert count(session, ProjectSpend) == 2
    with pytest.raises(Invalid) as err:  # the amount cannot drop below what was spent
        _save(session, town, item_ids=[items["talk"]], amount=500, project_id=project.id)
    assert err.value.key == "error.project_below_spent"


def test_every_refusal_of_the_form_at_once_and_nothing_written(session, town, items):
    audit_rows = count(session, AuditLog)
    with pytest.raises(Problems) as err:
        _save(session, town, name=" ", item_ids=[], amount="abc", year=2030)
    assert {p.key for p in err.value.problems} == {
        "error.required", "error.number_range", "error.money", "error.project_items_required"}
    with pytest.raises(Invalid):
        _save(session, town, item_ids=[items["talk"], 10**6])
    assert count(session, SupportProject) == 0 and count(session, AuditLog) == audit_rows
    _save(session, town, item_ids=[items["talk"]])
    with pytest.raises(Duplicate):
        _save(session, town, item_ids=[items["health"]])


def test_who_may_see_and_change_the_list(session, town, items):
    project = _save(session, town, item_ids=[items["talk"]], flagship=True)
    assert [r["flagship"] for r in projects.year_list(session, actor=town.leader, year=2026,
                                                      now=NOW)] == [True]
    for actor in (town.leader, town.officer, town.lead_a):
        with pytest.raises(Forbidden):
            _save(session, town, actor=actor, name="别的", item_ids=[items["talk"]])
    with pytest.raises(Forbidden):
        projects.year_list(session, actor=town.officer, year=2026)
    # a manager of another station neither sees nor touches it
    assert projects.year_list(session, actor=town.outsider, year=2026, now=NOW) == []
    with pytest.raises(NotFound):
        projects.spend(session, actor=town.outsider, project_id=project.id,
                       spent_on=date(2026, 5, 1), amount=1, note="x", now=NOW)
    with pytest.raises(NotFound):
        _save(session, town, actor=town.outsider, item_ids=[items["talk"]], project_id=project.id)


def test_candidates_are_ranked_by_beneficiaries_then_good_rate_then_orders(session, town, items):
    may = datetime(2026, 5, 1, 4, tzinfo=UTC)
    for i in range(2):  # 理论宣讲: 2 orders, 30 beneficiaries, both rated 5
        _done_at(session, town, items["talk"], may + i * STEP * 5)
    health = [_done_at(session, town, items["health"], may + timedelta(days=i), S.completed)
              for i in range(2)]  # 健康义诊: 30 beneficiaries too, one rated 2
    ratings.rate(session, actor=town.officer, order_id=health[0].id, level=2, comment="来晚了",
                 now=may + timedelta(days=3))
    _done_at(session, town, items["idle"], may)  # 法律咨询: 15 beneficiaries
    _save(session, town, item_ids=[items["idle"]])
    rows = projects.candidates(session, actor=town.manager, year=2026, now=NOW)
    assert [(r["rank"], r["item"], r["good_rate"], r["supported"]) for r in rows] == [
        (1, "理论宣讲进村", 100.0, False), (2, "健康义诊", 0.0, False),
        (3, "法律咨询", 100.0, True)]
    assert projects.candidates(session, actor=town.outsider, year=2026, now=NOW) == []


def test_the_export_holds_the_list_and_the_candidates_cell_for_cell(session, town, items):
    _done_at(session, town, items["talk"], FIRST_OF_2026)
    project = _save(session, town, item_ids=[items["talk"]], amount=1200, flagship=True,
                    name="=HYPERLINK(\"x\")")
    projects.spend(session, actor=town.manager, project_id=project.id, spent_on=date(2026, 2, 1),
                   amount=300, note="物资", now=NOW)
    content = projects.export(session, actor=town.leader, year=2026, now=NOW,
                              words=words_in("zh"))
    book = load_workbook(io.BytesIO(content))
    listed, ranked = book.worksheets
    [row] = projects.year_list(session, actor=town.leader, year=2026, now=NOW)
    cells = [c.value for c in listed[2]]
    assert cells[0] == "=HYPERLINK(\"x\")" and listed.cell(2, 1).data_type == "s"  # text
    assert listed.title == "2026年扶持项目" and ranked.title == "2027年候选"
    assert cells[3] == "是"
    assert cells[4:] == [row["amount"], row["spent"], row["left"], row["orders"],
                         row["beneficiaries"], row["hours"], 1.0, 20.0]  # 300 ÷ 15
    assert listed.cell(2, 11).number_format == "0.0%"
    assert [c.value for c in ranked[2]] == [1, "理论宣讲进村", 1, 15, 5.5, 1.0, "是"]
    audit = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert (audit.action, audit.target) == (AuditAction.projects_export, "2026")
