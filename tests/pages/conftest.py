"""Page tests with streamlit.testing.v1.AppTest: the app as a user drives it, one script run at a
time, against a temporary database of its own.

Speed: the town (tests/factories.py) plus a handful of orders in every state is built once per
run into a template file; each test copies it (~1 ms) and points the app at the copy through
DIANDAN_DATABASE_URL, so tests may change data freely. On PostgreSQL (tests/engines.py) the
template is a database and the copy `CREATE DATABASE … TEMPLATE`.

Two things AppTest does differently from a served app, handled here:

- It resets Streamlit's "uses a pages/ directory" flag before *every* run. With a pages/ folder
  next to app.py, every AppTest run is then treated like the first run after a server start: a
  page chosen with switch_page() is executed on its own, without app.py (no sidebar, no flash
  message, no role-filtered navigation). A served app clears that flag once app.py has called
  st.navigation. `_served_navigation` clears it after every reset too, so app.py routes every
  run as it does on a warm server. The direct visit that bypasses app.py is tested on purpose
  with `page_alone()`.
- AppTest keeps lambdas under its own session-state key, which trips
  runner.enforceSerializableSessionState; the option is switched off and `run()` checks instead
  that everything the app put into session state pickles.
"""

from __future__ import annotations

import functools
import os
import pickle
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit import config as st_config
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from core import db
from services import orders
from services.permissions import Actor
from tests import engines, factories
from tests.factories import Town
from ui.i18n import catalog

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
TIMEOUT = 30


@dataclass(frozen=True)
class Orders:
    """One order in each state the pages act on, by id and code."""

    submitted: tuple[int, str]      # in the dispatch queue
    dispatched_a: tuple[int, str]   # waiting for team A's lead
    accepted_a: tuple[int, str]     # team A is working on it
    completed_a: tuple[int, str]    # waiting for a rating
    dispatched_b: tuple[int, str]   # team B's: team A's lead must never see it


@dataclass(frozen=True)
class World:
    url: str
    town: Town
    orders: Orders


def _build(url: str) -> tuple[Town, Orders]:
    with db.write_session(url) as s:
        town = factories.build_town(s)

        def ref(order):
            return order.id, order.code

        submitted = factories.place(s, town, title="待派的宣讲")
        dispatched_a = factories.place(s, town, title="等待接单的宣讲")
        orders.dispatch(s, actor=town.manager, order_id=dispatched_a.id, team_id=town.team_a)
        accepted_a = factories.place(s, town, title="进行中的宣讲")
        orders.dispatch(s, actor=town.manager, order_id=accepted_a.id, team_id=town.team_a)
        orders.accept(s, actor=town.lead_a, order_id=accepted_a.id)
        completed_a = factories.completed_order(s, town, title="已完成的宣讲")
        dispatched_b = factories.place(s, town, title="健康义诊", category_id=town.other_category)
        orders.dispatch(s, actor=town.manager, order_id=dispatched_b.id, team_id=town.team_b)
        return town, Orders(ref(submitted), ref(dispatched_a), ref(accepted_a), ref(completed_a),
                            ref(dispatched_b))


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page-templates")
    built = {}
    for name in ("empty", "town"):
        if engines.on_postgres():  # tests/engines.py: a template database, copied per test
            url = engines.fresh_database(f"page_{name}")
        else:
            url = f"sqlite:///{folder / f'work-{name}.db'}"
        db.upgrade(url)
        extra = _build(url) if name == "town" else None
        if engines.on_postgres():
            built[name] = (f"page_{name}", extra)
        else:
            built[name] = (folder / f"{name}.db", extra)
            db.backup(url, built[name][0])  # VACUUM INTO: one clean file, no -wal beside it
        db.engine(url).dispose()
    return built


def _use_copy(name, templates, tmp_path, monkeypatch) -> str:
    template, _ = templates[name]
    if engines.on_postgres():
        url = engines.fresh_database("page_app", template=template)
    else:
        target = tmp_path / "app.db"
        shutil.copyfile(template, target)
        url = f"sqlite:///{target}"
    monkeypatch.setenv("DIANDAN_DATABASE_URL", url)
    monkeypatch.setenv("DIANDAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DIANDAN_COOKIE_KEY", raising=False)
    db.upgrade(url)
    return url


@pytest.fixture
def world(_templates, tmp_path, monkeypatch) -> World:
    """A private copy of the town with its orders; the app reads and writes it."""
    url = _use_copy("town", _templates, tmp_path, monkeypatch)
    town, built_orders = _templates["town"][1]
    yield World(url, town, built_orders)
    db.engine(url).dispose()


@pytest.fixture
def empty_url(_templates, tmp_path, monkeypatch) -> str:
    """A migrated database with nobody in it: the app shows the setup screen."""
    url = _use_copy("empty", _templates, tmp_path, monkeypatch)
    yield url
    db.engine(url).dispose()


class _ServedPagesManager(PagesManager):
    """AppTest's PagesManager, but routing like a warm server: app.py's st.navigation decides."""

    cold_start = False  # True: route like the first run after a server start (pages/ served)

    def __init__(self, *args, **kwargs):
        PagesManager.uses_pages_directory = None  # the reset AppTest means to do
        super().__init__(*args, **kwargs)
        if not _ServedPagesManager.cold_start:
            PagesManager.uses_pages_directory = False


@pytest.fixture(autouse=True)
def _no_kept_figures():
    """Each test starts with empty Streamlit caches: on PostgreSQL every test's database has the
    same URL, and a fresh copy starts again at the template's data version."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def _served_navigation(monkeypatch):
    enforced = st_config.get_option("runner.enforceSerializableSessionState")
    st_config.set_option("runner.enforceSerializableSessionState", False)
    monkeypatch.setattr(app_test_module, "PagesManager", _ServedPagesManager)
    yield
    _ServedPagesManager.cold_start = False
    PagesManager.uses_pages_directory = None
    st_config.set_option("runner.enforceSerializableSessionState", enforced)


def _process_timezone(name: str | None) -> None:
    if name is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = name
    time.tzset()


@pytest.fixture(autouse=True)
def server_timezone():
    """The pages take "today" from the server's clock (date.today()); run them on a server whose
    clock is in the app's time zone (Asia/Shanghai, the default setting), so that a test's
    result does not depend on the hour it runs at. Call the fixture with another zone to put the
    server elsewhere."""
    before = os.environ.get("TZ")
    _process_timezone("Asia/Shanghai")
    yield _process_timezone
    _process_timezone(before)


@functools.cache
def _components():
    # AppTest scans every installed distribution for v2 components once per instance (~0.5 s);
    # the result is the same for every test, so scan once and share it.
    from streamlit.components.v2.component_manager import BidiComponentManager

    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


def _new_app(path: Path) -> AppTest:
    at = AppTest.from_file(str(path), default_timeout=TIMEOUT)
    at._bidi_component_manager = _components()
    return at


# --- helpers the tests call ---------------------------------------------------------------------


def zh(key: str, **params) -> str:
    text = catalog("zh")[key]
    return text.format(**params) if params else text


def en(key: str, **params) -> str:
    text = catalog("en")[key]
    return text.format(**params) if params else text


def values(elements) -> list[str]:
    return [e.value for e in elements]


def shows_no_data(at: AppTest) -> bool:
    """Logged out: no figure and no table but the login page's hidden warm-up, whose values are
    fixed (ui/chrome.warm_up)."""
    word = zh("chrome.warm_up")
    return ([(m.label, m.value) for m in at.metric] == [(word, "0")]
            and [list(d.value.columns) for d in at.dataframe] == [[word]]
            and [d.value[word].tolist() for d in at.dataframe] == [[0]])


def run(at: AppTest) -> AppTest:
    """Run once; a traceback on screen or unpicklable session state fails the test."""
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    app_state = {k: v for k, v in at.session_state.to_dict().items() if not k.startswith("$$")}
    for key, value in app_state.items():
        try:
            pickle.dumps(value)
        except Exception as err:  # pragma: no cover - the message is the point
            pytest.fail(f"session_state[{key!r}] does not pickle: {err!r}")
    return at


def open_app(actor: Actor | None = None, *, lang: str | None = None) -> AppTest:
    """The app as served, already run once; signed in as `actor` when given."""
    at = _new_app(APP)
    if actor is not None:
        sign_in(at, actor)
    if lang is not None:
        at.session_state["lang"] = lang
    return run(at)


def sign_in(at: AppTest, actor: Actor) -> None:
    """What a successful login leaves in session state (the form itself is tested once)."""
    at.session_state["user_id"] = actor.id
    at.session_state["login_at"] = db.utcnow()


def goto(at: AppTest, page: str) -> AppTest:
    return run(at.switch_page(f"pages/{page}"))


def page_alone(page: str, actor: Actor | None = None) -> AppTest:
    """A direct visit to /<page> as the first run after a server start: Streamlit still serves
    pages/ by itself and runs the page file without app.py. Only the page's own guard stands."""
    at = _new_app(APP)
    if actor is not None:
        sign_in(at, actor)
    at.switch_page(f"pages/{page}")  # before any run: the page is found by its file name
    _ServedPagesManager.cold_start = True
    try:
        return run(at)
    finally:
        _ServedPagesManager.cold_start = False


def table_key(at: AppTest, key: str) -> str:
    """The key a table has now: ui.widgets.table_key adds the generation a change moves on."""
    generation = at.session_state["table_generation"] \
        if "table_generation" in at.session_state else 0
    return f"{key}_{generation}"


def table(at: AppTest, key: str):
    """The st.dataframe with this key, as the DataFrame it was given (column codes, not labels)."""
    key = table_key(at, key)
    frames = [f for f in at.dataframe if f.key == key]
    assert len(frames) == 1, [f.key for f in at.dataframe]
    return frames[0].value


def codes(at: AppTest, key: str) -> set[str]:
    return set(table(at, key)["code"])


def select_row(at: AppTest, key: str, row: int | list[int]) -> AppTest:
    """Pick a row (or several) of an st.dataframe(on_select="rerun"): AppTest has no click for
    it, but takes the selection as that widget's state."""
    rows = row if isinstance(row, list) else [row]
    at.session_state[table_key(at, key)] = {"selection": {"rows": rows, "columns": [],
                                                          "cells": []}}
    return run(at)


def select_code(at: AppTest, key: str, code: str) -> AppTest:
    rows = list(table(at, key)["code"])
    assert code in rows, rows
    return select_row(at, key, rows.index(code))


def submit(at: AppTest, label: str) -> AppTest:
    """Click the form submit button with this label (submit buttons have no key of their own)."""
    buttons = [b for b in at.get("form_submit_button") if b.label == label]
    assert len(buttons) == 1, [b.label for b in at.get("form_submit_button")]
    buttons[0].click()
    return run(at)
