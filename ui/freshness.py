"""How fresh what this process keeps in memory is: the data version (core/db.py) read once at the
start of each rerun, by app.py. Whatever a page keeps across reruns (st.cache_data, a value in
session state) is keyed by it, so a write committed by any app process on the same database is
seen by every session of every process on its next rerun, not when a timer runs out."""

from __future__ import annotations

import streamlit as st

from core import db

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
