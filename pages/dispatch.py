"""派单: the queue of orders waiting for a team (new and declined), most urgent first. Pick one
order to see it with the teams recommended for it and send it in one click, or cancel it; pick
several to send them together. A second tab lists every overdue order with who holds it."""

import streamlit as st

from services.permissions import Action
from ui import dispatch_views, order_views
from ui.i18n import t
from ui.overdue_views import overdue_list
from ui.session import require

actor = require(Action.DISPATCH)

st.title(t("dispatch.title"))
queue_tab, late_tab = st.tabs([t("dispatch.queue_tab"), t("dispatch.overdue_tab")])
with late_tab:
    overdue_list(actor)

with queue_tab:
    st.caption(t("dispatch.hint"))
    names = order_views.lookups(actor)
    queue = dispatch_views.queue_filters(names)
    rows = order_views.order_page(actor, queue, "dispatch_page", sort="urgent", per_page=25)
    picked = order_views.order_table(rows, key="dispatch_table", multi=True,
                                     extra=("last_decline_reason",), hide=("team",))
    if not picked:
        if rows:
            st.caption(t("dispatch.pick_hint"))
        st.stop()
    about, teams_col = st.columns([2, 3], gap="large")
    with about:
        if len(picked) == 1:
            info = order_views.load(actor, picked[0])
            order_views.heading(info)
            with st.expander(t("dispatch.order_detail"), icon=":material/description:"):
                order_views.facts(info)
            with st.expander(t("orders.cancel"), icon=":material/cancel:"):
                order_views.cancel_form(actor, picked[0])
        else:
            st.subheader(t("dispatch.batch_title", n=len(picked)))
            chosen = [r for r in rows if r["id"] in picked]
            st.text("\n".join(f"{r['code']}  {r['title']}（{r['site']} · {r['category']}）"
                              for r in chosen))
    with teams_col:
        dispatch_views.recommendations(actor, picked)
