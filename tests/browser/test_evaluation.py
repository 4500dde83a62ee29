"""月度通报 in a browser: the leader opens 绩效评价, picks last month, downloads the bulletin
workbook and opens the printable page, which prints to an A4 PDF. Screenshots at laptop (1366 px)
and phone (390 px) width go to /tmp/diandan_shots for review."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")

from openpyxl import load_workbook  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from core import db  # noqa: E402
from services import completions, orders, periods, ratings  # noqa: E402
from services.clock import local_today  # noqa: E402
from tests.browser.app_ui import WAIT_MS  # noqa: E402

H = timedelta(hours=1)


def _last_month() -> periods.Period:
    return periods.previous(periods.containing(local_today(db.utcnow(), "Asia/Shanghai"),
                                               "month", 1))


def _history(db_url: str, period: periods.Period) -> None:
    """Last month in the server's town: team A three orders (one late; rated 5, 4, 2), team B
    one on time (rated 3)."""
    from sqlmodel import select

    from models import Team, User
    from services import users

    start = datetime.combine(period.start, time(2), tzinfo=UTC) + 24 * H
    with db.write_session(db_url) as s:
        actor = {u: users.to_actor(s, users.by_username(s, u))
                 for u in ("mgr", "off", "lead_a", "lead_b")}
        team = {name: tid for tid, name in s.exec(select(Team.id, Team.name))}
        village = s.exec(select(User.site_id).where(User.username == "off")).one()
        for i, (lead, tname, late, level) in enumerate((
                ("lead_a", "宣讲支队", False, 5), ("lead_a", "宣讲支队", False, 4),
                ("lead_a", "宣讲支队", True, 2), ("lead_b", "健康支队", False, 3))):
            at = start + i * H
            order = orders.place(s, actor=actor["off"], site_id=_village(s, village),
                                 category_id=_category(s, tname), title=f"上月工单{i}",
                                 source="survey", now=at, due_on=(at + 120 * H).date())
            orders.dispatch(s, actor=actor["mgr"], order_id=order.id, team_id=team[tname],
                            now=at + H)
            orders.accept(s, actor=actor[lead], order_id=order.id, now=at + 2 * H)
            done = at + (8 if late else 2) * 24 * H
            completions.complete(s, actor=actor[lead], order_id=order.id, now=done,
                                 done=completions.Completion(beneficiaries={"general": 4},
                                                             hours={_volunteer(s): 1.5}))
            ratings.rate(s, actor=actor["off"], order_id=order.id, level=level, now=done + H)
    db.engine_for(db_url).dispose()


def _village(s, station_id: int) -> int:
    from sqlmodel import select

    from models import Site

    return s.exec(select(Site.id).where(Site.parent_id == station_id).order_by(Site.id)).first()


def _category(s, team_name: str) -> int:
    from sqlmodel import select

    from models import Team, TeamCategory

    return s.exec(select(TeamCategory.category_id).join(Team, Team.id == TeamCategory.team_id)
                  .where(Team.name == team_name)).first()


def _volunteer(s) -> int:
    from sqlmodel import select

    from models import Volunteer

    return s.exec(select(Volunteer.id).order_by(Volunteer.id)).first()


def test_the_leader_downloads_last_months_bulletin_and_prints_it(open_ui, fresh_server,
                                                                 tmp_path):
    period = _last_month()
    _history(fresh_server.db_url, period)
    leader = open_ui(fresh_server)
    page = leader.goto("/")
    # the first page of a server nobody has visited yet compiles everything: give it time
    page.get_by_label("用户名", exact=True).wait_for(timeout=WAIT_MS * 3)
    leader.login("boss2", cookie=False)
    page.get_by_test_id("stSidebarNav").get_by_text("绩效评价", exact=True).click()
    expect(page.get_by_role("heading", name="绩效评价", exact=True)).to_be_visible()
    # the first visit of this page on a new server imports its modules (the workbook writers
    # among them): once, in CI, that took longer than one wait
    page.get_by_role("combobox", name="期间", exact=True).wait_for(timeout=WAIT_MS * 3)
    label = f"{period.year}年{period.number}月（{period.start} 至 {period.end}）"
    leader.choose("期间", re.compile(re.escape(label)))
    leader.settled()
    expect(page.locator("td[role=gridcell]", has_text="宣讲支队").first).to_be_attached()
    leader.no_app_error()
    page.set_viewport_size({"width": 1366, "height": 900})
    leader.settled()
    leader.shot("evaluation_1366", review=True)

    with page.expect_download() as info:
        page.get_by_role("button", name="下载月度通报（Excel）").click()
    book_path = tmp_path / "bulletin.xlsx"
    info.value.save_as(book_path)
    book = load_workbook(io.BytesIO(book_path.read_bytes()))
    assert book.sheetnames == ["通报摘要", "志愿服务队", "文明实践员", "中心管理员", "站点"]
    teams = list(book["志愿服务队"].iter_rows(values_only=True))
    assert teams[0][:4] == ("排名", "名称", "所属站点", "综合得分")
    assert [r[1] for r in teams[1:3]] == ["健康支队", "宣讲支队"]
    assert book["志愿服务队"].freeze_panes == "C2"
    summary = [c for row in book["通报摘要"].iter_rows(values_only=True) for c in row if c]
    assert any("已办结 4 件" in str(c) for c in summary)

    with page.expect_download() as info:
        page.get_by_role("button", name="下载打印版（A4）").click()
    html_path = tmp_path / "bulletin.html"
    info.value.save_as(html_path)
    printed = leader.context.new_page()
    printed.goto(html_path.as_uri())
    expect(printed.get_by_role("heading", name="月度通报")).to_be_visible()
    expect(printed.get_by_text("红榜").first).to_be_visible()
    expect(printed.locator("p.summary")).to_contain_text("已办结 4 件")
    leader.shot("bulletin_print_page", page=printed, review=True)
    pdf = printed.pdf(prefer_css_page_size=True)
    # A4 portrait: 595 × 842 points (210 × 297 mm)
    assert pdf.startswith(b"%PDF") and re.search(rb"/MediaBox \[0 0 59[45][.\d]* 84[12]", pdf)
    (tmp_path / "bulletin.pdf").write_bytes(pdf)

    page.set_viewport_size({"width": 390, "height": 844})
    leader.settled()
    leader.shot("evaluation_390", review=True)
    leader.no_app_error()
