"""需求调查, 群众需求 and 服务菜单 driven through their widgets, the effect checked in the
database; and the refusals that change nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core import db
from models import Need, NeedStatus, ServiceItem, Survey, WorkOrder
from services import catalog, surveys
from services.surveys import NeedInput
from tests.pages.conftest import (
    goto,
    open_app,
    run,
    select_row,
    submit,
    table,
    table_key,
    values,
    zh,
)


def _page(world, who, page):
    return goto(open_app(getattr(world.town, who)), page)


def _survey(world, *texts, village=None, category=None):
    """A survey of the town recorded through the service, today; returns its need ids."""
    with db.write_session(world.url) as s:
        survey = surveys.record(
            s, actor=world.town.officer, site_id=village or world.town.village_a,
            surveyed_on=db.utcnow().date() - timedelta(days=1), respondent="李大娘家",
            people_covered=3,
            needs=[NeedInput(category_id=category or world.town.category, priority="hear",
                             text=text) for text in texts])
        return list(s.exec(select(Need.id).where(Need.survey_id == survey.id).order_by(Need.id)))


def _frame(at, column):
    """The table showing this column (a table without selection carries no key)."""
    frames = [f.value for f in at.dataframe if column in f.value.columns]
    assert len(frames) == 1, [list(f.value.columns) for f in at.dataframe]
    return frames[0]


def _tick(at, rows):
    """Tick several rows of the needs list (AppTest takes a selection as the widget's state)."""
    at.session_state[table_key(at, "needs_table")] = {"selection": {"rows": rows, "columns": [],
                                                                    "cells": []}}
    return run(at)


def _click(at, key):
    at.button(key=key).click()
    return run(at)


# --- 需求调查 -----------------------------------------------------------------------------------


def test_the_officer_records_a_survey_with_two_needs(world):
    at = _page(world, "officer", "surveys.py")
    at.selectbox(key="sv_site_0").set_value(world.town.village_b)
    at.text_input(key="sv_resp_0").input("西村敬老院")
    at.number_input(key="sv_people_0").set_value(25)
    at.text_input(key="sv_text_0_0").input("想听防诈骗讲座")
    _click(at, "sv_add")
    at.selectbox(key="sv_cat_0_1").set_value(world.town.other_category)
    at.radio(key="sv_pri_0_1").set_value("get")
    at.text_input(key="sv_text_0_1").input("希望每月来量一次血压")
    _click(at, "sv_save")
    assert values(at.success) == [zh("surveys.recorded", needs=2)]
    with db.session(world.url) as s:
        survey = s.exec(select(Survey)).one()
        lines = s.exec(select(Need).order_by(Need.id)).all()
    assert (survey.site_id, survey.respondent, survey.people_covered, survey.officer_id) == (
        world.town.village_b, "西村敬老院", 25, world.town.officer.id)
    assert [(n.category_id, n.priority.value, n.text) for n in lines] == [
        (world.town.category, "hear", "想听防诈骗讲座"),
        (world.town.other_category, "get", "希望每月来量一次血压")]
    assert at.text_input(key="sv_resp_1").value == ""  # the form starts afresh


def test_a_survey_without_a_respondent_is_refused_and_writes_nothing(world):
    at = _page(world, "officer", "surveys.py")
    at.text_input(key="sv_text_0_0").input("想听讲座")
    _click(at, "sv_save")
    assert values(at.error) == [zh("error.required", field=zh("field.respondent"))]
    with db.session(world.url) as s:
        assert s.exec(select(Survey)).all() == []


def test_the_survey_list_shows_the_visits_and_filters_by_village(world):
    _survey(world, "想听讲座")
    _survey(world, "想看电影", village=world.town.village_b)
    at = _page(world, "manager", "surveys.py")
    assert sorted(_frame(at, "officer")["site"]) == ["东村", "西村"]
    at.selectbox(key="svf_site").set_value(world.town.village_b)
    run(at)
    assert list(_frame(at, "officer")["site"]) == ["西村"]
    assert zh("surveys.import_tab") in [tab.label for tab in at.tabs]


def test_officers_have_no_import_tab(world):
    at = _page(world, "officer", "surveys.py")
    assert zh("surveys.import_tab") not in [tab.label for tab in at.tabs]


# --- 群众需求 -----------------------------------------------------------------------------------


def test_the_manager_turns_two_needs_of_one_village_into_one_order(world):
    ids = _survey(world, "想听防诈骗讲座", "想听养老金政策")
    at = _page(world, "manager", "needs.py")
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the heat map
    assert sorted(table(at, "needs_table")["text"]) == ["想听养老金政策", "想听防诈骗讲座"]
    _tick(at, [0, 1])
    title = next(w for w in at.text_input if (w.key or "").startswith("nd_title_"))
    assert title.value == "想听防诈骗讲座"
    submit(at, zh("orders.place"))
    with db.session(world.url) as s:
        order = s.exec(select(WorkOrder).where(WorkOrder.title == "想听防诈骗讲座")).one()
        linked = s.exec(select(Need.order_id).where(Need.id.in_(ids))).all()
    assert linked == [order.id, order.id] and order.expected_beneficiaries == 3
    assert values(at.success) == [zh("needs.ordered", code=order.code, count=2)]
    assert zh("needs.none") in values(at.info)  # nothing open is left

    orders_page = goto(at, "orders.py")
    rows = list(table(orders_page, "orders_table")["code"])
    select_row(orders_page, "orders_table", rows.index(order.code))
    needs_shown = next(f.value for f in orders_page.dataframe if "respondent" in f.value.columns)
    assert sorted(needs_shown["text"]) == ["想听养老金政策", "想听防诈骗讲座"]


def test_closing_a_need_asks_for_confirmation_first(world):
    need_id, = _survey(world, "想在村里建游泳池")
    at = _page(world, "officer", "needs.py")
    select_row(at, "needs_table", 0)
    at.text_input(key="nd_close_reason").input("超出服务范围")
    submit(at, zh("needs.close"))
    assert values(at.warning) == [zh("common.confirm_first")]
    at.checkbox(key="nd_close_sure").check()
    submit(at, zh("needs.close"))
    with db.session(world.url) as s:
        need = s.get(Need, need_id)
    assert (need.status, need.closed_reason) == (NeedStatus.closed, "超出服务范围")
    assert values(at.success) == [zh("needs.closed")]


def test_needs_of_two_villages_show_why_they_cannot_make_one_order(world):
    _survey(world, "想听讲座")
    _survey(world, "想听讲座", village=world.town.village_b)
    at = _page(world, "manager", "needs.py")
    _tick(at, [0, 1])
    assert values(at.warning) == [zh("error.needs_one_village")]
    assert not at.get("form_submit_button")


def test_the_leader_reads_the_board_but_cannot_order_or_close(world):
    _survey(world, "想听讲座")
    at = _page(world, "leader", "needs.py")
    assert len(at.dataframe) == 1 and at.dataframe[0].key is None  # no selection
    assert not at.get("form_submit_button")


# --- 服务菜单 -----------------------------------------------------------------------------------


def test_the_manager_adds_an_item_and_it_is_flagged_once_idle(world):
    at = _page(world, "manager", "menu.py")
    assert zh("menu.none") in values(at.info)
    at.text_input(key="menu_title_None").input("反诈宣讲")
    at.selectbox(key="menu_cat_None").set_value(world.town.category)
    at.multiselect(key="menu_teams_None").select(world.town.team_a)
    submit(at, zh("common.save"))
    with db.write_session(world.url) as s:
        item = s.exec(select(ServiceItem)).one()
        assert catalog.item_teams(s, item_id=item.id) == [world.town.team_a]
        item.created_at = db.utcnow() - timedelta(days=400)
        s.add(item)
        s.commit()
    run(at)
    row = _frame(at, "flags").iloc[0]
    assert row["title"] == "反诈宣讲"  # its teams are in the export and the item's form
    assert row["flags"] == zh("menu.flag_idle", months=6, last=zh("menu.never"))


def test_retiring_an_item_needs_a_confirmation_and_a_reason(world):
    with db.write_session(world.url) as s:
        item = catalog.create_item(s, actor=world.town.manager, title="送电影下乡",
                                   category_id=world.town.category)
    at = _page(world, "manager", "menu.py")
    at.selectbox(key="menu_pick").set_value(item.id)
    run(at)
    at.text_input(key="menu_retire_reason").input("观众逐年减少")
    submit(at, zh("menu.retire"))
    assert values(at.warning) == [zh("common.confirm_first")]
    at.checkbox(key="menu_retire_sure").check()
    submit(at, zh("menu.retire"))
    with db.session(world.url) as s:
        saved = s.get(ServiceItem, item.id)
    assert (saved.active, saved.retired_reason) == (False, "观众逐年减少")


def test_the_leader_reads_the_menu_without_the_edit_form(world):
    at = _page(world, "leader", "menu.py")
    assert values(at.title) == [zh("menu.title")]
    assert not at.get("form_submit_button")


# --- 概览 --------------------------------------------------------------------------------------


def test_the_overview_shows_needs_against_orders_done(world):
    _survey(world, "想听讲座")
    at = _page(world, "leader", "overview.py")
    assert zh("overview.demand_supply") in values(at.subheader)
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    # orders by month, needs against orders done, and the four leader charts of issue 13
    assert len(charts) == 6


# --- 批量导入 -----------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(world, rows):
    from tests.services.test_survey_import import xlsx

    at = _page(world, "manager", "surveys.py")
    at.file_uploader(key="sv_upload_0").set_value(("三月.xlsx", xlsx(rows), XLSX))
    return run(at)


def test_an_import_with_a_bad_row_names_the_row_and_column_and_offers_no_import(world):
    day = (db.utcnow() - timedelta(days=1)).date().isoformat()
    at = _upload(world, [["东村", day, "李家", 3, "理论宣讲", "", "想听讲座", "最想听"],
                         ["南村", day, "王家", 2, "理论宣讲", "", "想听讲座", "最想听"]])
    errors = _frame(at, "message")
    assert list(zip(errors["row"], errors["column"], errors["message"], strict=False)) == [
        (3, "村（站）", zh("error.import_site", name="南村"))]
    assert values(at.error) == [zh("surveys.import_refused", count=1)]
    assert zh("surveys.import") not in [b.label for b in at.get("form_submit_button")]
    with db.session(world.url) as s:
        assert s.exec(select(Survey)).all() == []


def test_a_valid_import_is_written_only_after_the_confirmation(world):
    day = (db.utcnow() - timedelta(days=1)).date().isoformat()
    at = _upload(world, [["东村", day, "李家", 3, "理论宣讲", "", "想听讲座", "最想听"],
                         ["西村", day, "王家", 2, "理论宣讲", "", "@所有人 想看电影", "最想要"]])
    submit(at, zh("surveys.import"))
    assert values(at.warning) == [zh("common.confirm_first")]
    at.checkbox(key="sv_import_sure").check()
    submit(at, zh("surveys.import"))
    assert values(at.success) == [zh("surveys.imported", surveys=2, needs=2)]
    with db.session(world.url) as s:
        assert sorted(s.exec(select(Need.text)).all()) == ["@所有人 想看电影", "想听讲座"]


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_message(world):
    at = _page(world, "manager", "surveys.py")
    at.file_uploader(key="sv_upload_0").set_value(("list.xlsx", b"a,b\n1,2\n", XLSX))
    run(at)
    assert values(at.error) == [zh("error.import_not_xlsx")]
