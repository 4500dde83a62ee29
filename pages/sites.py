"""站点: the 所 and 站 of my site as a tree — add, rename, move, deactivate, import villages."""

import streamlit as st

from core import db
from services import sites
from services.permissions import Action
from ui import site_views
from ui.i18n import t
from ui.session import require
from ui.widgets import empty

actor = require(Action.MANAGE_SITES)

st.title(t("sites.title"))
with db.session() as s:
    rows = sites.tree(s, actor=actor)
if not any(r["level"] == "point" for r in rows):
    empty("sites.no_villages")
picked = site_views.tree_table(rows)
st.caption(t("sites.pick_hint"))

if picked is not None:
    st.subheader(t("sites.edit", name=picked["name"]))
    site_views.edit_forms(actor, rows, picked)
else:
    add, batch = st.tabs([t("sites.add_tab"), t("sites.import_tab")])
    with add:
        site_views.add_form(actor, rows)
    with batch:
        site_views.import_panel(actor)
