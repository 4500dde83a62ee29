"""中心审核's card: one waiting completion report, read as the team wrote it, with 审核通过 and
退回修改 (a reason required). Names, titles and notes are user text: shown as plain text or in
tables, never as Markdown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import review
from services.errors import DomainError
from services.permissions import Actor
from ui.i18n import error_text, label, t
from ui.widgets import day, flash, form_key, local_time


def report_card(report: dict) -> None:
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
        _decisions(report)


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


PENDING = "review_decision"


def _want(how: str, order_id: int, reason_key: str | None = None) -> None:
    """A button's callback: remember the decision, made before the list is drawn again — a
    report another manager decided meanwhile is gone from the list, and its button with it."""
    reason = st.session_state.get(reason_key, "") if reason_key else ""
    st.session_state[PENDING] = (how, order_id, reason)


def decide_pending(actor: Actor) -> None:
    """Carry out the decision a button asked for; a refusal (another manager decided first, no
    reason given) is said in words above the list, and nothing is written."""
    pending = st.session_state.pop(PENDING, None)
    if pending is None:
        return
    how, order_id, reason = pending
    try:
        with db.write_session() as s:
            if how == "approve":
                order = review.approve(s, actor=actor, order_id=order_id)
            else:
                order = review.send_back(s, actor=actor, order_id=order_id, reason=reason)
    except DomainError as err:
        st.error(error_text(err, markdown=True), icon=":material/error:")
        return
    flash(t("review.approved" if how == "approve" else "review.sent_back", code=order.code))


def _decisions(report: dict) -> None:
    order_id = report["id"]
    left, right = st.columns(2)
    left.button(t("review.approve"), key=form_key(f"review_approve_{order_id}"),
                type="primary", icon=":material/check:", on_click=_want,
                args=("approve", order_id))
    reason_key = form_key(f"review_reason_{order_id}")
    with right.form(form_key(f"review_return_{order_id}")):
        st.text_area(t("review.return_reason"), max_chars=500, key=reason_key)
        st.form_submit_button(t("review.send_back"), icon=":material/undo:", on_click=_want,
                              args=("send_back", order_id, reason_key))
