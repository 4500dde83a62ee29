"""志愿者 in the browser: the manager imports a roster of three, a lead marks an order done with
one of them, the manager opens that volunteer's record, issues a 志愿服务记录证明 and prints it
(the printed PDF is A4), and redeems a reward with the points at the 积分超市 counter."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from core import db  # noqa: E402
from models import (  # noqa: E402
    Certificate,
    OrderSource,
    Redemption,
    ServiceCategory,
    ServiceRecord,
    Site,
    Volunteer,
)
from services import orders, settings, store, users  # noqa: E402
from tests.browser.test_full_loop import _app_today  # noqa: E402
from tests.services.test_roster_import import xlsx  # noqa: E402

NAMES = ("浏览器甲", "浏览器乙", "浏览器丙")
TITLE = "浏览器志愿者档案测试"


def _volunteer(server, name):
    with db.session(server.db_url) as s:
        return s.exec(select(Volunteer).where(Volunteer.name == name)).first()


def _setup(server) -> tuple[str, int]:
    """An order accepted by 宣讲支队, the certificate's issuer, and goods in the store."""
    with db.write_session(server.db_url) as s:
        manager = users.to_actor(s, users.by_username(s, "mgr"))
        lead = users.to_actor(s, users.by_username(s, "lead_a"))
        village = s.exec(select(Site.id).where(Site.name == "东村")).one()
        category = s.exec(select(ServiceCategory.id).where(
            ServiceCategory.name == "理论宣讲")).one()
        order = orders.place(s, actor=manager, site_id=village, category_id=category,
                             title=TITLE, source=OrderSource.survey)
        orders.dispatch(s, actor=manager, order_id=order.id, team_id=lead.team_id)
        orders.accept(s, actor=lead, order_id=order.id)
        settings.update(s, actor=manager, values={"certificate_head": "王主任",
                                                  "certificate_phone": "0797-1234567"})
        reward = store.save_reward(s, actor=manager, name="浏览器雨伞", cost=15, stock=1,
                                   site_id=manager.site_id)
        return order.code, reward.id


def test_import_serve_record_certify_print_and_redeem(open_ui, tmp_path):
    code, reward_id = _setup(open_ui().server)

    # 批量导入: the manager uploads a roster of three and confirms.
    manager = open_ui()
    page = manager.goto("/volunteers")
    manager.login("mgr", cookie=False)
    manager.pick_view("批量导入", page.locator('input[type="file"]'), away="志愿者名册")
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(xlsx([[NAMES[0], "13966660001", "女", "东村", "宣讲支队", "是", "宣讲",
                              "2026-01-05"],
                             [NAMES[1], "13966660002", "男", "东村", "宣讲支队", "否", "",
                              "2026-01-05"],
                             [NAMES[2], "13966660003", "女", "西村", "", "否", "医疗",
                              "2026-02-01"]]))
    form = page.get_by_test_id("stForm").filter(has_text="确认导入 3 名新志愿者")
    # a file set while a rerun replaces the input is lost
    manager.retry(lambda: page.locator('input[type="file"]').set_input_files(str(roster)), form,
                  timeout=15_000)
    manager.shot("vol_1_import_preview", review=True)
    form.get_by_text("确认导入 3 名新志愿者").click()
    manager.submit(form.get_by_role("button", name="导入", exact=True),
                   page.get_by_text("已导入：新增 3 名，更新 0 名，未更改 0 名。"),
                   lambda: _volunteer(manager.server, NAMES[0]) is None)
    manager.no_app_error()
    assert all(_volunteer(manager.server, n) for n in NAMES)

    # 完成: the lead of 宣讲支队 ticks the first of them and marks the order done.
    lead = open_ui()
    page = lead.goto("/my_orders")
    lead.login("lead_a", cookie=False)
    lead.pick_view("进行中", lead.grid_cell(code), away="待接单")
    lead.pick_row(code)
    form = page.get_by_test_id("stForm").filter(has_text="填写完成情况")
    expect(form).to_be_visible()
    expect(page.get_by_text(re.compile(f"特长相符的志愿者：.*{NAMES[0]}（宣讲）"))).to_be_visible()
    lead.settled()
    lead.tick_first_cell(NAMES[0])
    form.get_by_label("老人", exact=True).fill("8")
    lead.submit(form.get_by_role("button", name="完成", exact=True),
                page.get_by_text(f"工单 {code} 已完成，服务时长和积分已记录。"),
                lambda: not _served(lead.server))
    lead.no_app_error()
    assert _served(lead.server) == [2.0]

    # 志愿者档案: the manager finds the volunteer and opens the record.
    page = manager.page
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="志愿者").click()
    expect(page.get_by_role("heading", name="志愿者", exact=True).first).to_be_visible()
    manager.pick_view("志愿者名册", page.get_by_label("姓名或手机号", exact=True), away="批量导入")
    page.get_by_label("姓名或手机号", exact=True).fill(NAMES[0])
    page.get_by_label("姓名或手机号", exact=True).press("Enter")
    manager.settled()
    manager.retry(lambda: manager.pick_row(NAMES[0]),
                  page.get_by_role("heading", name=f"志愿者档案 · {NAMES[0]}"))
    page.get_by_role("tab", name="服务记录").click()
    expect(page.get_by_test_id("stDataFrame").filter(has_text=code)).to_be_visible()
    manager.settled()
    manager.shot("vol_2_record", review=True)
    page.set_viewport_size({"width": 390, "height": 900})
    manager.settled()
    manager.shot("vol_2b_record_phone", review=True)
    page.set_viewport_size({"width": 1366, "height": 1000})

    # 志愿服务记录证明: issue one for the last two days and print it.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="服务证明").click()
    expect(page.get_by_role("heading", name="志愿服务记录证明", exact=True)).to_be_visible()
    page.get_by_label("志愿者姓名或手机号", exact=True).fill(NAMES[0])
    page.get_by_label("志愿者姓名或手机号", exact=True).press("Enter")
    manager.settled()
    manager.choose("志愿者", re.compile(f"^{NAMES[0]}"))
    manager.settled()
    today = _app_today(manager.server)
    for label, day in (("服务期间自", today - timedelta(days=1)), ("至", today)):
        group = page.get_by_role("group", name=label, exact=True)
        for part, value in (("year", f"{day.year:04d}"), ("month", f"{day.month:02d}"),
                            ("day", f"{day.day:02d}")):
            spin = group.get_by_role("spinbutton", name=re.compile(f"^{part}"))
            spin.click()
            page.keyboard.type(value)
        expect(group.get_by_role("spinbutton", name=re.compile("^day"))).to_have_attribute(
            "aria-valuenow", str(day.day))
    form = page.get_by_test_id("stForm").filter(has_text="确认出具")
    form.get_by_text(re.compile("^确认出具")).click()
    manager.submit(form.get_by_role("button", name="出具证明", exact=True),
                   page.get_by_text(re.compile(r"已出具证明 ZM-\d{4}-\d{4}")),
                   lambda: not _certificates(manager.server))
    manager.no_app_error()
    number = _certificates(manager.server)[0]
    manager.pick_row(number)
    with page.expect_download() as download:
        page.get_by_role("button", name="下载打印件（A4）").click()
    printable = tmp_path / "certificate.html"
    download.value.save_as(printable)
    copy = manager.context.new_page()
    copy.goto(printable.as_uri())
    expect(copy.get_by_text(f"编号：{number}")).to_be_visible()
    expect(copy.get_by_text("（盖章）")).to_be_visible()
    manager.shot("vol_3_certificate_printed", page=copy, review=True)
    pdf = copy.pdf(prefer_css_page_size=True)
    media = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert media and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2
                         for w, h in media), media   # A4 in points
    copy.close()

    # 积分超市: redeem the umbrella for 15 of the 20 points.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="积分超市").click()
    expect(page.get_by_role("heading", name="积分超市", exact=True)).to_be_visible()
    page.get_by_label("志愿者姓名或手机号", exact=True).fill(NAMES[0])
    page.get_by_label("志愿者姓名或手机号", exact=True).press("Enter")
    manager.settled()
    manager.choose("志愿者", re.compile(f"^{NAMES[0]}"))
    manager.settled()
    manager.choose("兑换物品", re.compile("^浏览器雨伞"))
    form = page.get_by_test_id("stForm").filter(has_text="确认兑换")
    form.get_by_text(re.compile("^确认兑换")).click()
    manager.settled()
    manager.shot("vol_4_counter", review=True)
    manager.submit(form.get_by_role("button", name="兑换", exact=True),
                   page.get_by_text("已兑换「浏览器雨伞」，扣除 15 积分。"),
                   lambda: not _redeemed(manager.server, reward_id))
    manager.no_app_error()
    assert _redeemed(manager.server, reward_id) == [15]


def _served(server) -> list[float]:
    with db.session(server.db_url) as s:
        return list(s.exec(select(ServiceRecord.hours).join(Volunteer)
                           .where(Volunteer.name == NAMES[0])))


def _certificates(server) -> list[str]:
    with db.session(server.db_url) as s:
        return list(s.exec(select(Certificate.number).where(
            Certificate.volunteer_name == NAMES[0])))


def _redeemed(server, reward_id) -> list[int]:
    with db.session(server.db_url) as s:
        return list(s.exec(select(Redemption.points).where(Redemption.reward_id == reward_id)))
