"""The browser tests' tools: a `streamlit run` server on a temporary database, and `UI`, what a
person does in the browser in the app's words. Fixtures live in conftest.py."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from core import db
from models import Role
from services import settings as settings_service
from services import users
from services.clock import local_today
from tests import engines
from tests.factories import PASSWORD, build_town, place
from ui.session import COOKIE_NAME

ROOT = Path(__file__).resolve().parents[2]
# Copies of the screenshots the lead engineer looks at; the full set stays in the tmp dir.
REVIEW_SHOTS = Path("/tmp/diandan_shots")
WAIT_MS = 20_000           # Streamlit renders asynchronously; a loaded machine is slow
SERVER_START_S = 60
ROW_PX = 35                # st.dataframe's row (and header) height
LOGIN_ATTEMPTS = 3
COOKIE_LOST = ("app bug: the login cookie never reached the browser. "
               "ui.session.issue_cookie_if_due renders the cookie component on one run only; when "
               "the CookieManager's getAll component reruns the script before the set component "
               "has run, the set component is gone and the next reload logs the user out")


class CookieLost(UserWarning):
    """The app did not deliver its login cookie; the test logged in again."""


class CookieNeverArrived(AssertionError):
    """The login cookie did not reach the browser."""


class ClickLost(UserWarning):
    """A form submit left no trace (no run, no change); the test clicked once more."""


class AppCrashed(AssertionError):
    """The page's script raised: Streamlit shows APP_ERROR and the server log has the traceback."""


# Accounts made for these tests on top of the factories' town, so that what one test changes on a
# user row (language, a logout that ends every session, a lockout) cannot reach another test.
EXTRA_ACCOUNTS = (("mgr_en", "manager"), ("mgr_out", "manager"), ("locked", "officer"))
# The sidebar shows "display name · role"; the factories' display name is the upper-case username.
SIDEBAR_NAME = {"mgr": "MGR · 中心管理员", "off": "OFF · 文明实践员", "lead_a": "LEAD_A · 队长",
                "boss2": "BOSS2 · 领导", "mgr_en": "MGR_EN · 中心管理员",
                "mgr_out": "MGR_OUT · 中心管理员", "locked": "LOCKED · 文明实践员"}
# Placed before the server starts. The last one is due latest, so it is the last row of the
# 派单 queue (sorted by due date) whatever the other tests do.
ORDER_TITLES = ("理论宣讲进村", "送医下乡义诊", "村史馆讲解")
LAST_IN_QUEUE = ORDER_TITLES[2]
# What Streamlit shows instead of a page whose script raised (client.showErrorDetails = "none").
APP_ERROR = "This app has encountered an error"


# Latin words a Chinese screen may show: user data typed in this test, codes, file formats.
# "English" is the language switch, which names the other language in that language.
ALLOWED = {"zhang", "dui", "DD", "Excel", "xlsx", "MB", "QR", "diandan", "demo", "English"}
WORD = re.compile(r"[A-Za-z]{2,}")


def english_on_screen(page, data: str = "") -> set[str]:
    """Latin words in the visible text of the main area and the sidebar, minus ALLOWED, the
    icons (Material icons are ligatures: their text is the icon's English name) and the
    placeholder segments of empty date fields (shown as 年-月-日)."""
    text = page.evaluate("""() => ['stMain', 'stSidebar']
        .map(id => document.querySelector(`[data-testid="${id}"]`)).filter(Boolean)
        .map(el => {
            // icons, and an empty date field's segments (drawn as 年-月-日 by ui/chrome.py's
            // CSS over Streamlit's "yyyy-mm-dd", which stays in the text)
            const icons = [...el.querySelectorAll('span, i')].filter(
                i => getComputedStyle(i).fontFamily.includes('Material')
                     || i.matches('[data-testid="stDateInput"] [data-placeholder="true"]'));
            const kept = icons.map(i => [i, i.textContent]);
            icons.forEach(i => { i.textContent = ''; });
            const text = el.innerText;
            kept.forEach(([i, t]) => { i.textContent = t; });
            return text;
        }).join('\\n')""")
    return {w for w in WORD.findall(text) if w not in ALLOWED and w not in data}


def too_wide(page) -> list[str]:
    """Whatever is wider than the screen: the page or its main area scrolling sideways, an
    element reaching past the right edge ("wide: …"), or one cut by a box that scrolls on its
    own ("table columns cut: …", "cut: …": readable only by scrolling inside it). The sidebar is
    left out (on a phone it is folded away beside the screen)."""
    return page.evaluate("""() => {
        const width = window.innerWidth, out = [];
        const name = el => el.dataset.testid || String(el.className || el.tagName).split(' ')[0];
        if (document.documentElement.scrollWidth > width + 1)
            out.push(`page ${document.documentElement.scrollWidth}px > ${width}px`);
        const main = document.querySelector('[data-testid="stMain"]');
        if (!main) return out;
        if (main.scrollWidth > main.clientWidth + 1)
            out.push(`main area ${main.scrollWidth}px > ${main.clientWidth}px`);
        const past = el => { const b = el.getBoundingClientRect();
                             return b.width > 0 && b.right > width + 1; };
        for (const el of main.querySelectorAll('*')) {
            if (el.closest('[data-testid="stDataFrame"]') || !past(el)) continue;
            if (el.parentElement && el.parentElement !== main && past(el.parentElement)) continue;
            let clip = el.parentElement, cut = false;
            for (; clip && clip !== main; clip = clip.parentElement)
                if (getComputedStyle(clip).overflowX !== 'visible') { cut = true; break; }
            const text = (el.innerText || '').trim().slice(0, 30).replace(/\\s+/g, ' ');
            const right = Math.round(el.getBoundingClientRect().right);
            out.push(`${cut ? 'cut' : 'wide'}: ${name(el)} "${text}" to ${right}px > ${width}px`);
        }
        for (const el of main.querySelectorAll('[data-testid="stDataFrame"]')) {
            const box = el.getBoundingClientRect();
            if (box.width && box.right > width + 1) out.push(`wide: table to ${box.right}px`);
            const scroller = el.querySelector('.dvn-scroller');
            if (scroller && scroller.scrollWidth > scroller.clientWidth + 1)
                out.push(`table columns cut: ${scroller.scrollWidth} > ${scroller.clientWidth}px`);
        }
        return out;
    }""")


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
    """The factories' town with three orders waiting for dispatch, made through the services."""
    db.upgrade(db_url)
    with db.write_session(db_url) as s:
        town = build_town(s)
        place(s, town, title=ORDER_TITLES[0])
        place(s, town, title=ORDER_TITLES[1], category_id=town.other_category)
        later = local_today(db.utcnow(), settings_service.current(s)["timezone"]) + timedelta(30)
        place(s, town, title=LAST_IN_QUEUE, due_on=later)
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


def stop(proc: subprocess.Popen) -> None:
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


def new_database(tmp: Path, *, empty: bool = False) -> str:
    """A database for a server: a SQLite file in `tmp`, or on PostgreSQL when the tests run there
    (tests/engines.py) a database named after `tmp`'s folder; the factories' town in it unless
    `empty` (nobody in it: the first-run screens)."""
    if engines.on_postgres():
        db_url = engines.fresh_database("browser_" + re.sub(r"\W", "_", tmp.name)[-40:])
    else:
        db_url = f"sqlite:///{tmp / 'db.sqlite'}"
    if not empty:
        prepare_database(db_url)
    return db_url


def start_server(tmp: Path, db_url: str | None = None, env: dict | None = None, *,
                 empty: bool = False) -> Server:
    """`streamlit run app.py` on a free port; on a new database (the factories' town, or with
    `empty` nobody) unless given one (two servers on one PostgreSQL database are two app
    processes of one installation)."""
    tmp.mkdir(parents=True, exist_ok=True)
    db_url = db_url or new_database(tmp, empty=empty)
    env = {**os.environ, "DIANDAN_DATABASE_URL": db_url, "DIANDAN_DATA_DIR": str(tmp / "data"),
           "PYTHONUNBUFFERED": "1", **(env or {})}
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
        stop(proc)
        if "already in use" not in server.log_tail():
            break
    pytest.fail(f"streamlit did not start within {SERVER_START_S} s:\n{server.log_tail()}")


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
        page = page or self.page
        expect(page.get_by_label("用户名", exact=True)).to_be_visible()
        expect(page.get_by_label("密码", exact=True)).to_be_visible()

    def submit_login(self, username: str, password: str, page=None) -> None:
        page = page or self.page
        page.get_by_label("用户名", exact=True).fill(username)
        page.get_by_label("密码", exact=True).fill(password)
        page.get_by_role("button", name="登录", exact=True).click()

    def login(self, username: str, page=None, cookie: bool = True) -> None:
        """Log in with the factories' password, wait for the reruns that follow a login to end,
        and unless told not to, for the login cookie that a reload or a deep link needs."""
        page = page or self.page
        for attempt in range(1, LOGIN_ATTEMPTS + 1):
            self.login_form_visible(page)
            self.submit_login(username, PASSWORD, page)
            expect(page.get_by_text(SIDEBAR_NAME[username], exact=True)).to_be_visible()
            self.quiet(page)
            if not cookie or self.wait_for_cookie() is not None:
                return
            # The app lost the cookie (COOKIE_LOST): log in once more, in a new session.
            warnings.warn(CookieLost(f"{COOKIE_LOST} (user {username}, attempt {attempt})"),
                          stacklevel=2)
            page.goto(page.url)
        raise AssertionError(f"{COOKIE_LOST}: {LOGIN_ATTEMPTS} logins in a row")

    def quiet(self, page=None, seconds: float = 15) -> None:
        """Wait until the cookie-manager iframes are gone and the run is over.

        After a login (or a new session with a cookie) the sidebar draws cookie-manager
        components; when they load they rerun the script, which can swallow a click or a key
        press made meanwhile. The run after them draws none."""
        page = page or self.page
        frames = page.locator('iframe[src*="cookie_manager"]')
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if frames.count() == 0:
                break
            page.wait_for_timeout(100)
        self.settled(page)

    def auth_cookie(self) -> dict | None:
        return next((c for c in self.context.cookies() if c["name"] == COOKIE_NAME), None)

    def wait_for_cookie(self, seconds: float = 8) -> dict | None:
        """The cookie is set by a component on the run after login, a moment later."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            cookie = self.auth_cookie()
            if cookie:
                return cookie
            time.sleep(0.2)
        return None

    def shot(self, name: str, page=None, review: bool = False) -> Path:
        target = self.shots / f"{name}.png"
        (page or self.page).screenshot(path=str(target), full_page=True)
        if review:
            REVIEW_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(target, REVIEW_SHOTS / target.name)
        return target

    def retry(self, act, outcome, timeout: int = 10_000, attached: bool = False,
              page=None) -> None:
        """Do `act()` until `outcome` is visible (or only attached), three times at most: a
        click or a file set that lands in a rerun can be lost on a loaded machine. Only for acts
        that store nothing (a view, a link, a tab, a file picked for a preview): one that landed
        late does no harm, as the outcome is checked before acting again."""
        page = page or self.page

        def check(**timeout_ms) -> None:
            shown = expect(outcome)
            shown.to_be_attached(**timeout_ms) if attached else shown.to_be_visible(**timeout_ms)

        for _attempt in range(3):
            self.settled(page)
            act()
            try:
                check(timeout=timeout)
                break
            except AssertionError:
                continue
        else:
            check()
        self.settled(page)

    def pick_view(self, label: str, shows, away: str, page=None) -> None:
        """Pick the view `label` of a page's st.segmented_control and wait until `shows` is on
        the page. A click's rerun was lost now and then on a loaded machine: the button drawn
        as picked, the old view still below. A second click on a picked button would unpick
        it, so a retry picks the view `away` first, then `label` again."""
        page = page or self.page
        main = page.get_by_test_id("stMain")
        clicks = []

        def pick() -> None:
            if clicks:
                warnings.warn(ClickLost(f"{label!r} picked but not shown; picking it again"),
                              stacklevel=4)
                main.get_by_text(away, exact=True).click()
                self.settled(page)
            clicks.append(label)
            main.get_by_text(label, exact=True).click()

        self.retry(pick, shows, attached=True, page=page)

    def choose(self, label: str, option: re.Pattern, page=None, within=None) -> None:
        """Pick an option of a st.selectbox (the one inside `within` when several share the
        label). A click on the box does not open its list, the down arrow does; a key press
        during a rerun can be lost, hence the retries."""
        page = page or self.page
        box = (within or page).get_by_role("combobox", name=label, exact=True)
        wanted = page.get_by_role("option", name=option)
        for _attempt in range(5):
            box.click()
            box.press("ArrowDown")
            try:
                wanted.wait_for(timeout=2_000)
                break
            except PlaywrightError:
                page.keyboard.press("Escape")
        wanted.click()
        expect(box).to_have_value(option)

    def settled(self, page=None) -> None:
        """Wait until the script run is over, e.g. before a screenshot."""
        app = (page or self.page).get_by_test_id("stApp")
        expect(app).to_have_attribute("data-test-script-state", "notRunning")

    def submit(self, button, outcome, unchanged) -> None:
        """Click a form's submit button and wait for `outcome`.

        On a heavily loaded machine a click was lost now and then: no run, nothing in the log,
        the form still filled in. Click once more then, but only if `unchanged()` says the
        database has not changed, so nothing can be submitted twice."""
        button.click()
        try:
            expect(outcome).to_be_visible(timeout=10_000)
            return
        except AssertionError:
            if not unchanged():
                raise
        warnings.warn(ClickLost(f"no outcome 10 s after a click on {button}; clicked again"),
                      stacklevel=2)
        button.click()
        expect(outcome).to_be_visible()

    def no_app_error(self, page=None) -> None:
        page = page or self.page
        self.settled(page)
        if page.get_by_text(APP_ERROR).count():
            raise AppCrashed(f"{APP_ERROR} at {page.url}; server log:\n{self.server.log_tail(30)}")

    def grid_cell(self, text: str, page=None):
        """The cell of a st.dataframe / st.data_editor that shows exactly `text` (in the grid's
        accessible twin in the DOM)."""
        return (page or self.page).locator('td[role="gridcell"]').filter(
            has_text=re.compile(f"^{re.escape(text)}$"))

    def _grid_row(self, text: str, page):
        """The st.dataframe / st.data_editor showing `text` in a cell, and that cell's row.

        The grid is drawn on a canvas (glide-data-grid); its accessible twin in the DOM holds the
        text and the row number (aria-rowindex, 1 being the header)."""
        cell = self.grid_cell(text, page)
        grid = page.locator('[data-testid="stDataFrame"]').filter(has=cell)
        row = grid.locator('tr[role="row"]').filter(has=cell)
        expect(row).to_have_count(1)
        grid.scroll_into_view_if_needed()
        return grid, row, int(row.get_attribute("aria-rowindex"))

    def _click_row(self, grid, index: int, x: float, page) -> None:
        box = grid.bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + ROW_PX * (index - 1) + ROW_PX / 2)

    def tick_first_cell(self, text: str, page=None) -> None:
        """Tick the checkbox in the first column of a st.data_editor row showing `text`.

        A click on the checkbox itself (drawn at the first column's centre; the column is a
        third of the editor or so) toggles it while the cell is not selected. Once the cell is
        selected neither that click nor the space bar toggled it reliably (a clean-clone CI run
        failed six tries so), so a try first moves the cursor to the row's next cell. Each try
        reads the state again: a late toggle is never undone, and if all fail the message says
        what each try saw."""
        page = page or self.page
        grid, row, index = self._grid_row(text, page)
        first = row.locator('td[aria-colindex="1"]')
        expect(first).to_have_text("false")
        seen = []
        for _attempt in range(6):
            self.settled(page)
            if first.text_content() == "true":   # a late toggle of the last try landed
                return
            width = min(grid.bounding_box()["width"] / 3, 300)
            if first.get_attribute("aria-selected") == "true":
                self._click_row(grid, index, width * 1.5, page)
                try:
                    expect(first).not_to_have_attribute("aria-selected", "true", timeout=3_000)
                except AssertionError:
                    seen.append("still selected")
                    continue
            self._click_row(grid, index, width / 2, page)
            try:
                expect(first).to_have_text("true", timeout=5_000)
                return
            except AssertionError:
                seen.append(f"clicked: {first.text_content()}, selected "
                            f"{first.get_attribute('aria-selected')}")
        raise AssertionError(f"the checkbox of {text!r} stayed unticked; tries: {seen}")

    def pick_row(self, text: str, page=None) -> None:
        """Select the row of a st.dataframe that shows `text`, with a click on the row's
        selection checkbox at the left edge of the grid."""
        page = page or self.page
        grid, _row, index = self._grid_row(text, page)
        self._click_row(grid, index, 15, page)
