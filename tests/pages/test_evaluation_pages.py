"""绩效评价 as leaders and managers use it: last month by default, the four tables, a unit's
detail with numerators and denominators, 红榜/黑榜, and the bulletin carrying the page's numbers.
Officers and team leads never reach it; leaders can change nothing there."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from core import db
from models import AuditLog
from services import bulletin, completions, evaluation, orders, periods, ratings
from services.clock import local_today
from tests import factories
from tests.pages.conftest import goto, open_app, run, values, zh
from ui.i18n import words_in

H = timedelta(hours=1)


def _last_month() -> periods.Period:
    today = local_today(db.utcnow(), "Asia/Shanghai")
    return periods.previous(periods.containing(today, "month", 1))


def _order(s, town, start: datetime, *, late: bool, level: int | None, team: str = "a"):
    lead, team_id = (town.lead_a, town.team_a) if team == "a" else (town.lead_b, town.team_b)
    order = factories.place(s, town, now=start, due_on=(start + 5 * 24 * H).date())
    orders.dispatch(s, actor=town.manager, order_id=order.id, team_id=team_id, now=start + H)
    orders.accept(s, actor=lead, order_id=order.id, now=start + 2 * H)
    done = start + (8 if late else 2) * 24 * H
    completions.complete(s, actor=lead, order_id=order.id, now=done,
                         done=completions.Completion(beneficiaries={"general": 4},
                                                     hours={town.volunteers_a[0]: 1.5}))
    if level:
        ratings.rate(s, actor=town.officer, order_id=order.id, level=level, now=done + H)


@pytest.fixture
def last_month(world):
    """Last month: team A finishes three orders, one late, rated 5, 4 and 2; team B one on time,
    rated 3."""
    period = _last_month()
    start = datetime.combine(period.start, time(2), tzinfo=UTC) + 24 * H
    with db.write_session(world.url) as s:
        for i, (late, level) in enumerate(((False, 5), (False, 4), (True, 2))):
            _order(s, world.town, start + i * H, late=late, level=level)
        _order(s, world.town, start, late=False, level=3, team="b")
    return period


def _blank(value):
    """An empty cell: NaN in the page's frame, None or '' in the workbook."""
    return None if value is None or value != value or value == "" else value


def _open(world, who):
    return goto(open_app(getattr(world.town, who)), "evaluation.py")


def _audit_rows(world) -> int:
    with db.session(world.url) as s:
        return s.exec(select(func.count()).select_from(AuditLog)).one()


@pytest.mark.parametrize("who", ["leader", "manager"])
def test_the_page_opens_on_last_month_with_the_four_tables(world, last_month, who):
    at = _open(world, who)
    assert values(at.title) == [zh("evaluation.title")]
    assert [tab.label for tab in at.tabs] == [zh(f"evaluation.table.{k}")
                                              for k in evaluation.TABLES] + [zh("recognition.tab")]
    assert at.selectbox(key="eval_month").value == (last_month.year, last_month.number)
    teams = at.dataframe(key="eval_table_team").value
    assert list(teams["name"]) == ["健康支队", "宣讲支队"]  # B: 100 % on time; A: 2 of 3
    a = teams[teams["name"] == "宣讲支队"].iloc[0]
    assert (a["due"], a["completion_rate"], a["on_time_rate"]) == (3, 100.0, 66.7)
    assert a["satisfied_rate"] == 66.7
    # the bulletin's columns on screen, so that the table fits a 1366 px laptop
    assert list(teams.columns) == [c for c in bulletin.PRINT_COLUMNS["team"]
                                   if c not in ("beneficiaries", "hours")]
    listed = [name for df in at.dataframe for name in df.value.get("name", [])]
    assert "青山总队" in listed  # 无考核数据: nothing due last month
    assert zh("evaluation.no_data_title") in [m.value.strip("*") for m in at.markdown]
    # 宣讲支队 is below the 按时办结率 line (66.7 % < 90 %) and the 满意率 line (66.7 % < 85 %)
    assert not at.exception


def test_leaders_change_nothing_by_reading(world, last_month):
    before = _audit_rows(world)
    at = _open(world, "leader")
    at.segmented_control(key="eval_kind").set_value("quarter")
    run(at)
    assert not at.get("form") and not at.text_input
    assert _audit_rows(world) == before


def test_picking_a_unit_shows_each_figure_with_numerator_and_denominator(world, last_month):
    at = _open(world, "leader")
    frame = at.dataframe(key="eval_table_team")
    row = list(frame.value["name"]).index("宣讲支队")
    at.session_state["eval_table_team"] = {"selection": {"rows": [row], "columns": [],
                                                         "cells": []}}
    run(at)
    (detail,) = [df.value for df in at.dataframe if "numerator" in df.value.columns]
    on_time = detail[detail["figure"] == zh("evaluation.col.on_time_rate")].iloc[0]
    assert (on_time["value"], on_time["numerator"], on_time["denominator"]) == (66.7, 2, 3)
    # the figures the table leaves out are in the detail
    good = detail[detail["figure"] == zh("evaluation.col.good_rate")].iloc[0]
    done = detail[detail["figure"] == zh("evaluation.col.done")].iloc[0]
    assert (good["value"], done["value"]) == (66.7, 3)


def test_an_empty_period_says_so_instead_of_showing_zeros(world):
    at = _open(world, "leader")  # nothing happened last month in the page template's town
    assert zh("evaluation.empty_ranked") in [i.value for i in at.info]


def test_the_bulletin_carries_the_numbers_of_the_page(world, last_month):
    """Every ranked row of every table: the workbook's cells equal what the page shows (rates
    as fractions formatted 0.0 %)."""
    at = _open(world, "leader")
    with db.write_session(world.url) as s:
        content = bulletin.workbook(s, actor=world.town.leader, period=last_month,
                                    words=words_in("zh"))
    book = load_workbook(io.BytesIO(content))
    for kind in evaluation.TABLES:
        page = at.dataframe(key=f"eval_table_{kind}").value
        sheet = book[zh(f"evaluation.table.{kind}")]
        rows = list(sheet.iter_rows(values_only=True))
        headers = [zh(f"evaluation.col.{c}") for c in bulletin.COLUMNS[kind]]
        assert list(rows[0]) == headers
        at_column = {c: i for i, c in enumerate(bulletin.COLUMNS[kind])}
        for i, shown in enumerate(page.itertuples(index=False)):
            for column, value in zip(page.columns, shown, strict=True):
                written = rows[1 + i][at_column[column]]
                if column in bulletin.RATES and written is not None:
                    written = round(written * 100, 1)
                assert _blank(value) == _blank(written), (kind, column)
    summary = book[zh("bulletin.summary_sheet")]
    texts = [c for row in summary.iter_rows(values_only=True) for c in row if c]
    assert any("已办结 4 件" in str(c) for c in texts)
    assert zh("evaluation.red") in texts


@pytest.mark.parametrize("who", ["officer", "lead_a"])
def test_officers_and_team_leads_do_not_reach_the_page(world, who):
    at = open_app(getattr(world.town, who))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/evaluation.py")


def test_the_overview_defaults_to_the_last_30_days_with_changes_and_warnings(world):
    at = goto(open_app(world.town.leader), "overview.py")
    today = local_today(db.utcnow(), "Asia/Shanghai")
    assert at.date_input(key="overview_period").value == (today - timedelta(days=29), today)
    placed = next(m for m in at.metric if m.label == zh("overview.placed"))
    assert placed.value == "5"          # the template's five orders, placed today
    assert placed.delta is not None     # against the 30 days before
    assert any(e.label.startswith("预警") for e in at.expander)
    headers = [h.value for h in at.subheader]
    for key in ("leader_charts.by_village", "leader_charts.mix", "leader_charts.leaderboard",
                "leader_charts.response", "satisfaction.trend"):
        assert zh(key) in headers


@pytest.mark.parametrize("now, before, key, shown", [
    ({"placed": 7}, {"placed": 4}, "placed", "+3"),
    ({"placed": 2}, {"placed": 4}, "placed", "-2"),
    ({"hours": 12.5}, {"hours": 10.25}, "hours", "+2.3"),           # 2.25 rounds half up
    ({"good_rate": 0.8125}, {"good_rate": 0.75}, "good_rate", "+6.3 个百分点"),
    ({"good_rate": None}, {"good_rate": 0.75}, "good_rate", None),
])
def test_a_tile_change_against_the_period_before(now, before, key, shown, monkeypatch):
    from ui import period_views

    monkeypatch.setattr(period_views, "t", lambda k, **p: words_in("zh")(k, **p))
    assert period_views.change(now, before, key) == shown
    start = datetime(2026, 3, 1).date()
    assert period_views.previous_span(start, start + timedelta(days=29)) == (
        datetime(2026, 1, 30).date(), datetime(2026, 2, 28).date())
