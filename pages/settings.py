"""设置: time limits, star thresholds, points per hour and the other business rules."""

import streamlit as st

from core import db
from core.config import BUSINESS_SETTINGS
from services import settings
from services.permissions import Action
from ui import backup_views
from ui.i18n import t
from ui.session import require
from ui.widgets import flash, reporting_errors

actor = require(Action.MANAGE_SETTINGS)

st.title(t("settings.title"))
with db.session() as s:
    values = settings.current(s)

GROUPS = (("settings.time_limits", ("dispatch_days", "accept_days", "due_days", "rate_days",
                                     "follow_up_days", "escalate_hours")),
          ("settings.stars", tuple(f"star_{i}_hours" for i in range(1, 6))),
          ("settings.volunteer_rules", ("reengage_months", "points_expiry_years")),
          ("settings.certificate", ("certificate_body", "certificate_head",
                                    "certificate_phone")),
          ("settings.dispatch", ("weight_category", "weight_workload", "weight_rating",
                                 "weight_on_time", "weight_nearby", "weight_accept",
                                 "team_full_load")),
          ("settings.menu", ("satisfaction_threshold", "menu_min_ratings", "menu_idle_months")),
          ("settings.rating", ("rating_link_days", "progress_link_days", "public_base_url")),
          ("settings.other", ("points_per_hour", "timezone")),
          ("settings.contacts", ("contact_households_target", "contact_visit_days")),
          ("settings.evaluation", ("eval_period_start_day", "repeat_days", "roll_size",
                                   "line_satisfied_percent", "line_on_time_percent")),
          ("settings.recognition", ("recognition_min_hours", "recognition_min_ratings")),
          ("settings.score", ("score_weight_response", "score_weight_resolve",
                              "score_weight_satisfaction", "score_credit_good",
                              "score_credit_basic")),
          ("settings.projects", ("project_cap_yuan", "projects_per_year")))
specs = {spec.key: spec for spec in BUSINESS_SETTINGS}

with st.form("settings_form"):
    entered = {}
    for title, keys in GROUPS:
        st.subheader(t(title))
        cols = st.columns(len(keys) if len(keys) <= 5 else 5)
        for i, key in enumerate(keys):
            spec, box = specs[key], cols[i % len(cols)]
            text = t(f"settings.label.{key}")
            helptext = t(f"settings.help.{key}")
            if spec.kind is str:
                entered[key] = box.text_input(text, value=values[key], key=f"set_{key}",
                                              help=helptext, max_chars=200)
            elif spec.kind is float:
                entered[key] = box.number_input(text, value=float(values[key]), step=0.1,
                                                key=f"set_{key}", help=helptext)
            else:
                entered[key] = box.number_input(text, value=int(values[key]), step=1,
                                                key=f"set_{key}", help=helptext)
    go = st.form_submit_button(t("common.save"), type="primary")
if go:
    with db.write_session() as s, reporting_errors():
        settings.update(s, actor=actor, values=entered)
    st.session_state.pop("tz", None)
    flash(t("common.saved"))

backup_views.download_panel(actor)
