"""工单: the orders of my sites — find them, place a new one, read one with its history."""

import streamlit as st

from core import db
from services import orders
from services.permissions import Action, allowed
from ui import order_views
from ui.i18n import t
from ui.session import require
from ui.widgets import confirmed_reason, flash, reporting_errors

actor = require(Action.VIEW_ORDERS)

st.title(t("orders.title"))
names = order_views.lookups(actor)
browse, place = st.tabs([t("orders.list_tab"), t("orders.place_tab")])

with browse:
    flt = order_views.filters(actor, names, key="orders")
    rows = order_views.order_page(actor, flt, "orders_page")
    picked = order_views.order_table(rows, key="orders_table")
    if picked is None:
        st.caption(t("orders.pick_hint"))
    else:
        info = order_views.detail(actor, picked)
        if allowed(actor.role, Action.CANCEL) and info["order"]["status"] in (
                "submitted", "dispatched", "accepted"):
            reason = confirmed_reason("cancel_order", reason_label=t("orders.cancel_reason"),
                                      confirm_label=t("orders.cancel_confirm"),
                                      button=t("orders.cancel"), key="cancel")
            if reason is not None:
                with db.write_session() as s, reporting_errors():
                    orders.cancel(s, actor=actor, order_id=picked, reason=reason)
                flash(t("orders.cancelled"))

with place:
    order_views.place_form(actor, names)
