"""中心制单: the activities the centre plans itself (学雷锋日, 七一, 重阳), sent down to 所/站 and
teams as orders. Managers make a campaign and 下发 it; everyone here reads each target's
progress (status, beneficiaries, hours, rating) and the totals. Leaders read."""

import streamlit as st

from services.permissions import Action, allowed
from ui import campaign_views
from ui.i18n import t
from ui.session import require

actor = require(Action.VIEW_CAMPAIGNS)

st.title(t("campaigns.title"))
st.caption(t("campaigns.intro"))
view = "list"
if allowed(actor.role, Action.MANAGE_CAMPAIGNS):
    # After a save: back to the list. The value is set through session state, so the widget
    # takes no default (both at once makes Streamlit warn on every save).
    st.session_state.setdefault("camp_view", "list")
    if "camp_view_next" in st.session_state:
        st.session_state["camp_view"] = st.session_state.pop("camp_view_next")
    view = st.segmented_control(t("campaigns.view"), ("list", "new"), key="camp_view",
                                format_func=lambda v: t(f"campaigns.view_{v}"),
                                label_visibility="collapsed") or "list"
if view == "list":
    picked = campaign_views.campaign_list(actor)
    if picked is not None:
        campaign_views.campaign_detail(actor, picked)
else:
    campaign_views.create_form(actor)
