"""预警 on 概览 and 绩效评价: each warning in words with its numbers (names as plain text)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import alerts
from services.periods import Period
from services.permissions import Actor
from ui.i18n import t


def _words(a: dict) -> str:
    if a["kind"] == "rise":
        return t(f"alerts.rise_{a['measure']}_{a['dimension']}", now=a["now"],
                 before=a["before"])
    if a["kind"] == "declines":
        return t("alerts.declines", n=a["now"])
    return t("alerts.idle", days=a["days"])


def alert_list(actor: Actor, period: Period) -> None:
    """The period's early warnings, folded under a title that says how many there are."""
    with db.session() as s:
        found = alerts.alerts(s, actor=actor, period=period)
    title = t("alerts.title", n=len(found)) if found else t("alerts.none")
    with st.expander(title, expanded=bool(found), icon=":material/warning:"):
        st.caption(t("alerts.help"))
        if found:
            st.dataframe(pd.DataFrame([{"name": a["name"], "what": _words(a)} for a in found]),
                         hide_index=True, width="stretch",
                         column_config={"name": t("alerts.col_name"),
                                        "what": t("alerts.col_what")})
