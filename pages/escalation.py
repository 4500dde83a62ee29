"""催办督办: every late order of my sites with its holder, how late it is, its stage (催办 from
the moment it passes a time limit, 督办 `escalate_hours` later) and how often it was urged;
managers urge an order with a note for its holder. Leaders read."""

import streamlit as st

from core import db
from services import escalation
from services import settings as settings_service
from services.permissions import Action
from ui.i18n import t
from ui.overdue_views import overdue_list
from ui.session import require

actor = require(Action.VIEW_ESCALATION)

st.title(t("escalation.title"))
with db.session() as s:
    hours = settings_service.current(s)["escalate_hours"]
    urged = escalation.urged_still_late(s, actor=actor)
st.caption(t("escalation.rule", hours=hours))
st.metric(t("escalation.urged_still_late"), urged, help=t("escalation.urged_still_late_help"))
overdue_list(actor)
