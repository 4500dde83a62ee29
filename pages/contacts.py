"""户联系: party members fixed to households — pair and end pairs, record a member's visit with
the needs heard, and see who is overdue, unpaired or below target, and the coverage."""

import streamlit as st

from services.permissions import Action, allowed
from ui import contact_views, order_views
from ui.i18n import t
from ui.session import require

actor = require(Action.VIEW_HOUSEHOLDS)

st.title(t("contacts.title"))
names = order_views.lookups(actor)
tabs = []
if allowed(actor.role, Action.RECORD_VISIT):
    tabs.append("visit")
if allowed(actor.role, Action.PAIR_CONTACTS):
    tabs.append("pair")
tabs += ["overdue", "unpaired", "coverage"]
drawn = dict(zip(tabs, st.tabs([t(f"contacts.tab_{name}") for name in tabs], key="contacts_tab",
                                on_change="rerun"), strict=True))

if "visit" in drawn:
    with drawn["visit"]:
        contact_views.visit_form(actor, names)
if "pair" in drawn:
    with drawn["pair"]:
        contact_views.pair_panel(actor, names)
        st.divider()
        st.subheader(t("contacts.end_title"))
        contact_views.end_panel(actor)
with drawn["overdue"]:
    contact_views.overdue_list(actor)
with drawn["unpaired"]:
    contact_views.unpaired_and_below(actor)
with drawn["coverage"]:
    contact_views.coverage_panel(actor)
