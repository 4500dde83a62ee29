"""工单: the orders of my sites — find them, place a new one, read one with its history."""

import streamlit as st

from models import CANCELLABLE
from services.permissions import Action, allowed
from ui import order_views, progress_card
from ui.i18n import t
from ui.rating_card import rating_link_section
from ui.session import require

actor = require(Action.VIEW_ORDERS)

st.title(t("orders.title"))
names = order_views.lookups(actor)
progress_card.new_card()  # the 服务卡 just made with 点单: above the tabs, seen from either
browse, place = st.tabs([t("orders.list_tab"), t("orders.place_tab")])

with browse:
    flt = order_views.filters(names, key="orders")
    rows = order_views.order_page(actor, flt, "orders_page")
    picked = order_views.order_table(rows, key="orders_table")
    if picked is None:
        st.caption(t("orders.pick_hint"))
    else:
        info = order_views.detail(actor, picked)
        rating_link_section(actor, info)
        progress_card.section(actor, info)
        if allowed(actor.role, Action.CANCEL) and info["order"]["status"] in CANCELLABLE:
            order_views.cancel_form(actor, picked)

with place:
    order_views.place_form(actor, names)
