"""志愿服务记录证明: issue a certificate for a volunteer and a period, print it, and keep the
register (every certificate issued, revoked ones included)."""

import streamlit as st

from services.permissions import Action
from ui import certificate_views
from ui.i18n import t
from ui.session import require

actor = require(Action.ISSUE_CERTIFICATES)

st.title(t("certificates.title"))
st.caption(t("certificates.rule"))
certificate_views.issue_form(actor)
st.divider()
certificate_views.register(actor)
