"""回访 widgets: the rates, the list of follow-ups by state, and the outcome form."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core import db
from services import follow_ups
from services.permissions import Actor
from ui.i18n import label, t
from ui.widgets import (
    empty,
    flash,
    local_time,
    local_today,
    paged,
    percent,
    reporting_errors,
    table_key,
)

STATE_KEYS = {"due": "follow_ups.due", "overdue": "follow_ups.overdue", "done": "follow_ups.done"}


def rate_tiles(actor: Actor, start: date | None = None, end: date | None = None) -> None:
    """回访率 and 按时回访率 of the follow-ups due in a period (default: the last 12 months), and
    what is open now."""
    today = local_today()
    end = end or today
    start = start or (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    with db.session() as s:
        r = follow_ups.rates(s, actor=actor, start=start, end=end)
    cols = st.columns(4)
    cols[0].metric(t("follow_ups.rate"), percent(r.follow_up_rate), border=True,
                   help=t("follow_ups.rate_help", needed=r.needed))
    cols[1].metric(t("follow_ups.on_time_rate"), percent(r.on_time_rate), border=True,
                   help=t("follow_ups.on_time_help"))
    cols[2].metric(t("follow_ups.due"), r.open_due, border=True)
    cols[3].metric(t("follow_ups.overdue"), r.open_overdue, border=True)
    st.caption(t("follow_ups.window", start=start.isoformat(), end=end.isoformat()))


def follow_up_list(actor: Actor, state: str) -> dict | None:
    """One page of follow-ups in a state; returns the row the user picked."""
    with db.session() as s:
        rows = paged(lambda offset, limit: follow_ups.page(s, actor=actor, state=state,
                                                           offset=offset, limit=limit),
                     key=f"follow_ups_page_{state}", per_page=25)
    if not rows:
        empty(f"follow_ups.none_{state}")
        return None
    df = pd.DataFrame(rows)
    df["reason"] = df["reason"].map(lambda v: label("follow_ups.reason", v))
    # A follow-up settled by a late rating has no call notes: say how it was settled.
    df["outcome"] = [o or (t("follow_ups.settled_by_rating", channel=label("channel", c))
                           if c else "")
                     for o, c in zip(df["outcome"], df["channel"], strict=True)]
    df["level"] = df["level"].map(lambda v: "" if pd.isna(v) else label("level", int(v)))
    df["due_at"] = df["due_at"].map(local_time)
    df["done_at"] = df["done_at"].map(local_time)
    shown = ["code", "title", "reason", "level", "site", "team", "due_at"]
    shown += ["done_at", "done_by", "outcome"] if state == "done" else ["comment"]
    event = st.dataframe(df[shown], key=table_key(f"follow_ups_table_{state}"), hide_index=True,
                         width="stretch", on_select="rerun", selection_mode="single-row",
                         column_config={c: t(f"follow_ups.col.{c}") for c in shown})
    picked = [i for i in (event.selection.rows if event and event.selection else [])
              if i < len(rows)]
    if not picked and state != "done":
        st.caption(t("follow_ups.pick_hint"))
    return rows[picked[0]] if picked else None


def outcome_form(actor: Actor, row: dict) -> None:
    """Record what the call found; an unrated order may get its rating from the call."""
    st.subheader(t("follow_ups.record_title", code=row["code"]))
    if row["comment"]:
        st.caption(t("follow_ups.resident_said"))
        st.text(row["comment"])
    with st.form(f"follow_up_form_{row['order_id']}"):
        level = None
        if row["reason"] == "unrated":
            level = st.radio(t("follow_ups.level_from_call"), [None, 5, 4, 3, 2, 1],
                             key="follow_up_level", horizontal=True,
                             format_func=lambda v: t("follow_ups.no_rating") if v is None
                             else f"{'★' * v} {label('level', v)}")
        outcome = st.text_area(t("follow_ups.outcome"), key="follow_up_outcome", max_chars=1000,
                               placeholder=t("follow_ups.outcome_hint"))
        go = st.form_submit_button(t("follow_ups.save"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors():
            follow_ups.record(s, actor=actor, order_id=row["order_id"], outcome=outcome,
                              level=level)
        flash(t("follow_ups.saved", code=row["code"]))
