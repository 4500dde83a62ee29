"""Browser tests: Debian's Chromium, driven by Playwright, against `streamlit run` on a free
loopback port with a temporary database. They check what AppTest cannot see: cookies, reloads,
deep links, the login form, and the whole loop clicked through by its four roles.

Chromium is launched by path; never `playwright install` (it downloads a browser build).
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NO_CHROMIUM = "Chromium not installed: apt-get install chromium fonts-noto-cjk"

if find_spec("playwright") is not None:   # else each test module skips itself, saying so
    from tests.browser.app_ui import UI, WAIT_MS, Server, start_server, stop


@pytest.fixture(scope="session", autouse=True)
def _chromium_present():
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)


@pytest.fixture(scope="session")
def server(tmp_path_factory, chromium):
    """One server for the folder, on a database prepared before it starts, visited once at / so
    that app.py's st.navigation has run, as on a server in use (test_page_url_on_fresh_server_…
    covers the moment before that)."""
    srv = start_server(tmp_path_factory.mktemp("browser") / "server")
    try:
        ctx = chromium.new_context()
        page = ctx.new_page()
        try:
            page.goto(srv.url + "/")
            page.get_by_label("用户名", exact=True).wait_for(timeout=WAIT_MS * 2)
        except Exception as err:
            pytest.fail(f"the login form did not show at / ({err}):\n{srv.log_tail()}")
        finally:
            ctx.close()
        yield srv
    finally:
        stop(srv.proc)


@pytest.fixture
def fresh_server(tmp_path, _chromium_present):
    """A server no session has visited yet, so st.navigation has never run in it."""
    srv = start_server(tmp_path / "fresh_server")
    yield srv
    stop(srv.proc)


@pytest.fixture
def empty_server(tmp_path, _chromium_present):
    """A server on an empty database: the first screen is the setup."""
    srv = start_server(tmp_path / "empty_server", empty=True)
    yield srv
    stop(srv.proc)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request) -> bool:
    rep = getattr(request.node, "rep_call", None)
    return rep is None or rep.failed


@pytest.fixture(scope="session")
def chromium(_chromium_present):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("shots")


@pytest.fixture
def open_ui(chromium, shots, request):
    """Open the app in a new browser context, with cookies of its own: `open_ui()` on the shared
    server, `open_ui(fresh_server)` on another. On failure: a screenshot of every page and the
    end of the server log."""
    opened: list[UI] = []

    def _open(srv: Server | None = None) -> UI:
        ctx = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                                   timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(WAIT_MS)
        ui = UI(srv or request.getfixturevalue("server"), ctx, shots)
        opened.append(ui)
        return ui

    yield _open
    failed = _failed(request)
    for n, ui in enumerate(opened):
        if failed:
            for i, pg in enumerate(ui.context.pages):
                try:
                    path = ui.shot(f"FAILED-{request.node.name}-{n}-{i}", page=pg, review=True)
                    print(f"screenshot of the failure: {path}")
                except Exception as err:  # noqa: BLE001 — a dead page must not hide the failure
                    print(f"no screenshot ({err})")
        ui.context.close()
    if failed:
        for srv in {id(ui.server): ui.server for ui in opened}.values():
            print(f"\n--- server log ({srv.log}), last lines ---\n{srv.log_tail()}")


@pytest.fixture
def ui(open_ui) -> UI:
    return open_ui()


