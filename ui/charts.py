"""Pure functions from small aggregated DataFrames to Altair charts, and `draw`, the one
place a chart goes on screen."""

from __future__ import annotations

import functools

import altair as alt
import pandas as pd
import streamlit as st

from models import STATUS_ORDER
from ui.i18n import label, t

# One per status of STATUS_ORDER, in its order (待审核 between 已接单 and 已完成).
STATUS_COLOURS = ("#9e9e9e", "#f4a261", "#2a9d8f", "#8ab17d", "#457b9d", "#1d3557", "#e76f51")

# Altair checks a chart against the Vega-Lite schema every time it becomes a spec: about 30 ms
# a chart, a fifth of the overview's rerun with its six charts (bench/README.md). The specs are
# fixed code, so the tests check every one they draw (tests/conftest.py sets this) and a server
# draws them unchecked.
CHECK_SPECS = False


def unchecked(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The same chart, turned into its spec without the schema check. Streamlit calls
    chart.to_dict() with Altair's default validate=True; an instance attribute (set past
    SchemaBase's __setattr__, which would take it for a chart property) answers that call
    unchecked, with the same spec (tests/test_charts.py)."""
    object.__setattr__(chart, "to_dict",
                       functools.partial(type(chart).to_dict, chart, validate=False))
    return chart


def draw(chart: alt.TopLevelMixin) -> None:
    """The chart across the page's width (Streamlit turns it into a spec on every run)."""
    st.altair_chart(chart if CHECK_SPECS else unchecked(chart), width="stretch")


def orders_by_month(df: pd.DataFrame) -> alt.Chart:
    """Stacked bars: orders placed per month, coloured by current status."""
    data = df.assign(status_label=df["status"].map(lambda s: label("status", s)))
    domain = [label("status", s) for s in STATUS_ORDER]
    return (alt.Chart(data)
            .mark_bar()
            .encode(x=alt.X("month:O", title=t("overview.month"), axis=alt.Axis(labelAngle=0)),
                    y=alt.Y("orders:Q", title=t("overview.orders"),
                            axis=alt.Axis(format="d", tickMinStep=1)),
                    color=alt.Color("status_label:N", title=t("orders.status"),
                                    scale=alt.Scale(domain=domain, range=list(STATUS_COLOURS)),
                                    sort=domain),
                    order=alt.Order("status_order:Q"),
                    tooltip=[alt.Tooltip("month:O", title=t("overview.month")),
                             alt.Tooltip("status_label:N", title=t("orders.status")),
                             alt.Tooltip("orders:Q", title=t("overview.orders"))])
            .transform_calculate(status_order=f"indexof({list(domain)!r}, datum.status_label)")
            .properties(height=320))


def satisfaction_trend(df: pd.DataFrame) -> alt.Chart:
    """Lines: 好评率 and 满意率 per month (columns name = month, good_rate, satisfied_rate,
    ratings)."""
    names = {"good_rate": t("overview.good_rate"), "satisfied_rate": t("overview.satisfied_rate")}
    data = (df.rename(columns={"name": "month"})
            .melt(id_vars=["month", "ratings"], value_vars=list(names), var_name="measure",
                  value_name="share")
            .assign(measure=lambda d: d["measure"].map(names)))
    return (alt.Chart(data)
            .mark_line(point=True)
            .encode(x=alt.X("month:O", title=t("overview.month"), axis=alt.Axis(labelAngle=0)),
                    y=alt.Y("share:Q", title=t("satisfaction.share"),
                            axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)),
                    color=alt.Color("measure:N", title=None,
                                    scale=alt.Scale(domain=list(names.values()),
                                                    range=["#c0392b", "#457b9d"])),
                    tooltip=[alt.Tooltip("month:O", title=t("overview.month")),
                             alt.Tooltip("measure:N", title=t("satisfaction.measure")),
                             alt.Tooltip("share:Q", title=t("satisfaction.share"), format=".1%"),
                             alt.Tooltip("ratings:Q", title=t("satisfaction.ratings"))])
            .properties(height=300))


def need_heat(df: pd.DataFrame) -> alt.Chart:
    """Villages × categories, each cell the number of needs, darker for more."""
    base = alt.Chart(df).encode(
        x=alt.X("category:N", title=None,
                sort=list(dict.fromkeys(df.sort_values("category_order")["category"])),
                axis=alt.Axis(orient="top", labelAngle=0, labelOverlap=False, labelLimit=140)),
        y=alt.Y("village:N", title=None, sort=list(dict.fromkeys(df["village"]))))
    cells = base.mark_rect().encode(
        color=alt.Color("needs:Q", title=t("needs.count"), scale=alt.Scale(scheme="oranges")),
        tooltip=[alt.Tooltip("village:N", title=t("needs.col.site")),
                 alt.Tooltip("category:N", title=t("needs.col.category")),
                 alt.Tooltip("needs:Q", title=t("needs.count"))])
    numbers = base.mark_text(fontSize=13).encode(text="needs:Q")
    return (cells + numbers).properties(height=alt.Step(34))


def demand_supply(df: pd.DataFrame) -> alt.Chart:
    """Per category: needs recorded next to orders done, side by side."""
    long = df.melt(id_vars="category", value_vars=["needs", "done"], var_name="kind",
                   value_name="count")
    long["kind_label"] = long["kind"].map({"needs": t("overview.demand"),
                                           "done": t("overview.supply")})
    domain = [t("overview.demand"), t("overview.supply")]
    return (alt.Chart(long).mark_bar()
            .encode(x=alt.X("category:N", title=None, sort=list(df["category"]),
                            axis=alt.Axis(labelAngle=0, labelLimit=200)),
                    xOffset=alt.XOffset("kind_label:N", sort=domain),
                    y=alt.Y("count:Q", title=t("overview.count"),
                            axis=alt.Axis(format="d", tickMinStep=1)),
                    color=alt.Color("kind_label:N", title="", sort=domain,
                                    scale=alt.Scale(domain=domain,
                                                    range=["#f4a261", "#457b9d"])),
                    tooltip=[alt.Tooltip("category:N", title=t("orders.category")),
                             alt.Tooltip("kind_label:N", title=""),
                             alt.Tooltip("count:Q", title=t("overview.count"))])
            .properties(height=300))
