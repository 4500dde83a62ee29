"""概览: the period's tiles, orders per month by status, and demand (needs recorded) against
supply (orders done) per category."""

from datetime import timedelta

import streamlit as st

from core import db
from services import periods, reports
from services.permissions import Action
from ui import charts, leader_charts
from ui.alert_views import alert_list
from ui.freshness import kept
from ui.i18n import t
from ui.period_views import change, previous_span
from ui.session import require
from ui.widgets import chart_or_empty, local_today, percent

actor = require(Action.VIEW_OVERVIEW)

st.title(t("overview.title"))
today = local_today()
first = today - timedelta(days=29)  # the last 30 days: never an empty screen on the 1st
period = st.date_input(t("overview.period"), value=(first, today), key="overview_period",
                       format="YYYY-MM-DD")
start, end = (period if isinstance(period, tuple) and len(period) == 2 else (first, today))
before_start, before_end = previous_span(start, end)

# The period's tiles have no clock: kept per data version (ui/freshness.py), like the charts
# below; 超时 is a count of now, read on every run. The month chart is 12 months of the whole
# subtree's rollups.
tiles = {**kept(reports.period_tiles, actor=actor, start=start, end=end)}
before = kept(reports.period_tiles, actor=actor, start=before_start, end=before_end)
with db.session() as s:
    tiles["overdue"] = reports.overdue_now(s, actor=actor)
year_ago = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
monthly = kept(reports.orders_by_month, actor=actor, start=year_ago, end=today)
demand = kept(reports.demand_supply, actor=actor, start=start, end=end)

row1 = st.columns(4)
row1[0].metric(t("overview.placed"), tiles["placed"], border=True,
               delta=change(tiles, before, "placed"))
row1[1].metric(t("overview.done"), tiles["done"], border=True,
               delta=change(tiles, before, "done"))
row1[2].metric(t("overview.overdue"), tiles["overdue"], border=True,
               help=t("overview.overdue_help"))
row1[3].metric(t("overview.good_rate"), percent(tiles["good_rate"]), border=True,
               delta=change(tiles, before, "good_rate"),
               help=t("overview.good_rate_help", ratings=tiles["ratings"]))
row2 = st.columns(4)
row2[0].metric(t("overview.beneficiaries"), f"{tiles['beneficiaries']:,}", border=True,
               delta=change(tiles, before, "beneficiaries"))
row2[1].metric(t("overview.hours"), f"{tiles['hours']:,}", border=True,
               delta=change(tiles, before, "hours"))
row2[2].metric(t("overview.satisfied_rate"), percent(tiles["satisfied_rate"]), border=True,
               delta=change(tiles, before, "satisfied_rate"))
row2[3].metric(t("overview.active_volunteers"), tiles["active_volunteers"], border=True,
               delta=change(tiles, before, "active_volunteers"))
st.caption(t("period_change.caption", start=before_start.isoformat(),
             end=before_end.isoformat()))
alert_list(actor, periods.custom(start, end))

st.subheader(t("overview.by_month"))
chart_or_empty(monthly, charts.orders_by_month, "overview.no_orders")

st.subheader(t("overview.demand_supply"))
st.caption(t("overview.demand_supply_help"))
chart_or_empty(demand, charts.demand_supply, "overview.no_demand")

leader_charts.section(actor, start, end)
