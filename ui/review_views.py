"""中心审核's card: one waiting completion report, read as the team wrote it, with 审核通过 and
退回修改 (a reason required). Names, titles and notes are user text: shown as plain text or in
tables, never as Markdown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import review
from services.permissions import Actor
from ui.i18n import label, t
from ui.widgets import day, flash, form_key, local_time, reporting_errors


def report_card(actor: Actor, report: dict) -> None:
    with st.container(border=True):
        st.subheader(report["code"], anchor=False)
        st.text(report["title"])
        facts = {t("review.team"): report["team"], t("review.site"): report["site"],
                 t("review.submitted_at"): local_time(report["submitted_at"]),
                 t("review.due_on"): day(report["due_on"]),
                 t("review.beneficiaries"): t("review.people", n=report["beneficiaries"]),
                 t("review.total_hours"): f"{report['hours']:g}"}
        st.dataframe(pd.DataFrame({"k": list(facts), "v": list(facts.values())}),
                     hide_index=True, width="stretch",
                     column_config={"k": t("orders.field"), "v": t("orders.value")})
        if report["return_count"]:
            st.warning(t("review.returned_before", n=report["return_count"]),
                       icon=":material/undo:")
            st.text(report["last_return_reason"])
        _report(report)
        _decisions(actor, report)


def _report(report: dict) -> None:
    groups = " · ".join(f"{label('group', g)} {n}" for g, n in report["groups"].items() if n)
    if groups:
        st.text(groups)
    st.caption(t("review.volunteers"))
    st.dataframe(pd.DataFrame(
        [{"name": v["name"], "hours": v["hours"]} for v in report["volunteers"]]),
        hide_index=True, width="stretch",
        column_config={"name": t("review.volunteer"), "hours": t("review.hours")})
    st.caption(t("review.note"))
    st.text(report["note"] or t("review.no_note"))


def _decisions(actor: Actor, report: dict) -> None:
    order_id = report["id"]
    left, right = st.columns(2)
    if left.button(t("review.approve"), key=form_key(f"review_approve_{order_id}"),
                   type="primary", icon=":material/check:"):
        with db.write_session() as s, reporting_errors(left):
            order = review.approve(s, actor=actor, order_id=order_id)
        flash(t("review.approved", code=order.code))
    with right.form(form_key(f"review_return_{order_id}")):
        reason = st.text_area(t("review.return_reason"), max_chars=500,
                              key=form_key(f"review_reason_{order_id}"))
        go = st.form_submit_button(t("review.send_back"), icon=":material/undo:")
    if go:
        with db.write_session() as s, reporting_errors(right):
            order = review.send_back(s, actor=actor, order_id=order_id, reason=reason)
        flash(t("review.sent_back", code=order.code))
