"""The overdue list: every late order with who holds it and by how much it is late."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services import order_queries, sla
from services.permissions import Actor
from ui.i18n import label, t
from ui.order_views import order_page
from ui.widgets import day, empty, status_column


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
    kind = st.segmented_control(t("overdue.col.overdue"), sla.KINDS, key="overdue_kind",
                                format_func=lambda k: label("overdue", k),
                                help=t("overdue.kind_help"))
    late_only = order_queries.OrderFilter(overdue_only=True, overdue_kind=kind)
    rows = order_page(actor, late_only, "overdue_page", sort="urgent", per_page=25)
    if not rows:
        empty("overdue.none")
        return
    df = pd.DataFrame(rows)
    df["holder"] = [holder(r) for r in rows]
    df["late"] = df["late_hours"].map(late_text)
    df["overdue"] = df["overdue"].map(lambda v: label("overdue", v))
    df["due_on"] = df["due_on"].map(day)
    df = status_column(df)
    shown = ["code", "title", "status", "overdue", "late", "holder", "site", "due_on"]
    st.dataframe(df[shown], hide_index=True, width="stretch",
                 column_config={c: t(f"overdue.col.{c}") for c in shown})
