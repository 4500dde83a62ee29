"""Page tests with streamlit.testing.v1.AppTest: the app as a user drives it, one script run at a
time, against a temporary database of its own.

Speed: the town (tests/factories.py) plus a handful of orders in every state is built once per
run into a template file; each test copies it (~1 ms) and points the app at the copy through
DIANDAN_DATABASE_URL, so tests may change data freely.

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

import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
import streamlit.testing.v1.app_test as app_test_module

from core import db
from services import orders
from services.permissions import Actor
from tests import factories
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
        url = f"sqlite:///{folder / f'work-{name}.db'}"
        db.upgrade(url)
        extra = _build(url) if name == "town" else None
        built[name] = (folder / f"{name}.db", extra)
        db.backup(url, built[name][0])  # VACUUM INTO: one clean file, no -wal beside it
        db.engine(url).dispose()
    return built


def _use_copy(name, templates, tmp_path, monkeypatch) -> str:
    template, _ = templates[name]
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
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture(autouse=True)
def _served_navigation(monkeypatch):
    st_config.set_option("runner.enforceSerializableSessionState", False)
    monkeypatch.setattr(app_test_module, "PagesManager", _ServedPagesManager)
    yield
    PagesManager.uses_pages_directory = None


# --- helpers the tests call ---------------------------------------------------------------------


def zh(key: str, **params) -> str:
    text = catalog("zh")[key]
    return text.format(**params) if params else text


def en(key: str, **params) -> str:
    text = catalog("en")[key]
    return text.format(**params) if params else text


def values(elements) -> list[str]:
    return [e.value for e in elements]


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
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
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
    """A direct visit that bypasses app.py: the page file is the whole script."""
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=TIMEOUT)
    if actor is not None:
        sign_in(at, actor)
    return run(at)


def select_row(at: AppTest, key: str, row: int = 0) -> AppTest:
    """Pick a row of an st.dataframe(on_select=...): AppTest takes the selection as state."""
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return run(at)


def submit(at: AppTest, label: str) -> AppTest:
    """Click the form submit button with this label (submit buttons have no key of their own)."""
    buttons = [b for b in at.get("form_submit_button") if b.label == label]
    assert len(buttons) == 1, [b.label for b in at.get("form_submit_button")]
    buttons[0].click()
    return run(at)


def shown_codes(at: AppTest) -> set[str]:
    """Order codes in the first table that has a code column."""
    for frame in at.dataframe:
        df = frame.value
        for column in df.columns:
            if column == "code" or str(df[column].iloc[0] if len(df) else "").startswith("DD-"):
                return set(df[column])
    return set()
