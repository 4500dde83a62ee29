"""The first deep link after a server start: before any session has called st.navigation,
Streamlit serves pages/ by itself. The page's guard sends the run back through app.py, so the
visit looks like any other: the login form, no raw file names in a sidebar, then the page."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from tests.browser.app_ui import SIDEBAR_NAME  # noqa: E402

RAW_FILE_NAMES = ("app", "dispatch", "my orders", "my_orders", "follow ups", "overview")


def test_the_first_deep_link_after_a_start_is_routed_by_app_py(fresh_server, open_ui):
    ui = open_ui(fresh_server)
    ui.goto("/dispatch")   # the very first request this server serves

    ui.login_form_visible()
    ui.settled()
    ui.shot("fresh_server_first_deep_link", review=True)
    nav = ui.page.locator('[data-testid="stSidebarNav"]')
    for name in RAW_FILE_NAMES:
        expect(nav.get_by_text(name, exact=True)).to_have_count(0)

    ui.login("mgr", cookie=False)
    expect(ui.page.get_by_role("heading", name="派单", exact=True)).to_be_visible()
    expect(ui.page.get_by_text(SIDEBAR_NAME["mgr"], exact=True)).to_be_visible()
    expect(ui.page.get_by_role("button", name="退出")).to_be_visible()
    assert ui.page.url.endswith("/dispatch")
