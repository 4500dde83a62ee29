"""派单: the queue of orders waiting for a team, most urgent first; pick a team and send it.
A second tab lists every overdue order with who holds it and by how much it is late."""

import streamlit as st

from core import db
from services import orders, teams
from services.permissions import Action
from ui import order_views
from ui.i18n import t
from ui.overdue_views import overdue_list
from ui.session import require
from ui.widgets import empty, flash, reporting_errors

actor = require(Action.DISPATCH)

st.title(t("dispatch.title"))
queue_tab, late_tab = st.tabs([t("dispatch.queue_tab"), t("dispatch.overdue_tab")])
with late_tab:
    overdue_list(actor)

with queue_tab:
    st.caption(t("dispatch.hint"))
    queue = orders.OrderFilter(statuses=("submitted",))
    rows = order_views.order_page(actor, queue, "dispatch_page", sort="urgent", per_page=25)
    picked = order_views.order_table(rows, key="dispatch_table")
    if picked is None:
        if rows:
            st.caption(t("dispatch.pick_hint"))
        st.stop()
    info = order_views.detail(actor, picked)
    with db.session() as s:
        options = teams.for_dispatch(s, actor=actor, category_id=info["order"]["category_id"])
    if not options:
        empty("dispatch.no_teams")
        st.stop()
    by_id = {o["id"]: o for o in options}
    with st.form("dispatch_form"):
        team_id = st.selectbox(
            t("dispatch.team"), list(by_id), key="dispatch_team",
            format_func=lambda i: t("dispatch.team_option", name=by_id[i]["name"],
                                    site=by_id[i]["site"], open=by_id[i]["open_orders"],
                                    serves="✓" if by_id[i]["serves_category"] else "—"))
        go = st.form_submit_button(t("dispatch.send"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors():
            order = orders.dispatch(s, actor=actor, order_id=picked, team_id=team_id)
        flash(t("dispatch.sent", code=order.code, team=by_id[team_id]["name"]))
