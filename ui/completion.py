"""The mark-done form: who took part and for how long, who benefited, a note."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from models import BeneficiaryGroup
from services import orders, teams
from services.permissions import Actor
from ui.i18n import label, t
from ui.widgets import empty


def completion_form(actor: Actor, key: str) -> orders.Completion | None:
    """Draw the form; on submit return what was entered (the service validates it)."""
    with db.session() as s:
        roster = teams.roster(s, team_id=actor.team_id)
    if not roster:
        empty("complete.no_roster")
        return None
    with st.form(f"{key}_form"):
        st.subheader(t("complete.title"))
        default_hours = st.number_input(t("complete.default_hours"), min_value=0.5,
                                        max_value=24.0, value=2.0, step=0.5,
                                        key=f"{key}_default_hours",
                                        help=t("complete.default_hours_help"))
        table = pd.DataFrame({"take_part": [False] * len(roster),
                              "name": [v.name for v in roster],
                              "hours": [None] * len(roster)}, index=[v.id for v in roster])
        edited = st.data_editor(
            table, key=f"{key}_volunteers", hide_index=True, width="stretch",
            disabled=["name"],
            column_config={
                "take_part": st.column_config.CheckboxColumn(t("complete.took_part")),
                "name": st.column_config.TextColumn(t("orders.volunteer")),
                "hours": st.column_config.NumberColumn(t("complete.hours_own"), min_value=0.0,
                                                       max_value=24.0, step=0.5)})
        st.caption(t("complete.beneficiaries"))
        cols = st.columns(3)
        counts = {}
        for i, group in enumerate(BeneficiaryGroup):
            counts[group.value] = cols[i % 3].number_input(
                label("group", group), min_value=0, max_value=100000, value=0, step=1,
                key=f"{key}_group_{group.value}")
        note = st.text_area(t("complete.note"), key=f"{key}_note", max_chars=2000)
        submitted = st.form_submit_button(t("my_orders.complete"), type="primary")
    if not submitted:
        return None
    hours = {int(vid): (row["hours"] if pd.notna(row["hours"]) else default_hours)
             for vid, row in edited.iterrows() if row["take_part"]}
    return orders.Completion(beneficiaries={g: int(n) for g, n in counts.items() if n},
                             hours=hours, note=note)
