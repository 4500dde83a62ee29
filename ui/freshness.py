"""How fresh what this process keeps in memory is: the data version (core/db.py) read once at the
start of each rerun, by app.py. Whatever a page keeps across reruns (st.cache_data, a value in
session state) is keyed by it, so a write committed by any app process on the same database is
seen by every session of every process on its next rerun, not when a timer runs out."""

from __future__ import annotations

import importlib

import streamlit as st

from core import config, db

_KEY = "data_version"


def note_rerun() -> int:
    """Read the data version for this rerun (app.py, before any page runs)."""
    st.session_state[_KEY] = version = db.data_version()
    return version


def version() -> int:
    """The data version this rerun started with."""
    if _KEY not in st.session_state:  # a page run without app.py (the first run of a server)
        return note_rerun()
    return st.session_state[_KEY]


def kept(fn, **kwargs):
    """`fn(session, **kwargs)`, a service read, kept per database and data version: a rerun with
    no write in between (a click on a chart, a tab, a filter that comes back) reads memory,
    and any write in any process is seen on the next rerun. For figures that need no clock
    (a period's rollup totals); the ten minutes only bound the memory."""
    return _kept(config.database_url(), version(), fn.__module__, fn.__qualname__,
                 tuple(sorted(kwargs.items())))


@st.cache_data(ttl=600, show_spinner=False, max_entries=500)
def _kept(url: str, version: int, module: str, name: str, kwargs: tuple):
    del version  # part of the cache key only
    fn = getattr(importlib.import_module(module), name)
    with db.session(url) as s:
        return fn(s, **dict(kwargs))
