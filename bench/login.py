"""Login → overview in a real browser, on a bench county: seconds from the click on 登录 until the
overview's figures are on the screen, and how many script runs the login caused.

    PYTHONPATH=. python -m bench.login --db /tmp/diandan_county.db [--user county_admin] [--runs 5]

Budget (issue 12): visible ≤ 1.5 s, one overview run per login. Each run uses a new browser
context (no cookie), so each is a first login; runs are counted from Streamlit's own messages on
the websocket (a `new_session` message starts every script run). Needs Debian's Chromium and
Playwright (requirements-dev.txt), like tests/browser. The server is `streamlit run app.py` on
the county file; the login writes its usual rows (sessions, the lockout ledger) into it.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "bench-password"  # bench/build.py's password for every account
BUDGET_S = 1.5


@dataclass
class Login:
    seconds: float        # click → the overview's first figure visible
    runs: int             # script runs after the click until the page is quiet
    finished: int         # of them, runs that finished (the others were abandoned by a rerun)
    trace: str            # the runs, by page, and how each ended
    overview_runs: int    # whole runs of the landing page (not the login form, not fragments)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(db_path: Path, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DIANDAN_DATABASE_URL": f"sqlite:///{db_path}",
           "DIANDAN_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=open(data_dir / "server.log", "ab"), stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.25)
    stop(proc)
    raise SystemExit(f"streamlit did not start; see {data_dir / 'server.log'}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _kinds(payload) -> list[str]:
    """The message kinds in one websocket frame from the server."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if isinstance(payload, str):
        return []
    try:
        msg = ForwardMsg.FromString(payload)
    except Exception:  # noqa: BLE001  (not a ForwardMsg: nothing to count)
        return []
    kind = msg.WhichOneof("type") or ""
    if kind == "new_session":
        if msg.metadata.run.fragment_ids:  # a fragment's run (the cookie's), not the page's
            return [kind, "run:fragment"]
        ns = msg.new_session
        page = next((p.url_pathname for p in ns.app_pages
                     if p.page_script_hash == ns.page_script_hash), "?")
        return [kind, f"run:{page or '/'}"]
    if kind == "script_finished":
        return [kind, f"end:{ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)}"]
    return [kind]


def one_login(browser, url: str, user: str, quiet_s: float = 2.0) -> Login:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    seen: list[tuple[float, str]] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda p: seen.extend((time.perf_counter(), k) for k in _kinds(p))))
    try:
        page.goto(url + "/")
        page.get_by_label("用户名", exact=True).fill(user)
        page.get_by_label("密码", exact=True).fill(PASSWORD)
        button = page.get_by_role("button", name="登录", exact=True)
        button.wait_for()
        t0 = time.perf_counter()
        button.click()
        page.get_by_role("heading", name="概览", exact=True).wait_for(timeout=60_000)
        page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
        seconds = time.perf_counter() - t0
        while True:  # until no message for quiet_s
            last = max((t for t, _ in seen), default=t0)
            if time.perf_counter() - last > quiet_s:
                break
            page.wait_for_timeout(200)
        after = [k for t, k in seen if t >= t0]
        # each run's start and end with its moment after the click, e.g. "/(0.31) FINISHED…(2.10)"
        trace = " ".join(f"{k.split(':', 1)[1]}({t - t0:.2f})" for t, k in seen
                         if t >= t0 and k[:4] in ("run:", "end:"))
        landing = sum(1 for k in after if k.startswith("run:")
                      and k not in ("run:登录", "run:fragment"))
        return Login(seconds, after.count("new_session"), after.count("script_finished"), trace,
                     landing)
    finally:
        ctx.close()


def measure(db_path: Path, user: str = "county_admin", runs: int = 5) -> list[Login]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench_login_") as tmp:
        proc, url = start(db_path, Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    one_login(browser, url, user)  # the server's first session: imports, caches
                    return [one_login(browser, url, user) for _ in range(runs)]
                finally:
                    browser.close()
        finally:
            stop(proc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/diandan_county.db"))
    ap.add_argument("--user", default="county_admin")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--strict", action="store_true", help="exit 1 when the budget is missed")
    args = ap.parse_args(argv)
    found = measure(args.db.resolve(), args.user, args.runs)
    load = os.getloadavg()[0]
    for i, r in enumerate(found, 1):
        print(f"login {i}: {r.seconds:.2f} s to the overview; {r.runs} script runs "
              f"({r.finished} finished): {r.trace}")
    med = statistics.median(r.seconds for r in found)
    runs = max(r.overview_runs for r in found)
    ok = med <= BUDGET_S and runs <= 1
    print(f"median {med:.2f} s (budget {BUDGET_S} s), at most {runs} overview runs per login "
          f"(budget 1); "
          f"load average {load:.1f} — {'ok' if ok else 'MISSED'}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
