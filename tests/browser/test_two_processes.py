"""Two app processes on one PostgreSQL database (README, "More than one app process"): a change
saved through one is seen through the other on its next rerun, also where the other keeps figures
in memory (the 派单 desk keeps the teams' records in st.cache_data, keyed by the data version)."""

from __future__ import annotations

import secrets

import pytest
from sqlmodel import select

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from core import db  # noqa: E402
from models import Team, WorkOrder  # noqa: E402
from tests import engines  # noqa: E402
from tests.browser.app_ui import (  # noqa: E402
    ORDER_TITLES,
    WAIT_MS,
    new_database,
    start_server,
    stop,
)

pytestmark = pytest.mark.skipif(
    not engines.on_postgres(),
    reason="two app processes share a PostgreSQL database: set DIANDAN_TEST_DATABASE_URL")

TEAM = "健康支队"


def _visit_root(chromium, server) -> None:
    """As the shared server fixture does: one visit at / runs app.py's st.navigation, as on a
    server in use; before that a deep link would run the page without app.py."""
    ctx = chromium.new_context()
    try:
        page = ctx.new_page()
        page.goto(server.url + "/")
        page.get_by_label("用户名", exact=True).wait_for(timeout=WAIT_MS * 2)
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, chromium):
    tmp = tmp_path_factory.mktemp("two")
    db_url = new_database(tmp)
    # One installation: the same database and the same cookie key, two processes.
    env = {"DIANDAN_COOKIE_KEY": secrets.token_urlsafe(48)}
    first = start_server(tmp / "a", db_url, env)
    try:
        second = start_server(tmp / "b", db_url, env)
    except BaseException:
        stop(first.proc)
        raise
    try:
        for server in (first, second):
            _visit_root(chromium, server)
        yield first, second
    finally:
        stop(first.proc)
        stop(second.proc)
    stop(second.proc)


def _code(db_url: str, title: str) -> str:
    with db.session(db_url) as s:
        return s.exec(select(WorkOrder.code).where(WorkOrder.title == title)).one()


def _active(db_url: str) -> bool:
    with db.session(db_url) as s:
        return s.exec(select(Team.active).where(Team.name == TEAM)).one()


def test_a_team_switched_off_in_one_process_leaves_the_desk_of_the_other(two_servers, open_ui):
    first, second = two_servers
    url = first.db_url

    # Process B: the manager's 派单 desk, with the teams' records now kept in B's memory.
    desk = open_ui(second)
    page = desk.goto("/dispatch")
    desk.login("mgr", cookie=False)
    desk.pick_row(_code(url, ORDER_TITLES[0]))
    cards = page.locator('[class*="st-key-rec_"]')
    expect(cards.filter(has_text=TEAM)).to_have_count(1)
    desk.settled()

    # Process A: the same manager switches 健康支队 off on 志愿服务队.
    office = open_ui(first)
    other = office.goto("/teams")
    office.login("mgr", cookie=False)
    office.choose("选择队伍", TEAM)
    office.settled()
    other.get_by_test_id("stCheckbox").filter(has_text="启用").click()
    office.settled()
    office.submit(other.get_by_role("button", name="保存", exact=True),
                  other.get_by_text(f"已保存志愿服务队「{TEAM}」。"), lambda: _active(url))
    office.no_app_error()
    assert not _active(url)

    # Process B, next rerun (picking a second order, the one 健康支队 would serve best): the
    # team is gone from the recommendations, although B's kept records still had it.
    desk.pick_row(_code(url, ORDER_TITLES[1]))
    desk.settled()
    expect(cards.first).to_be_visible()
    expect(cards.filter(has_text=TEAM)).to_have_count(0)
    desk.no_app_error()
    desk.shot("two_processes_desk_after_change", review=True)
