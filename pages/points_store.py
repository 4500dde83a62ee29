"""积分超市: redeem goods for a volunteer's points at the counter, keep the goods and their
stock, and see, cancel and export the redemptions."""

import streamlit as st

from services.permissions import Action
from ui import store_views
from ui.i18n import t
from ui.session import require

actor = require(Action.MANAGE_POINTS)

st.title(t("points_store.title"))
VIEWS = ("counter", "goods", "history")
view = st.segmented_control(t("points_store.view"), VIEWS, default="counter", key="store_view",
                            format_func=lambda v: t(f"points_store.view_{v}"),
                            label_visibility="collapsed") or "counter"
if view == "counter":
    store_views.counter(actor)
elif view == "goods":
    store_views.goods(actor)
else:
    store_views.history(actor)
