"""志愿者: the roster with each volunteer's record (志愿者档案), 星级公示, 回访动员, the
专家人才库 and the roster import."""

import streamlit as st

from services.permissions import Action
from ui import expert_views, record_views, roster_views, volunteer_views
from ui.i18n import t
from ui.session import require

actor = require(Action.MANAGE_VOLUNTEERS)

st.title(t("volunteers.title"))
VIEWS = ("roster", "stars", "reengage", "experts", "import")
view = st.segmented_control(t("volunteers.view"), VIEWS, default="roster", key="vol_view",
                            format_func=lambda v: t(f"volunteers.view_{v}"),
                            label_visibility="collapsed") or "roster"
lookup = volunteer_views.names(actor)

if view == "roster":
    picked = volunteer_views.volunteer_list(actor, lookup)
    if picked is None:
        st.subheader(t("volunteers.add"))
        volunteer_views.edit_form(actor, lookup, None)
    else:
        record_views.record(actor, picked, lookup)
elif view == "stars":
    volunteer_views.new_stars(actor)
elif view == "reengage":
    volunteer_views.reengage(actor)
elif view == "experts":
    expert_views.search(actor, lookup)
else:
    roster_views.import_panel(actor)
