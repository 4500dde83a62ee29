"""需求调查: record a home visit and the needs heard there; find past surveys, export them;
managers import a batch from a spreadsheet."""

import streamlit as st

from services.permissions import Action, allowed
from ui import order_views, survey_views
from ui.i18n import t
from ui.session import require

actor = require(Action.RECORD_SURVEY)

st.title(t("surveys.title"))
names = order_views.lookups(actor)
tabs = [t("surveys.record_tab"), t("surveys.list_tab")]
may_import = allowed(actor.role, Action.IMPORT_SURVEYS)
if may_import:
    tabs.append(t("surveys.import_tab"))
record, browse, *batch = st.tabs(tabs)

with record:
    survey_views.record_form(actor, names)

with browse:
    flt = survey_views.filters(actor, names)
    survey_views.export_button(actor, flt)
    rows = survey_views.survey_page(actor, flt)
    survey_views.survey_table(rows)

if may_import:
    with batch[0]:
        survey_views.import_panel(actor)
