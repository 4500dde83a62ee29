"""The overdue list (催办 / 督办): every late order with who holds it, by how much it is late, its
stage and how often it was urged; a manager picks one to urge it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import escalation, order_queries, sla
from services.permissions import Action, Actor, allowed
from ui.i18n import label, t
from ui.order_views import order_page
from ui.volunteer_views import pick
from ui.widgets import day, empty, flash, form_key, reporting_errors, status_column


def late_text(hours: float) -> str:
    days, rest = divmod(int(hours), 24)
    return t("overdue.late_days", days=days, hours=rest) if days else \
        t("overdue.late_hours", hours=max(rest, 1) if hours > 0 else 0)


def holder(row: dict) -> str:
    """Who must act: the dispatch desk, the team, or whoever records ratings."""
    if row["overdue"] == "dispatch" or (row["overdue"] == "due" and not row["team"]):
        return t("overdue.holder_desk")
    if row["overdue"] == "rate":
        return t("overdue.holder_rating")
    return row["team"]


def overdue_list(actor: Actor) -> None:
    c = st.columns([3, 1], vertical_alignment="bottom")
    kind = c[0].segmented_control(t("overdue.col.overdue"), sla.KINDS, key="overdue_kind",
                                  format_func=lambda k: label("overdue", k),
                                  help=t("overdue.kind_help"))
    escalated = c[1].toggle(t("overdue.escalated_only"), key="overdue_escalated")
    late_only = order_queries.OrderFilter(overdue_only=True, overdue_kind=kind,
                                          escalated_only=escalated)
    rows = order_page(actor, late_only, "overdue_page", per_page=25, late=True)
    if not rows:
        empty("overdue.none")
        return
    df = pd.DataFrame(rows)
    df["holder"] = [holder(r) for r in rows]
    df["late"] = df["late_hours"].map(late_text)
    df["overdue"] = df["overdue"].map(lambda v: label("overdue", v))
    df["stage"] = df["stage"].map(lambda v: t(f"overdue.stage_{v}") if v else "")
    df["due_on"] = df["due_on"].map(day)
    df = status_column(df)
    shown = ["code", "title", "status", "overdue", "late", "stage", "urges", "holder", "site"]
    config = {c: t(f"overdue.col.{c}") for c in shown}
    if not allowed(actor.role, Action.URGE):
        st.dataframe(df[shown], hide_index=True, width="stretch", column_config=config)
        return
    st.caption(t("overdue.pick_to_urge"))
    picked = pick(df, shown, "overdue_table", config)
    row = next((r for r in rows if r["id"] == picked), None)
    if row is not None:
        urge_form(actor, row)


def urge_form(actor: Actor, row: dict) -> None:
    """催办: a note for the order's holder, shown on their screen and in the history."""
    key = form_key(f"urge_{row['id']}")
    messages = st.container()
    with st.form(key):
        st.markdown(t("overdue.urge_title", code=row["code"], holder=holder(row)))
        note = st.text_area(t("field.urge_note"), key=f"{key}_note", max_chars=escalation.MAX_NOTE,
                            placeholder=t("overdue.urge_hint"), height=80)
        go = st.form_submit_button(t("overdue.urge"), type="primary", icon=":material/campaign:")
    if go:
        with db.write_session() as s, reporting_errors(messages):
            escalation.urge(s, actor=actor, order_id=row["id"], note=note)
        flash(t("overdue.urged_done", code=row["code"]))
