"""绩效评价: the four evaluation tables of a 考核周期 — 志愿服务队, 文明实践员, 中心管理员, 站点 —
ranked by 综合得分, each figure with its numerator and denominator, 红榜 / 黑榜 and the units
below the line, and the 月度通报 (workbook and printable page). Read-only."""

import streamlit as st

from core import db
from services import evaluation
from services import settings as settings_service
from services.permissions import Action
from ui.alert_views import alert_list
from ui.evaluation_views import (
    bulletin_downloads,
    contact_coverage_view,
    period_picker,
    standing_view,
    table_view,
)
from ui.i18n import t
from ui.recognition_views import recognition_view
from ui.session import require

actor = require(Action.VIEW_EVALUATION)

st.title(t("evaluation.title"))
with db.session() as s:
    values = settings_service.current(s)
    levels = evaluation.site_levels(s, actor=actor)
period = period_picker(values["eval_period_start_day"])
with st.expander(t("evaluation.help_title"), icon=":material/help:"):
    st.markdown(t("evaluation.help_body", response=values["score_weight_response"],
                  resolve=values["score_weight_resolve"],
                  satisfaction=values["score_weight_satisfaction"],
                  good=values["score_credit_good"], basic=values["score_credit_basic"],
                  repeat_days=values["repeat_days"], n=values["roll_size"],
                  satisfied_line=values["line_satisfied_percent"],
                  on_time_line=values["line_on_time_percent"]))

alert_list(actor, period)

st.subheader(t("bulletin.title"))
bulletin_downloads(actor, period)

# Stateful tabs: 评优推荐 reads a whole year, so it runs only while its tab is open.
*tabs, recognition_tab = st.tabs([t(f"evaluation.table.{kind}") for kind in evaluation.TABLES]
                                 + [t("recognition.tab")], key="eval_tab", on_change="rerun")
for tab, kind in zip(tabs, evaluation.TABLES, strict=True):
    with tab:
        level = None
        if kind == "site" and len(levels) > 1:
            level = st.segmented_control(t("evaluation.site_level"), levels, default=levels[0],
                                         key="eval_site_level",
                                         format_func=lambda lv: t(f"site_level.{lv}"))
        with db.session() as s:
            result = evaluation.table(s, actor=actor, kind=kind, period=period, level=level)
            standing = evaluation.standing(s, actor=actor, result=result, level=level)
        table_view(actor, result)
        if kind == "officer":
            contact_coverage_view(actor, period)
        st.subheader(t("evaluation.standing_title"))
        standing_view(standing)

with recognition_tab:
    if recognition_tab.open:
        recognition_view(actor)
