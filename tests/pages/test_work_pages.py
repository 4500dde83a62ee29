"""One happy path per page, driven through its widgets by key, with the effect checked in the
database; and the error paths where a page must refuse and change nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core import db
from models import OrderStatus, Rating, ServiceRecord, Team, User, Volunteer, WorkOrder
from services import settings, users
from tests.pages.conftest import (
    codes,
    goto,
    open_app,
    run,
    select_code,
    select_row,
    submit,
    table,
    values,
    zh,
)


def _order(world, order_id) -> WorkOrder:
    with db.session(world.url) as s:
        return s.get(WorkOrder, order_id)


def _page(world, who, page):
    at = open_app(getattr(world.town, who))
    return goto(at, page)


# --- 概览 --------------------------------------------------------------------------------------


def test_the_overview_shows_the_leader_eight_tiles_and_the_monthly_chart(world):
    at = _page(world, "leader", "overview.py")
    tiles = {m.label: m.value for m in at.metric}
    assert len(at.metric) >= 8
    assert tiles[zh("overview.placed")] == "5"   # the five orders of the town, placed today
    assert tiles[zh("overview.done")] == "1"
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


# --- 工单 --------------------------------------------------------------------------------------


def test_the_orders_page_lists_the_orders_of_the_officers_sites(world):
    at = _page(world, "officer", "orders.py")
    o = world.orders
    assert codes(at, "orders_table") == {o.submitted[1], o.dispatched_a[1], o.accepted_a[1],
                                         o.completed_a[1], o.dispatched_b[1]}


def test_picking_an_order_shows_its_detail_and_history(world):
    at = _page(world, "officer", "orders.py")
    select_code(at, "orders_table", world.orders.completed_a[1])
    assert values(at.subheader)[0] == f"{world.orders.completed_a[1]} · {zh('status.completed')}"
    history = at.dataframe[-1].value
    assert list(history["change"])[-1].endswith(zh("status.completed"))
    assert not [w for w in at.text_input if w.key.endswith("_reason")]  # officers cannot cancel


def test_the_status_filter_narrows_the_list(world):
    at = _page(world, "officer", "orders.py")
    at.multiselect(key="orders_status").select("dispatched")
    run(at)
    assert codes(at, "orders_table") == {world.orders.dispatched_a[1], world.orders.dispatched_b[1]}


def test_placing_an_order_through_the_form_creates_it(world):
    at = _page(world, "officer", "orders.py")
    at.selectbox(key="place_cat").set_value(world.town.category)
    run(at)
    at.selectbox(key="place_site").set_value(world.town.village_b)
    at.text_input(key="place_title").input("村里想听防诈骗讲座")
    at.selectbox(key="place_source").set_value("phone")
    submit(at, zh("orders.place"))
    with db.session(world.url) as s:
        placed = s.exec(select(WorkOrder).where(WorkOrder.title == "村里想听防诈骗讲座")).one()
    assert (placed.site_id, placed.source.value, placed.status) == (
        world.town.village_b, "phone", OrderStatus.submitted)
    assert values(at.success) == [zh("orders.placed", code=placed.code)]


def test_placing_an_order_without_a_title_is_refused_and_creates_nothing(world):
    at = _page(world, "officer", "orders.py")
    submit(at, zh("orders.place"))
    # every refusal at once, each naming its field, and nothing chosen for the user
    assert len(at.error) == 1
    assert at.error[0].value.splitlines() == [
        zh("error.problems", count=4), "", f"- {zh('error.site_required')}",
        f"- {zh('error.required', field=zh('field.title'))}",
        f"- {zh('error.choose', field=zh('field.source'))}", f"- {zh('error.category_required')}"]
    with db.session(world.url) as s:
        assert len(s.exec(select(WorkOrder)).all()) == 5


def test_a_manager_cancels_an_order_only_after_ticking_the_confirmation(world):
    order_id, code = world.orders.submitted
    at = _page(world, "manager", "orders.py")
    select_code(at, "orders_table", code)
    at.text_input(key=f"cancel_{order_id}_reason").input("群众已不需要")
    submit(at, zh("orders.cancel"))
    assert values(at.warning) == [zh("common.confirm_first")]
    assert _order(world, order_id).status == OrderStatus.submitted

    at.checkbox(key=f"cancel_{order_id}_sure").check()
    submit(at, zh("orders.cancel"))
    assert _order(world, order_id).status == OrderStatus.cancelled
    assert values(at.success) == [zh("orders.cancelled", code=code)]


# --- 派单 --------------------------------------------------------------------------------------


def test_the_overdue_tab_names_who_holds_each_late_order_and_by_how_much(world):
    from datetime import timedelta

    from services import orders as order_service

    with db.write_session(world.url) as s:
        late = order_service.place(s, actor=world.town.officer, site_id=world.town.village_a,
                                   category_id=world.town.category, title="早已超时的工单",
                                   source="phone", now=db.utcnow() - timedelta(days=3, hours=2))
    at = _page(world, "manager", "dispatch.py")
    tables = [f.value for f in at.dataframe if f.key is None or "dispatch_table" not in f.key]
    overdue = next(df for df in tables if "holder" in df.columns)
    row = overdue[overdue["code"] == late.code].iloc[0]
    assert row["holder"] == zh("overdue.holder_desk")
    assert row["overdue"] == zh("overdue.dispatch")
    assert row["late"] == zh("overdue.late_days", days=2, hours=2)


# --- 我的工单 -----------------------------------------------------------------------------------


def test_a_team_lead_sees_only_their_own_teams_orders(world):
    at = _page(world, "lead_a", "my_orders.py")
    assert codes(at, "my_orders_table_dispatched") == {world.orders.dispatched_a[1]}
    at.segmented_control(key="my_orders_tab").set_value("accepted")
    run(at)
    assert codes(at, "my_orders_table_accepted") == {world.orders.accepted_a[1]}
    at.segmented_control(key="my_orders_tab").set_value("completed")
    run(at)
    assert codes(at, "my_orders_table_completed") == {world.orders.completed_a[1]}
    assert world.orders.dispatched_b[1] not in codes(at, "my_orders_table_completed")

    other = _page(world, "lead_b", "my_orders.py")
    assert codes(other, "my_orders_table_dispatched") == {world.orders.dispatched_b[1]}


def test_the_team_lead_accepts_a_dispatched_order(world):
    order_id, code = world.orders.dispatched_a
    at = _page(world, "lead_a", "my_orders.py")
    select_code(at, "my_orders_table_dispatched", code)
    submit(at, zh("my_orders.accept"))
    assert _order(world, order_id).status == OrderStatus.accepted
    assert values(at.success) == [zh("my_orders.accepted", code=code)]


def test_declining_needs_a_reason_and_then_returns_the_order_to_the_queue(world):
    order_id, code = world.orders.dispatched_a
    at = _page(world, "lead_a", "my_orders.py")
    select_code(at, "my_orders_table_dispatched", code)
    submit(at, zh("my_orders.decline"))
    assert values(at.error) == [zh("error.required", field=zh("field.reason"))]
    assert _order(world, order_id).status == OrderStatus.dispatched

    at.text_area(key="decline_reason").input("本周队员都在外出培训")
    submit(at, zh("my_orders.decline"))
    order = _order(world, order_id)
    assert (order.status, order.team_id, order.last_decline_reason) == (
        OrderStatus.submitted, None, "本周队员都在外出培训")
    assert values(at.success) == [zh("my_orders.declined", code=code)]


def _accepted_tab(world):
    at = _page(world, "lead_a", "my_orders.py")
    at.segmented_control(key="my_orders_tab").set_value("accepted")
    run(at)
    return select_code(at, "my_orders_table_accepted", world.orders.accepted_a[1])


def test_marking_done_with_no_volunteer_ticked_is_refused(world):
    at = _accepted_tab(world)
    editor = [e for e in at.data_editor if e.key == "complete_volunteers"]
    assert len(editor) == 1 and len(editor[0].value) == 3  # the three volunteers of team A
    submit(at, zh("my_orders.complete"))
    assert values(at.error) == [zh("error.volunteers_required")]
    assert _order(world, world.orders.accepted_a[0]).status == OrderStatus.accepted


def test_marking_done_records_the_ticked_volunteers_and_the_beneficiaries(world):
    at = _accepted_tab(world)
    # AppTest cannot click cells; a keyed data_editor takes its edit state from session state.
    at.session_state["complete_volunteers"] = {
        "edited_rows": {0: {"take_part": True}, 2: {"take_part": True, "hours": 3.5}},
        "added_rows": [], "deleted_rows": []}
    at.number_input(key="complete_group_elderly").set_value(12)
    submit(at, zh("my_orders.complete"))
    order_id = world.orders.accepted_a[0]
    order = _order(world, order_id)
    assert (order.status, order.actual_beneficiaries) == (OrderStatus.completed, 12)
    with db.session(world.url) as s:
        hours = {r.volunteer_id: r.hours for r in
                 s.exec(select(ServiceRecord).where(ServiceRecord.order_id == order_id))}
    v = world.town.volunteers_a
    assert hours == {v[0]: 2.0, v[2]: 3.5}


# --- 评单 --------------------------------------------------------------------------------------


def test_a_rating_from_a_follow_up_call_is_recorded(world):
    order_id, code = world.orders.completed_a
    at = _page(world, "officer", "ratings.py")
    assert codes(at, "ratings_table") == {code}
    select_code(at, "ratings_table", code)
    at.radio(key=f"rate_{order_id}_level").set_value(4)
    at.radio(key=f"rate_{order_id}_channel").set_value("call")
    at.text_area(key=f"rate_{order_id}_comment").input("讲得很实在")
    submit(at, zh("ratings.submit"))
    assert _order(world, order_id).status == OrderStatus.rated
    with db.session(world.url) as s:
        rating = s.exec(select(Rating).where(Rating.order_id == order_id)).one()
    assert (rating.level, rating.channel.value, rating.comment) == (4, "call", "讲得很实在")
    assert values(at.success) == [zh("ratings.saved", code=code)]


# --- 志愿服务队 ---------------------------------------------------------------------------------


def test_the_manager_adds_a_team(world):
    at = _page(world, "manager", "teams.py")
    assert {"宣讲支队", "健康支队"} <= set(table_names(at))
    at.text_input(key="team_name_None").input("文艺小队")
    at.selectbox(key="team_parent_None").set_value(world.town.team_a)
    at.multiselect(key="team_cats_None").select(world.town.category)
    submit(at, zh("common.save"))
    with db.session(world.url) as s:
        team = s.exec(select(Team).where(Team.name == "文艺小队")).one()
    # the tier followed the parent: under a 支队, a 小队
    assert (team.parent_id, team.site_id, team.tier) == (world.town.team_a, world.town.station,
                                                         "squad")
    assert values(at.success) == [zh("forms.team_saved", name="文艺小队")]
    assert "文艺小队" in table_names(at)



def test_picking_a_team_shows_its_record_and_members(world):
    at = _page(world, "manager", "teams.py")
    assert zh("teams.record.done") not in [m.label for m in at.metric]
    at.selectbox(key="team_pick").set_value(world.town.team_a)
    run(at)
    figures = {m.label: m.value for m in at.metric}
    assert figures[zh("teams.col.members")] == str(len(world.town.volunteers_a))
    assert zh("teams.record.done") in figures and zh("teams.record.on_time") in figures
    assert at.text_input(key=f"team_name_{world.town.team_a}").value == "宣讲支队"

def table_names(at):
    return list(at.dataframe[0].value["name"])


# --- 志愿者 ------------------------------------------------------------------------------------


def _volunteer_names(world):
    with db.session(world.url) as s:
        return set(s.exec(select(Volunteer.name)))


def test_the_manager_registers_a_volunteer(world):
    at = _page(world, "manager", "volunteers.py")
    assert {"志愿者0", "志愿者1", "志愿者2"} <= set(table_names(at))
    at.text_input(key="vol_name_new").input("李四")
    at.text_input(key="vol_phone_new").input("13912345678")
    at.selectbox(key="vol_gender_new").set_value("female")
    at.selectbox(key="vol_site_new").set_value(world.town.village_b)
    at.multiselect(key="vol_teams_new").select(world.town.team_b)
    submit(at, zh("common.save"))
    with db.session(world.url) as s:
        vol = s.exec(select(Volunteer).where(Volunteer.name == "李四")).one()
    assert (vol.phone, vol.site_id) == ("13912345678", world.town.village_b)
    assert values(at.success) == [zh("forms.volunteer_saved", name="李四")]


def test_a_volunteer_with_a_bad_phone_number_is_refused_and_not_written(world):
    at = _page(world, "manager", "volunteers.py")
    at.text_input(key="vol_name_new").input("王五")
    at.text_input(key="vol_phone_new").input("12345")
    at.selectbox(key="vol_gender_new").set_value("female")
    at.selectbox(key="vol_site_new").set_value(world.town.village_b)
    submit(at, zh("common.save"))
    assert values(at.error) == [zh("error.phone_format")]
    assert "王五" not in _volunteer_names(world)


# --- 账号 --------------------------------------------------------------------------------------


def test_the_manager_adds_a_user_and_sees_the_temporary_password_once(world):
    at = _page(world, "manager", "users.py")
    assert "off" in list(table(at, "users_table")["username"])
    at.text_input(key="user_name_new").input("wang")
    at.text_input(key="user_display_new").input("王实践员")
    at.selectbox(key="user_role_new").set_value("officer")
    submit(at, zh("common.save"))
    with db.session(world.url) as s:
        user = users.by_username(s, "wang")
        assert user is not None and user.must_change_password
        shown = [c.value for c in at.code]
        assert len(shown) == 1 and users._check(shown[0], user.password_hash)
    assert zh("users.temp_password", username="wang") in values(at.info)
    run(at)  # any next run: the password is gone from the screen and from session state
    assert not at.code and "users_temp_password" not in at.session_state


def test_a_manager_cannot_add_a_user_with_a_taken_username(world):
    at = _page(world, "manager", "users.py")
    at.text_input(key="user_name_new").input("off")
    at.text_input(key="user_display_new").input("重名的人")
    submit(at, zh("common.save"))
    assert values(at.error) == [zh("error.username_taken", username="off")]
    assert not at.code
    with db.session(world.url) as s:
        assert len(s.exec(select(User).where(User.username == "off")).all()) == 1


def test_deactivating_a_user_needs_the_confirmation_tick(world):
    at = _page(world, "manager", "users.py")
    rows = list(table(at, "users_table")["username"])
    select_row(at, "users_table", rows.index("off"))
    assert values(at.subheader)[0] == zh("users.edit", username="off")
    submit(at, zh("users.deactivate"))
    assert values(at.warning) == [zh("common.confirm_first")]
    with db.session(world.url) as s:
        assert s.get(User, world.town.officer.id).active
    at.checkbox(key="user_active_sure").check()
    submit(at, zh("users.deactivate"))
    with db.session(world.url) as s:
        assert not s.get(User, world.town.officer.id).active


# --- 设置 --------------------------------------------------------------------------------------


def _settings(world):
    with db.session(world.url) as s:
        return settings.current(s)


def test_the_manager_changes_a_time_limit(world):
    at = _page(world, "manager", "settings.py")
    at.number_input(key="set_dispatch_days").set_value(3)
    submit(at, zh("common.save"))
    assert _settings(world)["dispatch_days"] == 3
    assert values(at.success) == [zh("common.saved")]
    assert at.number_input(key="set_dispatch_days").value == 3


def test_a_setting_out_of_range_is_refused_and_nothing_changes(world):
    before = _settings(world)
    at = _page(world, "manager", "settings.py")
    at.number_input(key="set_accept_days").set_value(3)       # a valid change in the same form
    at.number_input(key="set_dispatch_days").set_value(99)    # allowed: 1–30
    submit(at, zh("common.save"))
    assert len(at.error) == 1 and zh("settings.label.dispatch_days") in at.error[0].value
    assert _settings(world) == before


# --- 我的账号 -----------------------------------------------------------------------------------


def test_a_user_changes_their_own_password(world):
    at = _page(world, "officer", "account.py")
    at.text_input(key="pw_old").input("correct horse")
    at.text_input(key="pw_new").input("battery staple")
    at.text_input(key="pw_again").input("battery staple")
    submit(at, zh("account.change"))
    assert values(at.success) == [zh("account.changed")]
    with db.session(world.url) as s:
        assert users._check("battery staple", s.get(User, world.town.officer.id).password_hash)
    assert at.session_state["user_id"] == world.town.officer.id


@pytest.mark.parametrize("old, new, again, message", [
    ("correct horse", "battery staple", "battery stable", "error.password_mismatch"),
    ("wrong horse", "battery staple", "battery staple", "error.password_wrong"),
])
def test_a_password_change_with_a_mistake_is_refused(world, old, new, again, message):
    at = _page(world, "officer", "account.py")
    at.text_input(key="pw_old").input(old)
    at.text_input(key="pw_new").input(new)
    at.text_input(key="pw_again").input(again)
    submit(at, zh("account.change"))
    assert values(at.error) == [zh(message)]
    with db.session(world.url) as s:
        assert users._check("correct horse", s.get(User, world.town.officer.id).password_hash)
