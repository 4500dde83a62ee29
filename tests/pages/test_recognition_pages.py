"""评优推荐 on 绩效评价: the four candidate lists of the chosen year, nothing ticked at first, the
shortlist of the ticked rows and its 公示 workbook carrying the screen's numbers."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from core import db
from models import AuditLog
from services import catalog, completions, orders, ratings, recognition
from services import settings as settings_service
from services.clock import local_today
from tests import factories
from tests.pages.conftest import goto, open_app, run, zh
from ui.i18n import words_in

H = timedelta(hours=1)


def _today():
    return local_today(db.utcnow(), "Asia/Shanghai")


def _year() -> int:
    """Last year: the page's template orders (placed today) are never in it."""
    return _today().year - 1


def _order(s, town, at: datetime, *, item_id, level, hours, people, team="a"):
    lead, team_id = (town.lead_a, town.team_a) if team == "a" else (town.lead_b, town.team_b)
    order = factories.place(s, town, now=at - 5 * H, due_on=(at + 48 * H).date(),
                            item_id=item_id)
    orders.dispatch(s, actor=town.manager, order_id=order.id, team_id=team_id, now=at - 4 * H)
    orders.accept(s, actor=lead, order_id=order.id, now=at - 3 * H)
    completions.complete(s, actor=lead, order_id=order.id, now=at,
                         done=completions.Completion(beneficiaries={"general": people},
                                                     hours=hours))
    ratings.rate(s, actor=town.officer, order_id=order.id, level=level, now=at + H)


@pytest.fixture
def year(world):
    """In the page's year (March): team A serves five times with 志愿者0 (6 h each) and
    志愿者1 (2 h each) on one menu item, rated 5 5 5 4 2; team B once, rated 3."""
    number = _year()
    town = world.town
    with db.write_session(world.url) as s:
        settings_service.update(s, actor=town.manager, values={"recognition_min_ratings": 3})
        item = catalog.create_item(s, actor=town.manager, title="防诈骗讲座",
                                   category_id=town.category, team_ids=(town.team_a,)).id
        start = datetime.combine(datetime(number, 3, 2).date(), time(2), tzinfo=UTC)
        v0, v1, _ = town.volunteers_a
        for i, level in enumerate((5, 5, 5, 4, 2)):
            _order(s, town, start + i * 24 * H, item_id=item, level=level,
                   hours={v0: 6, v1: 2}, people=10 + i)
        _order(s, town, start, item_id=None, level=3, hours={v0: 1}, people=3, team="b")
    return number


def _open(world, who="leader", number: int | None = None):
    at = goto(open_app(getattr(world.town, who)), "evaluation.py")
    # the tab runs only while open (it reads a whole year): nothing of it before
    assert not [s for s in at.selectbox if getattr(s, "key", None) == "recog_year"]
    at.session_state["eval_tab"] = zh("recognition.tab")
    run(at)
    if number is not None:
        at.selectbox(key="recog_year").set_value(number)
        run(at)
    return at


def test_the_tab_lists_the_years_candidates_with_nothing_ticked(world, year):
    at = _open(world)
    assert at.tabs[-1].label == zh("recognition.tab")
    # the page opens on this year in December (the year is nearly over), else on last year
    today = _today()
    assert at.selectbox(key="recog_year").value == (
        today.year if today.month == 12 else today.year - 1)
    at.selectbox(key="recog_year").set_value(year)
    run(at)
    volunteers = at.dataframe(key=f"recog_volunteer_{year}").value
    # 志愿者0: 31 h (≥ 20); 志愿者1: 10 h, below the minimum
    assert list(volunteers["name"]) == ["志愿者0"]
    row = volunteers.iloc[0]
    assert (row["hours"], row["orders"], row["good_rate"], row["rated"]) == (31.0, 6, 66.7, 6)
    teams = at.dataframe(key=f"recog_team_{year}").value
    assert list(teams["rank"]) == [1, 2] and set(teams["name"]) == {"宣讲支队", "健康支队"}
    items = at.dataframe(key=f"recog_item_{year}").value
    assert (items.iloc[0]["name"], items.iloc[0]["beneficiaries"],
            items.iloc[0]["good_rate"]) == ("防诈骗讲座", 60, 80.0)
    assert list(at.dataframe(key=f"recog_site_{year}").value["name"]) == ["东村"]
    assert zh("recognition.pick_hint") in [i.value for i in at.info]
    assert not [b for b in at.get("download_button") if b.proto.id.endswith("recog_export")]
    assert not at.exception


def test_an_earlier_year_with_nothing_says_what_to_do(world, year):
    at = _open(world, number=year - 2)
    shown = [i.value for i in at.info]
    for kind in recognition.KINDS:
        assert zh(f"recognition.empty_{kind}") in shown
    assert not at.exception


def _shortlist(at):
    (found,) = [df.value for df in at.dataframe if list(df.value.columns) == ["kind", "rank",
                                                                             "name"]]
    return found


def _tick(at, key: str, rows: list[int]):
    at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}


def test_the_ticked_shortlist_exports_the_screens_numbers(world, year):
    at = _open(world, "manager", number=year)
    _tick(at, f"recog_volunteer_{year}", [0])
    _tick(at, f"recog_team_{year}", [1])
    _tick(at, f"recog_item_{year}", [0])
    run(at)
    shortlist = _shortlist(at)
    assert len(shortlist) == 3
    screen = {kind: at.dataframe(key=f"recog_{kind}_{year}").value
              for kind in recognition.KINDS}
    ticked = {"volunteer": [0], "team": [1], "item": [0], "site": []}
    with db.session(world.url) as s:
        found = {kind: recognition.candidates(s, actor=world.town.manager, kind=kind,
                                              number=year) for kind in recognition.KINDS}
    picked = {kind: [found[kind].rows[i]["key"] for i in rows] for kind, rows in ticked.items()}
    before = _count_exports(world)
    with db.write_session(world.url) as s:
        content = recognition.workbook(s, actor=world.town.manager, number=year,
                                       picked=picked, words=words_in("zh"))
    assert _count_exports(world) == before + 1
    book = load_workbook(io.BytesIO(content))
    for kind, rows in ticked.items():
        sheet = list(book[zh(f"recognition.kind.{kind}")].iter_rows(values_only=True))
        assert list(sheet[0]) == [zh(f"recognition.col.{c}") for c in recognition.COLUMNS[kind]]
        if not rows:
            assert sheet[1][0] == zh("recognition.none_picked")
            continue
        for line, i in enumerate(rows, start=1):
            shown = screen[kind].iloc[i]
            for column, written in zip(recognition.COLUMNS[kind], sheet[line], strict=True):
                if column in recognition.RATES and written is not None:
                    written = round(written * 100, 1)
                value = shown[column]
                assert (None if value != value else value) == written, (kind, column)
    assert not at.exception


def _count_exports(world) -> int:
    with db.session(world.url) as s:
        return s.exec(select(func.count()).select_from(AuditLog)
                      .where(AuditLog.action == "recognition.export")).one()


def test_the_export_button_appears_once_something_is_ticked(world, year):
    at = _open(world, number=year)
    _tick(at, f"recog_site_{year}", [0])
    run(at)
    assert list(_shortlist(at)["name"]) == ["东村"]
    buttons = [b for b in at.get("download_button") if "recog_export" in b.proto.id]
    assert len(buttons) == 1
    assert _count_exports(world) == 0  # made only when clicked
    assert not at.exception
