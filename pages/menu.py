"""服务菜单: every item with the needs asking for it, its orders, beneficiaries and 好评率; the
items to revise (poorly rated, or nobody orders them) with the numbers behind each flag; the
categories where needs pile up with no item to serve them. Managers add, edit and retire items."""

import streamlit as st

from core import db
from services import menu
from services.permissions import Action, allowed
from ui import menu_views, order_views
from ui.i18n import t
from ui.session import require

actor = require(Action.VIEW_MENU)

st.title(t("menu.title"))
with db.session() as s:
    rows = menu.review(s, actor=actor)
    unserved = menu.unserved(s, actor=actor)

flagged = [r for r in rows if r["flags"]]
c = st.columns(3)
c[0].metric(t("menu.active_items"), sum(r["active"] for r in rows), border=True)
c[1].metric(t("menu.flagged_items"), len(flagged), border=True, help=t("menu.flag_help"))
c[2].metric(t("menu.unserved_categories"), len(unserved), border=True)

only_flagged = st.toggle(t("menu.only_flagged"), key="menu_only_flagged")
show_retired = st.toggle(t("menu.show_retired"), key="menu_show_retired")
shown = [r for r in (flagged if only_flagged else flagged + [r for r in rows if not r["flags"]])
         if show_retired or r["active"]]
menu_views.review_table(shown)
menu_views.export_button(actor)
menu_views.unserved_table(unserved)

if allowed(actor.role, Action.MANAGE_MENU):
    menu_views.item_form(actor, rows, order_views.lookups(actor))
