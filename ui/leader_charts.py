"""The overview's leader charts: pure functions from the small frames of
services/leader_charts.py to Altair bar charts, and the section that draws them."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from services import leader_charts, satisfaction
from services.permissions import Actor
from ui import charts
from ui.freshness import kept
from ui.i18n import t
from ui.widgets import chart_or_empty


def bars(df: pd.DataFrame, label: str, value: str, label_title: str, value_title: str,
         fmt: str = "d") -> alt.Chart:
    """Horizontal bars, longest first, one per row of a small aggregate."""
    return (alt.Chart(df).mark_bar(color="#457b9d")
            .encode(y=alt.Y(f"{label}:N", title=label_title, sort="-x",
                            axis=alt.Axis(labelLimit=220)),
                    x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)),
                    tooltip=[alt.Tooltip(f"{label}:N", title=label_title),
                             alt.Tooltip(f"{value}:Q", title=value_title)])
            .properties(height=max(120, 26 * len(df))))


def section(actor: Actor, start: date, end: date) -> None:
    # No clock in these: kept per data version (ui/freshness.py).
    span = {"actor": actor, "start": start, "end": end}
    people = kept(leader_charts.beneficiaries_by_village, **span)
    mix = kept(leader_charts.category_mix, **span)
    board = kept(leader_charts.team_leaderboard, **span)
    steps = kept(leader_charts.response_times, **span)
    trend = kept(satisfaction.breakdown, **span, by="month")
    left, right = st.columns(2)
    with left:
        st.subheader(t("leader_charts.by_village"))
        chart_or_empty(people, lambda d: bars(d, "site", "people", t("leader_charts.village"),
                                              t("overview.beneficiaries")),
                       "leader_charts.none_done")
    with right:
        st.subheader(t("leader_charts.mix"))
        chart_or_empty(mix, lambda d: bars(d, "category", "orders", t("orders.category"),
                                           t("overview.orders")), "overview.no_orders")
    left, right = st.columns(2)
    with left:
        st.subheader(t("leader_charts.leaderboard"))
        chart_or_empty(board, lambda d: bars(d, "team", "done", t("leader_charts.team"),
                                             t("overview.done")), "leader_charts.none_done")
    with right:
        st.subheader(t("leader_charts.response"))
        shown = steps.assign(step=steps["step"].map(lambda v: t(f"leader_charts.step_{v}")))
        chart_or_empty(shown, lambda d: bars(d, "step", "hours", t("leader_charts.step"),
                                             t("leader_charts.hours"), fmt=".1f"),
                       "leader_charts.none_done")
    st.subheader(t("satisfaction.trend"))
    chart_or_empty(trend, charts.satisfaction_trend, "satisfaction.none")
