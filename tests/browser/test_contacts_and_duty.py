"""户联系 and 站点值班 clicked through, as the issue asks: the manager pairs a party member with two
households, the officer records a visit with a need and the need is on the board; the manager
sets a Tuesday 15–18 slot for two volunteers, marks attendance, and the volunteers' hours grow."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import func
from sqlmodel import select

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from core import db  # noqa: E402
from models import (  # noqa: E402
    ContactPair,
    DutyAssignment,
    DutySlot,
    Gender,
    Need,
    ServiceRecord,
    Site,
    Volunteer,
)
from services import duty, households, users, volunteers  # noqa: E402
from services.clock import local_today  # noqa: E402
from services.households import HouseholdInput  # noqa: E402

MEMBER = "党员（浏览器）"
HOMES = ("甲户（浏览器）", "乙户（浏览器）")
NEED = "想听家庭教育讲座（浏览器）"
STATION = "微爱服务站（浏览器）"


def _prepare(server) -> dict:
    with db.write_session(server.db_url) as s:
        mgr = users.to_actor(s, users.by_username(s, "mgr"))
        village = s.exec(select(Site.id).where(Site.name == "东村")).one()
        for i, head in enumerate(HOMES):
            households.create(s, actor=mgr, raw=HouseholdInput(
                site_id=village, head_name=head, address=f"东村浏览器路 {i + 1} 号", people=3))
        volunteers.create(s, actor=mgr, name=MEMBER, phone="13766660001", gender=Gender.female,
                          site_id=village, party_member=True, registered_on=date(2025, 1, 1))
        station = duty.create_station(s, actor=mgr, site_id=village, name=STATION,
                                      address="人民东路780号")
        duty.set_hours(s, actor=mgr, station_id=station.id, periods=[(1, time(14), time(20))])
        ids = list(s.exec(select(Volunteer.id).where(Volunteer.name.in_(("志愿者0", "志愿者1")))
                          .order_by(Volunteer.name)))
        return {"station": station.id, "volunteers": ids}


def _hours(server, ids) -> float:
    with db.session(server.db_url) as s:
        return s.exec(select(func.coalesce(func.sum(ServiceRecord.hours), 0.0))
                      .where(ServiceRecord.volunteer_id.in_(ids))).one()


def _pairs(server) -> int:
    with db.session(server.db_url) as s:
        return len(s.exec(select(ContactPair)).all())


def _tab(page, name):
    page.get_by_role("tab", name=name, exact=True).click()


def _panel(page):
    """The open tab: every tab's widgets are in the page, only the open one is visible."""
    return page.locator('[role="tabpanel"]:visible')


def _form(page, button: str):
    """The open tab's form with this submit button. Found by test ids and text, not by roles: an
    open select box's list hides the rest of the page from the accessibility tree."""
    return _panel(page).get_by_test_id("stForm").filter(
        has=page.get_by_test_id("stFormSubmitButton").filter(has_text=button))


def _type_segments(field, digits: str) -> None:
    """Type into a st.date_input: a group of segments (year, month, day) that move on by
    themselves."""
    field.get_by_role("spinbutton").first.click()
    field.page.keyboard.type(digits)
    field.page.keyboard.press("Tab")


def _type_time(field, at: time) -> None:
    """Type into a st.time_input. In Streamlit 1.67 it is a react-aria time field: a group
    (named by the label) of two spinbutton segments, hour and minute, each moving on to the
    next when full; the value is committed when both are. Click the hour, type "1500", Tab
    away; a key press lost in a rerun on a loaded machine leaves a segment empty ("HH"/"mm"),
    so the segments are read back and typed again until they show the time."""
    segments = field.get_by_role("spinbutton")
    wanted = [f"{at.hour:02d}", f"{at.minute:02d}"]
    for _attempt in range(4):
        segments.first.click()
        field.page.keyboard.type("".join(wanted))
        field.page.keyboard.press("Tab")
        try:
            expect(segments).to_have_text(wanted, timeout=3_000)
            return
        except AssertionError:
            continue
    expect(segments).to_have_text(wanted)


def _type_date(field, day: date) -> None:
    """Type a date (format YYYY-MM-DD: year, month, day segments), read back like _type_time."""
    wanted = [f"{day.year:04d}", f"{day.month:02d}", f"{day.day:02d}"]
    segments = field.get_by_role("spinbutton")
    for _attempt in range(4):
        _type_segments(field, "".join(wanted))
        try:
            expect(segments).to_have_text(wanted, timeout=3_000)
            return
        except AssertionError:
            continue
    expect(segments).to_have_text(wanted)


def _choose(ui, label: str, option: re.Pattern, within=None) -> None:
    """UI.choose, for a select box of the open tab (other tabs have boxes of the same name), or
    of one form in it (`within`)."""
    page = ui.page
    box = (within or _panel(page)).get_by_role("combobox", name=label, exact=True)
    wanted = page.get_by_role("option", name=option)
    for _attempt in range(5):
        box.click()
        box.press("ArrowDown")
        try:
            wanted.first.wait_for(timeout=2_000)
            break
        except Exception:  # noqa: BLE001 — a key press lost in a rerun: try again
            page.keyboard.press("Escape")
    wanted.first.click()
    expect(box).to_have_value(option)
    ui.settled()


def test_pairing_a_visit_with_a_need_and_duty_attendance(open_ui):
    manager = open_ui()
    data = _prepare(manager.server)
    page = manager.goto("/contacts")
    manager.login("mgr", cookie=False)
    expect(page.get_by_role("heading", name="户联系", exact=True)).to_be_visible()
    for n, head in enumerate(HOMES, start=1):
        _tab(page, "结对")
        manager.settled()
        manager.pick_row(head)
        form = page.get_by_test_id("stForm").filter(has_text=f"为 {head} 结对")
        expect(form).to_be_visible()
        _choose(manager, "联系党员", re.compile(re.escape(MEMBER)))
        manager.submit(form.get_by_role("button", name="结对", exact=True),
                       page.get_by_text(f"已为 {head} 结对。"),
                       lambda n=n: _pairs(manager.server) < n)
        manager.no_app_error()
    assert _pairs(manager.server) == 2

    officer = open_ui()
    page = officer.goto("/contacts")
    officer.login("off", cookie=False)
    expect(page.get_by_role("heading", name="户联系", exact=True)).to_be_visible()
    _choose(officer, "联系党员", re.compile(re.escape(MEMBER)))
    _choose(officer, "走访的户", re.compile(re.escape(HOMES[0])))
    # The pairs began today (local time): the visit is today's.
    _type_date(_panel(page).get_by_label("走访日期", exact=True),
               local_today(db.utcnow(), "Asia/Shanghai"))
    officer.settled()
    page.get_by_test_id("stMain").get_by_text("入户", exact=True).click()
    page.get_by_label("走访内容", exact=True).fill("聊孩子学习和家庭教育")
    officer.settled()
    page.get_by_role("button", name="添加群众需求").click()
    officer.settled()
    _choose(officer, "服务类别", re.compile("理论宣讲"))
    page.get_by_test_id("stMain").get_by_text("最想听", exact=True).click()
    officer.settled()
    page.get_by_label("需求内容", exact=True).fill(NEED)
    page.get_by_label("需求内容", exact=True).press("Enter")
    officer.settled()
    officer.shot("contacts_1_visit_form", review=True)
    officer.submit(page.get_by_role("button", name="保存走访"),
                   page.get_by_text("已保存走访记录（群众需求 1 条）。"),
                   lambda: not _need_saved(officer.server))
    officer.no_app_error()
    page = officer.goto("/needs")
    expect(page.get_by_role("heading", name="群众需求", exact=True)).to_be_visible()
    # The grid is a canvas; its accessible twin holds the cells' text.
    row = page.locator('tr[role="row"]').filter(
        has=page.locator('td[role="gridcell"]', has_text=re.compile(f"^{re.escape(NEED)}$")))
    expect(row).to_have_count(1)
    expect(row.locator('td[role="gridcell"]', has_text=re.compile("^户联系$"))).to_have_count(1)
    officer.shot("contacts_2_need_on_board", review=True)

    before = _hours(manager.server, data["volunteers"])
    page = manager.goto("/duty")
    expect(page.get_by_role("heading", name="值班表", exact=True)).to_be_visible()
    _tab(page, "值班安排")
    _choose(manager, "服务站", re.compile(re.escape(STATION)))
    _choose(manager, "星期", re.compile("^周二$"))
    slot_form = _form(page, "添加值班时段")
    _type_time(slot_form.get_by_role("group", name="开始时间", exact=True), time(15))
    _type_time(slot_form.get_by_role("group", name="结束时间", exact=True), time(18))
    # (no Enter in the number: Enter in a form's field submits the form)
    slot_form.get_by_label("需要人数", exact=True).fill("2")
    expect(slot_form.get_by_label("需要人数", exact=True)).to_have_value("2")
    manager.submit(slot_form.get_by_role("button", name="添加值班时段"),
                   page.get_by_text("已添加值班时段。"), lambda: _slots(manager.server) == 0)
    manager.no_app_error()
    assert _slots(manager.server) == 1
    _choose(manager, "值班时段", re.compile("周二 15:00–18:00"))
    for name in ("志愿者0", "志愿者1"):
        # (the one-off change form below has a 志愿者 box too)
        assign_form = _form(page, "安排值班")
        _choose(manager, "志愿者", re.compile(f"^{name}$"), within=assign_form)
        _type_date(assign_form.get_by_label("开始日期", exact=True), date(2026, 1, 1))
        manager.settled()
        manager.submit(assign_form.get_by_role("button", name="安排值班"),
                       page.get_by_text(f"已安排 {name} 值班。"),
                       lambda name=name: not _assigned(manager.server, name))
        manager.no_app_error()
    _tab(page, "到岗登记")
    _choose(manager, "服务站", re.compile(re.escape(STATION)))
    _choose(manager, "值班时段", re.compile("周二 15:00–18:00"))
    manager.settled()
    # The marks are drawn by the run the slot's choice started: wait for both volunteers' rows.
    marks = _form(page, "保存到岗情况")
    expect(marks.get_by_role("radiogroup")).to_have_count(2)
    for group in marks.get_by_role("radiogroup").all():
        group.get_by_text("到岗", exact=True).click()
        expect(group.get_by_role("radio", name="到岗", exact=True)).to_be_checked()
    manager.shot("duty_1_attendance", review=True)
    manager.submit(page.get_by_role("button", name="保存到岗情况"),
                   page.get_by_text("已保存到岗情况，2 名志愿者计入服务时长。"),
                   lambda: _hours(manager.server, data["volunteers"]) == before)
    manager.no_app_error()
    assert _hours(manager.server, data["volunteers"]) == before + 6.0


def _slots(server) -> int:
    with db.session(server.db_url) as s:
        return len(s.exec(select(DutySlot)).all())


def _assigned(server, name: str) -> bool:
    with db.session(server.db_url) as s:
        return s.exec(select(DutyAssignment.id).join(
            Volunteer, Volunteer.id == DutyAssignment.volunteer_id)
            .where(Volunteer.name == name)).first() is not None


def _need_saved(server) -> bool:
    with db.session(server.db_url) as s:
        return s.exec(select(Need).where(Need.text == NEED)).first() is not None
