"""群众需求: open needs by village and category, and the list below; tick one need, or several
similar ones of one village, to place one order prefilled from them, or close one as not
feasible."""

import streamlit as st

from core import db
from services import needs
from services.permissions import Action, allowed
from ui import charts, need_views, order_views
from ui.i18n import t
from ui.session import require
from ui.widgets import chart_or_empty

actor = require(Action.VIEW_NEEDS)

st.title(t("needs.title"))
names = order_views.lookups(actor)
flt = need_views.filters(names)
with db.session() as s:
    heat = needs.heat(s, actor=actor, flt=flt)

st.subheader(t("needs.heat_title"))
chart_or_empty(heat, charts.need_heat, "needs.none")

st.subheader(t("needs.list_title"))
may_handle = allowed(actor.role, Action.HANDLE_NEEDS)
if may_handle:
    st.caption(t("needs.pick_hint"))
rows = need_views.need_page(actor, flt)
picked = need_views.need_table(rows, selectable=may_handle)
if picked:
    need_views.order_form(actor, picked, names)
    if len(picked) == 1 and picked[0]["state"] == "open":
        need_views.close_form(actor, picked[0])
