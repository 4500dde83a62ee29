"""The mark-done form: who took part and for how long, who benefited, a note. The same form,
filled in with what was recorded, corrects a completion within 24 hours."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from models import BeneficiaryGroup
from services import completions, teams
from services.permissions import Actor
from ui.expert_views import suggestions
from ui.i18n import label, t
from ui.widgets import empty


def completion_form(actor: Actor, key: str, initial: dict | None = None,
                    order_id: int | None = None,
                    prefill: dict | None = None) -> tuple[completions.Completion, str] | None:
    """Draw the form; on submit return what was entered and, when correcting (`initial` is the
    order's detail), the reason. The service validates everything. With `order_id`, the
    volunteers whose skills fit the order are named above it (专家人才库). `prefill` (shaped like
    `initial`) starts a new completion with a report sent back by 中心审核."""
    if order_id is not None:
        suggestions(actor, order_id, compact=True)
    start = initial or prefill
    with db.session() as s:
        roster = teams.roster(s, team_id=actor.team_id)
        others = teams.helpers(s, team_id=actor.team_id)
    names = {v.id: v.name for v in [*roster, *others]}
    before = {r["volunteer_id"]: r["hours"] for r in (start or {}).get("service", [])}
    for r in (start or {}).get("service", []):
        names.setdefault(r["volunteer_id"], r["volunteer"])
    # Volunteers from outside the roster are added above the form: the table below is redrawn
    # with them (and keyed by them, so that ticks are never moved onto another row).
    outside = [v.id for v in others]
    added = st.multiselect(t("complete.add_others"), outside, key=f"{key}_others",
                           format_func=names.get, placeholder=t("complete.add_others_hint"),
                           default=[v for v in before if v in outside], select_all=False)
    rows = [v.id for v in roster] + [v for v in added if v not in {r.id for r in roster}]
    if not rows:
        empty("complete.no_roster")
        return None
    with st.form(f"{key}_form"):
        st.subheader(t("complete.correct_title") if initial else t("complete.title"))
        # No min/max on the numbers: Streamlit would only draw a red border with an English
        # tooltip. The service refuses out-of-range values with a message naming the field.
        default_hours = st.number_input(t("complete.default_hours"), value=2.0, step=0.5,
                                        key=f"{key}_default_hours",
                                        help=t("complete.default_hours_help"))
        table = pd.DataFrame({"take_part": [v in before or v in added for v in rows],
                              "name": [names[v] for v in rows],
                              "hours": [before.get(v) for v in rows]}, index=rows)
        edited = st.data_editor(
            table, key="_".join([f"{key}_volunteers", *map(str, added)]), hide_index=True,
            width="stretch", disabled=["name"],
            # an empty 单独时长 means "the hours above"; Streamlit would write "None" there
            placeholder=t("editor_words.same_hours"),
            column_config={
                "take_part": st.column_config.CheckboxColumn(t("complete.took_part")),
                "name": st.column_config.TextColumn(t("orders.volunteer")),
                "hours": st.column_config.NumberColumn(t("complete.hours_own"), step=0.5)})
        st.caption(t("complete.beneficiaries"))
        cols = st.columns(3)
        counts = {}
        had = (start or {}).get("beneficiaries", {})
        for i, group in enumerate(BeneficiaryGroup):
            counts[group.value] = cols[i % 3].number_input(
                label("group", group), value=int(had.get(group.value, 0)), step=1,
                key=f"{key}_group_{group.value}")
        note = st.text_area(t("complete.note"), key=f"{key}_note", max_chars=2000,
                            value=(start or {}).get("order", {}).get("completion_note") or "")
        reason = st.text_input(t("complete.correct_reason"), key=f"{key}_reason",
                               max_chars=300) if initial else ""
        submitted = st.form_submit_button(
            t("complete.correct") if initial else t("my_orders.complete"), type="primary")
    if not submitted:
        return None
    hours = {int(vid): (row["hours"] if pd.notna(row["hours"]) else default_hours)
             for vid, row in edited.iterrows() if row["take_part"]}
    done = completions.Completion(beneficiaries={g: int(n) for g, n in counts.items() if n},
                                  hours=hours, note=note)
    return done, reason
