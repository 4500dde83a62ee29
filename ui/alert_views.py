"""预警 on 概览 and 绩效评价: each warning in words with its numbers (names as plain text)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import config, db
from services import alerts
from services.periods import Period
from services.permissions import Actor
from ui import freshness
from ui.i18n import t


@st.cache_data(ttl=300, show_spinner=False, max_entries=200)
def _alerts(url: str, actor: Actor, period: Period, version: int) -> list[dict]:
    """The period's 预警, kept per database, actor, period and data version: the declining-teams
    rule reads every team's answers over all history (2.3 s at 100,000 orders for the county,
    bench/README.md), and 概览 reruns on every click. Any write, in any process, moves the
    version on, so a new figure shows on the next rerun (ui/freshness.py); an idle 站 follows
    "now" without a write, so the five minutes bound how late it can appear."""
    del version  # part of the cache key only
    with db.session(url) as s:
        return alerts.alerts(s, actor=actor, period=period)


def _words(a: dict) -> str:
    if a["kind"] == "rise":
        return t(f"alerts.rise_{a['measure']}_{a['dimension']}", now=a["now"],
                 before=a["before"])
    if a["kind"] == "declines":
        return t("alerts.declines", n=a["now"])
    return t("alerts.idle", days=a["days"])


def alert_list(actor: Actor, period: Period) -> None:
    """The period's early warnings, folded under a title that says how many there are."""
    found = _alerts(config.database_url(), actor, period, freshness.version())
    title = t("alerts.title", n=len(found)) if found else t("alerts.none")
    with st.expander(title, expanded=bool(found), icon=":material/warning:"):
        st.caption(t("alerts.help"))
        if found:
            st.dataframe(pd.DataFrame([{"name": a["name"], "what": _words(a)} for a in found]),
                         hide_index=True, width="stretch",
                         column_config={"name": t("alerts.col_name"),
                                        "what": t("alerts.col_what")})
