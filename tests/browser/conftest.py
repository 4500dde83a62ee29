"""Browser tests: Debian's Chromium, driven by Playwright, against `streamlit run` on a free
loopback port with a temporary database. They check what AppTest cannot see: cookies, reloads,
deep links, the login form, and the whole loop clicked through by its four roles.

Chromium is launched by path; never `playwright install` (it downloads a browser build).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SKIP_REASON = "Chromium not installed: apt-get install chromium fonts-noto-cjk"
# Copies of the screenshots the lead engineer looks at; the full set stays in the tmp dir.
REVIEW_SHOTS = Path("/tmp/diandan_shots")
WAIT_MS = 20_000           # Streamlit renders asynchronously; a loaded machine is slow
SERVER_START_S = 60

# Accounts made for these tests on top of the factories' town, so that what one test changes on a
# user row (language, a logout that ends every session, a lockout) cannot reach another test.
EXTRA_ACCOUNTS = (("mgr_en", "manager"), ("mgr_out", "manager"), ("locked", "officer"))
# The sidebar shows "display name · role"; the factories' display name is the upper-case username.
SIDEBAR_NAME = {"mgr": "MGR · 中心管理员", "off": "OFF · 文明实践员", "lead_a": "LEAD_A · 队长",
                "boss2": "BOSS2 · 领导", "mgr_en": "MGR_EN · 中心管理员",
                "mgr_out": "MGR_OUT · 中心管理员", "locked": "LOCKED · 文明实践员"}
ORDER_TITLES = ("理论宣讲进村", "送医下乡义诊")   # placed before the server starts


# --- the server ---------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    db_url: str
    tmp: Path
    log: Path
    proc: subprocess.Popen

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def prepare_database(db_url: str) -> None:
    """The factories' town with two orders waiting for dispatch, made through the services."""
    from core import db
    from models import Role
    from services import users
    from tests.factories import PASSWORD, build_town, place

    db.upgrade(db_url)
    with db.write_session(db_url) as s:
        town = build_town(s)
        place(s, town, title=ORDER_TITLES[0])
        place(s, town, title=ORDER_TITLES[1], category_id=town.other_category)
        boss = users.to_actor(s, users.by_username(s, "boss"))
        for username, role in EXTRA_ACCOUNTS:
            users.create(s, actor=boss, username=username, display_name=username.upper(),
                         role=Role(role), site_id=town.station, password=PASSWORD)
    db.engine_for(db_url).dispose()   # the server is the one that talks to it from now on


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def start_server(tmp: Path) -> Server:
    tmp.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{tmp / 'db.sqlite'}"
    prepare_database(db_url)
    env = {**os.environ, "DIANDAN_DATABASE_URL": db_url, "DIANDAN_DATA_DIR": str(tmp / "data"),
           "PYTHONUNBUFFERED": "1"}
    log = tmp / "server.log"
    for _attempt in range(3):   # another process may take the free port before streamlit binds it
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true",
                 "--browser.gatherUsageStats", "false"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)   # its own process group, killed as one at the end
        server = Server(url=url, db_url=db_url, tmp=tmp, log=log, proc=proc)
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline and proc.poll() is None:
            if _healthy(url):
                return server
            time.sleep(0.25)
        _stop(proc)
        if "already in use" not in server.log_tail():
            break
    pytest.fail(f"streamlit did not start within {SERVER_START_S} s:\n{server.log_tail()}")


@pytest.fixture(scope="session", autouse=True)
def _chromium_present():
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    pytest.importorskip("playwright.sync_api", reason="playwright not installed: "
                        "pip install -r requirements-dev.txt")


@pytest.fixture(scope="session")
def server(tmp_path_factory, _chromium_present):
    """One server for the folder, on a database prepared before it starts."""
    srv = start_server(tmp_path_factory.mktemp("browser") / "server")
    yield srv
    _stop(srv.proc)


@pytest.fixture
def fresh_server(tmp_path, _chromium_present, request):
    """A server no session has visited yet, so st.navigation has never run in it."""
    srv = start_server(tmp_path / "fresh_server")
    yield srv
    _stop(srv.proc)
    _print_log_if_failed(request, srv)


# --- the browser ---------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request) -> bool:
    rep = getattr(request.node, "rep_call", None)
    return rep is None or rep.failed


def _print_log_if_failed(request, srv: Server) -> None:
    if _failed(request):
        print(f"\n--- server log ({srv.log}), last lines ---\n{srv.log_tail()}")


@pytest.fixture(scope="session")
def chromium(_chromium_present):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shots(server) -> Path:
    path = server.tmp.parent / "shots"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def context(chromium, shots, request):
    """A new browser context per test: its own cookies, so no test inherits a login."""
    ctx = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                               timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(WAIT_MS)
    yield ctx
    if _failed(request):
        for i, pg in enumerate(ctx.pages):
            target = shots / f"FAILED-{request.node.name}-{i}.png"
            try:
                pg.screenshot(path=str(target), full_page=True)
                print(f"screenshot of the failure: {target}")
            except Exception as err:  # noqa: BLE001 — a dead page must not hide the failure
                print(f"no screenshot ({err})")
    ctx.close()


class UI:
    """What a person does in the browser, in the app's words."""

    def __init__(self, server: Server, context, shots: Path):
        self.server = server
        self.context = context
        self.shots = shots
        self.page = context.new_page()

    def goto(self, path: str = "/", page=None):
        page = page or self.page
        page.goto(self.server.url + path)
        return page

    def login_form_visible(self, page=None) -> None:
        from playwright.sync_api import expect

        page = page or self.page
        expect(page.get_by_label("用户名", exact=True)).to_be_visible()
        expect(page.get_by_label("密码", exact=True)).to_be_visible()

    def submit_login(self, username: str, password: str, page=None) -> None:
        page = page or self.page
        page.get_by_label("用户名", exact=True).fill(username)
        page.get_by_label("密码", exact=True).fill(password)
        page.get_by_role("button", name="登录", exact=True).click()

    def login(self, username: str, page=None) -> None:
        """Log in with the factories' password and wait for the login cookie to arrive."""
        from playwright.sync_api import expect
        from tests.factories import PASSWORD

        page = page or self.page
        self.login_form_visible(page)
        self.submit_login(username, PASSWORD, page)
        expect(page.get_by_text(SIDEBAR_NAME[username], exact=True)).to_be_visible()
        self.wait_for_cookie()

    def auth_cookie(self) -> dict | None:
        from ui.session import COOKIE_NAME

        return next((c for c in self.context.cookies() if c["name"] == COOKIE_NAME), None)

    def wait_for_cookie(self, seconds: float = 10) -> dict:
        """The cookie is set by a component on the run after login, a moment later."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            cookie = self.auth_cookie()
            if cookie:
                return cookie
            time.sleep(0.2)
        raise AssertionError(f"no login cookie after {seconds} s; cookies: "
                             f"{[c['name'] for c in self.context.cookies()]}")

    def shot(self, name: str, page=None, review: bool = False) -> Path:
        target = self.shots / f"{name}.png"
        (page or self.page).screenshot(path=str(target), full_page=True)
        if review:
            REVIEW_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(target, REVIEW_SHOTS / target.name)
        return target

    def pick_row(self, text: str, page=None) -> None:
        """Select the row of a st.dataframe that shows `text`.

        The grid is drawn on a canvas (glide-data-grid); its accessible twin in the DOM tells the
        row number, and a click on the row's selection checkbox at the left edge selects it.
        """
        from playwright.sync_api import expect

        page = page or self.page
        row = page.locator('[data-testid="stDataFrame"] tr[role="row"]',
                           has=page.locator('td[role="gridcell"]', has_text=text))
        expect(row).to_have_count(1)
        grid = page.locator('[data-testid="stDataFrame"]', has=row)
        index = int(row.get_attribute("aria-rowindex"))   # 1 is the header row
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        row_height = 35
        page.mouse.click(box["x"] + 15, box["y"] + row_height * (index - 1) + row_height / 2)


@pytest.fixture
def ui(server, context, shots, request):
    yield UI(server, context, shots)
    _print_log_if_failed(request, server)
