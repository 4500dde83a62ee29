"""满意度: 好评率 and 满意率 by team, category, village and month, the trend, and the lowest-rated
menu items and teams with what residents said about them."""

from datetime import timedelta

import streamlit as st

from services import satisfaction
from services.permissions import Action
from ui import charts
from ui.follow_up_views import rate_tiles
from ui.freshness import kept
from ui.i18n import t
from ui.satisfaction_views import breakdown_table, comment_table, lowest_table, summary_tiles
from ui.session import require
from ui.widgets import empty, local_today

actor = require(Action.VIEW_SATISFACTION)

st.title(t("satisfaction.title"))
today = local_today()
year_ago = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
period = st.date_input(t("overview.period"), value=(year_ago, today), key="satisfaction_period",
                       format="YYYY-MM-DD")
start, end = (period if isinstance(period, tuple) and len(period) == 2 else (year_ago, today))

# Kept per data version (ui/freshness.py): a year of the county is ~1.5 s of rollup reads.
summary = kept(satisfaction.summary, actor=actor, start=start, end=end)
trend = kept(satisfaction.breakdown, actor=actor, start=start, end=end, by="month")
summary_tiles(summary)
st.subheader(t("satisfaction.follow_ups"))
rate_tiles(actor, start, end)

st.subheader(t("satisfaction.trend"))
if trend.empty:
    empty("satisfaction.none")
else:
    charts.draw(charts.satisfaction_trend(trend))

st.subheader(t("satisfaction.by"))
by = st.segmented_control(t("satisfaction.dimension"), satisfaction.DIMENSIONS, default="team",
                          key="satisfaction_by",
                          format_func=lambda d: t(f"satisfaction.dim.{d}")) or "team"
breakdown_table(actor, start, end, by)

st.subheader(t("satisfaction.lowest"))
st.caption(t("satisfaction.lowest_hint"))
# one below the other: side by side, each half of a 1366 px laptop cut its table's columns
low_items = lowest_table(actor, start, end, "item")
low_teams = lowest_table(actor, start, end, "team")
st.subheader(t("satisfaction.comments"))
comment_table(actor, start, end, item_ids=low_items, team_ids=low_teams)
