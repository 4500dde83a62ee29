"""回访: the follow-up calls to make — every 差评, and every order left unrated — and their
outcomes."""

import streamlit as st

from services.follow_ups import STATES
from services.permissions import Action
from ui import order_views
from ui.follow_up_views import STATE_KEYS, follow_up_list, outcome_form, rate_tiles
from ui.i18n import t
from ui.session import require

actor = require(Action.FOLLOW_UP)

st.title(t("follow_ups.title"))
st.caption(t("follow_ups.hint"))
rate_tiles(actor)
state = st.segmented_control(t("follow_ups.state"), STATES, default="due", key="follow_ups_state",
                             format_func=lambda s: t(STATE_KEYS[s])) or "due"
row = follow_up_list(actor, state)
if row is None:
    st.stop()
order_views.detail(actor, row["order_id"])
if state != "done":
    outcome_form(actor, row)
