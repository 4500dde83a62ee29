"""值班表: the week's duty rota of the service stations (table and printable page), who is on
duty today and now; managers keep stations, opening hours, slots and assignments, and mark who
came, which credits the hours."""

import streamlit as st

from services.permissions import Action, allowed
from ui import duty_views, order_views, walk_in_views
from ui.i18n import t
from ui.session import require
from ui.widgets import empty

actor = require(Action.VIEW_ROTA)

st.title(t("duty.title"))
found = duty_views.stations(actor)
manages = allowed(actor.role, Action.MANAGE_STATIONS)
desk = allowed(actor.role, Action.PLACE_ORDER)  # 来访 are orders: whoever may place them
tabs = (["week", "today"] + (["walk_in"] if desk else [])
        + (["attendance", "rota", "stations"] if manages else []))
drawn = dict(zip(tabs, st.tabs([t(f"duty.tab_{name}") for name in tabs], key="duty_tab",
                                on_change="rerun"), strict=True))

with drawn["week"]:
    duty_views.week_panel(actor, found)
with drawn["today"]:
    duty_views.today_panel(actor)

if desk:
    with drawn["walk_in"]:
        station_id = duty_views.pick_station(found, "wi_station") if found else None
        if station_id is not None:
            walk_in_views.walk_in_form(actor, found[station_id], order_views.lookups(actor))
            walk_in_views.recent_list(actor, found[station_id])
        elif not found:
            empty("duty.no_stations")

if manages:
    people = duty_views.volunteers(actor)
    with drawn["attendance"]:
        station_id = duty_views.pick_station(found, "dm_station") if found else None
        if station_id is not None:
            duty_views.attendance_panel(actor, found[station_id])
        elif not found:
            empty("duty.no_stations")
    with drawn["rota"]:
        station_id = duty_views.pick_station(found, "dr_station") if found else None
        if station_id is not None:
            st.subheader(t("duty.slots_title"))
            duty_views.slot_form(actor, found[station_id])
            st.subheader(t("duty.assign_title"))
            duty_views.assign_panel(actor, found[station_id], people)
        elif not found:
            empty("duty.no_stations")
    with drawn["stations"]:
        duty_views.station_form(actor, order_views.lookups(actor))
        station_id = duty_views.pick_station(found, "dh_station") if found else None
        if station_id is not None:
            duty_views.hours_panel(actor, found[station_id])
