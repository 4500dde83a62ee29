"""户: the household register of the 站 — find a household, add or edit one, import a batch
from a spreadsheet, keep the list of tags."""

import streamlit as st

from services.permissions import Action, allowed
from ui import household_views, order_views
from ui.i18n import t
from ui.session import require

actor = require(Action.VIEW_HOUSEHOLDS)

st.title(t("households.title"))
names = order_views.lookups(actor)
tags = household_views.tag_choices()
may_edit = allowed(actor.role, Action.MANAGE_HOUSEHOLDS)
tabs = [t("households.list_tab")]
if may_edit:
    tabs.append(t("households.add_tab"))
if allowed(actor.role, Action.IMPORT_HOUSEHOLDS):
    tabs.append(t("households.import_tab"))
if allowed(actor.role, Action.MANAGE_HOUSEHOLD_TAGS):
    tabs.append(t("households.tags_tab"))
drawn = dict(zip(tabs, st.tabs(tabs, key="households_tab", on_change="rerun"), strict=True))

with drawn[t("households.list_tab")]:
    if not allowed(actor.role, Action.SEE_PERSONAL_DATA):
        st.caption(t("households.personal_hidden"))
    picked = household_views.register_list(actor, names, tags)
    if picked is not None:
        household_views.edit_panel(actor, names, tags, picked)

if may_edit:
    with drawn[t("households.add_tab")]:
        household_views.household_form(actor, names, tags)

if t("households.import_tab") in drawn:
    with drawn[t("households.import_tab")]:
        household_views.import_panel(actor)

if t("households.tags_tab") in drawn:
    with drawn[t("households.tags_tab")]:
        household_views.tag_panel(actor)
