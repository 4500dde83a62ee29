"""来访登记: residents served at a station's desk, logged as done orders of the station (the
service, services/walk_ins.py, says how they count), and the station's latest ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from core import db
from models import BeneficiaryGroup
from services import walk_ins
from services.permissions import Actor
from ui.i18n import label, t
from ui.widgets import empty, flash, local_time, local_today, reporting_errors, timezone


def walk_in_form(actor: Actor, station: dict, names: dict) -> None:
    """The form starts empty after each save (a new generation of keys): the next resident
    never inherits the last one's category or people."""
    gen = st.session_state.get("wi_gen", 0)
    today = local_today()
    with st.form(f"wi_form_{gen}"):
        c = st.columns(2)
        served_on = c[0].date_input(t("walk_in.served_on"), value=today, key=f"wi_day_{gen}",
                                    min_value=today - timedelta(days=walk_ins.DAYS_BACK),
                                    max_value=today, format="YYYY-MM-DD")
        served_time = c[1].time_input(t("walk_in.served_time"), value=None,
                                      key=f"wi_time_{gen}", step=300,
                                      help=t("walk_in.served_time_help"))
        c = st.columns(2)
        category_id = c[0].selectbox(t("orders.category"), list(names["categories"]),
                                     index=None, key=f"wi_cat_{gen}",
                                     placeholder=t("households.choose"),
                                     format_func=names["categories"].get)
        title = c[1].text_input(t("walk_in.title_field"), max_chars=80, key=f"wi_title_{gen}",
                                placeholder=t("walk_in.title_hint"))
        c = st.columns(2)
        who = c[0].text_input(t("walk_in.requester"), max_chars=40, key=f"wi_who_{gen}")
        phone = c[1].text_input(t("walk_in.phone"), max_chars=20, key=f"wi_phone_{gen}",
                                placeholder=t("walk_in.optional"))
        st.caption(t("walk_in.people"))
        cols = st.columns(3)
        counts = {g.value: cols[i % 3].number_input(label("group", g), value=0, step=1,
                                                    key=f"wi_group_{g.value}_{gen}")
                  for i, g in enumerate(BeneficiaryGroup)}
        note = st.text_area(t("walk_in.note"), max_chars=2000, key=f"wi_note_{gen}")
        go = st.form_submit_button(t("walk_in.save"), type="primary")
    if not go:
        return
    if served_on is None or (served_time is None and served_on != today):
        st.error(t("walk_in.time_needed"), icon=":material/error:")
        return
    served_at = None  # no time given for today: now
    if served_time is not None and served_on is not None:
        served_at = datetime.combine(served_on, served_time,
                                     tzinfo=ZoneInfo(timezone())).astimezone(UTC)
    with db.write_session() as s, reporting_errors():
        order = walk_ins.record(s, actor=actor, station_id=station["id"], category_id=category_id,
                                title=title, beneficiaries={g: n for g, n in counts.items() if n},
                                served_at=served_at, requester_name=who, requester_phone=phone,
                                note=note)
    st.session_state["wi_gen"] = gen + 1
    flash(t("walk_in.saved", code=order.code, people=order.actual_beneficiaries))


def recent_list(actor: Actor, station: dict) -> None:
    with db.session() as s:
        rows = walk_ins.recent(s, actor=actor, station_id=station["id"])
    st.subheader(t("walk_in.recent_title"))
    if not rows:
        empty("walk_in.none_yet")
        return
    df = pd.DataFrame(rows).drop(columns=["id"])
    df["served_at"] = df["served_at"].map(local_time)
    st.dataframe(df, hide_index=True, width="stretch", key="wi_recent",
                 column_config={c: t(f"walk_in.col.{c}") for c in df.columns})
