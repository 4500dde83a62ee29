"""项目扶持: the year's support list of volunteer-service projects — amount, spending, flagship
mark and each project's figures for the year (工单, 受益群众, 服务时长, 好评率, 每受益群众成本) —
next year's candidates ranked by those figures, and the Excel export. Managers enter projects
and spending; leaders read."""

import streamlit as st

from core import db
from services import settings as settings_service
from services.permissions import Action, allowed
from ui import project_views
from ui.i18n import t
from ui.session import require

actor = require(Action.VIEW_PROJECTS)

st.title(t("projects.title"))
with db.session() as s:
    values = settings_service.current(s)
c = st.columns([1, 3], vertical_alignment="bottom")
with c[0]:
    year = project_views.year_picker()
with c[1]:
    project_views.export_button(actor, year)
with st.expander(t("projects.help_title"), icon=":material/help:"):
    st.markdown(t("projects.help_body", cap=f"{values['project_cap_yuan']:,}",
                  limit=values["projects_per_year"]))
VIEWS = ("list", "candidates")
view = st.segmented_control(t("projects.view"), VIEWS, default="list", key="proj_view",
                            format_func=lambda v: t(f"projects.view_{v}"),
                            label_visibility="collapsed") or "list"
if view == "list":
    picked = project_views.support_list(actor, year)
    if picked is not None:
        project_views.spending(actor, picked)
    if allowed(actor.role, Action.MANAGE_PROJECTS):
        project_views.edit_form(actor, year, picked)
else:
    project_views.candidate_list(actor, year)
