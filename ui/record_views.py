"""志愿者档案: one volunteer's record on screen — star and hours to the next, points, profile,
hours by year, every service record with corrections, the ledger — its export, a manager's
points adjustment, editing and 不再活跃."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import points, volunteer_records, xlsx
from services.formats import NAME_SEP
from services.permissions import Action, Actor, allowed
from ui.i18n import label, t
from ui.volunteer_views import edit_form, retire_form, stars
from ui.widgets import day, empty, flash, local_time, reporting_errors


def load(actor: Actor, vid: int) -> dict:
    with db.session() as s, reporting_errors():
        return volunteer_records.record(s, actor=actor, volunteer_id=vid)


def summary(rec: dict) -> None:
    p = rec["profile"]
    st.subheader(t("record.heading", name=p["name"]))
    if not p["active"]:
        st.warning(t("record.inactive", day=day(p["inactive_on"]),
                     reason=p["inactive_reason"] or "—"))
    c = st.columns(3)
    c[0].metric(t("volunteers.col.hours"), f"{rec['hours']:g}")
    c[1].metric(t("volunteers.col.stars"), stars(rec["stars"]))
    c[2].metric(t("record.points_available"), rec["points"]["available"])
    if rec["to_next"] is None:
        st.caption(t("record.top_star"))
    else:
        st.caption(t("record.to_next", hours=f"{rec['to_next']:g}", stars=rec["stars"] + 1,
                     need=rec["next_star_hours"]))
    if rec["points"]["expiry_years"]:
        st.caption(t("record.expiry", balance=rec["points"]["balance"],
                     expired=rec["points"]["expired"], years=rec["points"]["expiry_years"]))


def profile(rec: dict) -> None:
    p = rec["profile"]
    facts = {
        t("volunteers.col.phone"): p["phone"], t("volunteers.col.gender"): label("gender",
                                                                                 p["gender"]),
        t("volunteers.col.site"): p["site"], t("volunteers.col.teams"): NAME_SEP.join(rec["teams"]),
        t("volunteers.col.party_member"): t("common.yes" if p["party_member"] else "common.no"),
        t("record.skill_tags"): p["skill_names"], t("record.title_field"): p["title"],
        t("volunteers.skills"): p["skills"], t("record.registered_on"): day(p["registered_on"]),
    }
    st.dataframe(pd.DataFrame({"k": list(facts), "v": [str(v) for v in facts.values()]}),
                 hide_index=True, width="stretch", key="record_profile",
                 column_config={"k": t("record.field"), "v": t("record.value")})
    if rec["by_year"]:
        st.caption(t("record.by_year"))
        st.dataframe(pd.DataFrame(rec["by_year"]), hide_index=True, key="record_years",
                     column_config={c: t(f"record.col.{c}") for c in ("year", "hours",
                                                                       "services")})


def service(rec: dict) -> None:
    if not rec["service"]:
        empty("record.no_service")
    else:
        df = pd.DataFrame(rec["service"])
        df["code"] = [volunteer_records.origin(t, r) for r in rec["service"]]
        df["served_on"] = df["served_on"].map(day)
        df["corrected"] = [t("record.corrected", reason=r["correction_reason"])
                           if r["corrected"] else "" for r in rec["service"]]
        shown = ["served_on", "code", "title", "team", "hours", "corrected"]
        st.dataframe(df[shown], hide_index=True, width="stretch", key="record_service",
                     column_config={c: t(f"record.col.{c}") for c in shown})
    if rec["corrections"]:
        st.caption(t("record.corrections"))
        df = pd.DataFrame(rec["corrections"])
        df["at"] = df["at"].map(local_time)
        st.dataframe(df, hide_index=True, key="record_corrections",
                     column_config={c: t(f"record.col.{c}") for c in ("at", "code", "points")})


def ledger(rec: dict) -> None:
    if not rec["ledger"]:
        empty("record.no_points")
        return
    df = pd.DataFrame(rec["ledger"])
    df["at"] = df["at"].map(local_time)
    df["reason"] = [t("record.reason.refund") if e["reason"] == "redemption" and e["points"] > 0
                    else label("record.reason", e["reason"]) for e in rec["ledger"]]
    shown = ["at", "points", "reason", "order_code", "note", "balance"]
    st.dataframe(df[shown], hide_index=True, width="stretch", key="record_ledger",
                 column_config={c: t(f"record.col.{'code' if c == 'order_code' else c}")
                                for c in shown})


def adjust_form(actor: Actor, vid: int) -> None:
    """A manager's +/− with a reason; the form starts empty each time."""
    gen = st.session_state.get("adjust_gen", 0)
    with st.form(f"adjust_{vid}_{gen}"):
        c = st.columns([1, 3])
        change = c[0].number_input(t("record.adjust_points"), value=None, step=1,
                                   min_value=-points.MAX_ADJUST, max_value=points.MAX_ADJUST,
                                   key=f"adjust_points_{vid}_{gen}",
                                   placeholder=t("record.adjust_hint"))
        reason = c[1].text_input(t("record.adjust_reason"), max_chars=200,
                                 key=f"adjust_reason_{vid}_{gen}")
        go = st.form_submit_button(t("record.adjust"))
    if go:
        with db.write_session() as s, reporting_errors():
            points.adjust(s, actor=actor, volunteer_id=vid, points=change, reason=reason)
        st.session_state["adjust_gen"] = gen + 1
        flash(t("record.adjusted"))


def record(actor: Actor, vid: int, lookup: dict) -> None:
    """The whole record of the picked volunteer, under the list."""
    rec = load(actor, vid)
    summary(rec)

    def build() -> bytes:  # only when clicked: an export is audited
        with db.write_session() as s:
            return volunteer_records.export_record(s, actor=actor, volunteer_id=vid, words=t)

    st.download_button(t("record.export"), data=build, mime=xlsx.MIME, on_click="ignore",
                       file_name=f"志愿者档案_{rec['profile']['name']}.xlsx",
                       key=f"record_export_{vid}", icon=":material/download:")
    tabs = st.tabs([t("record.tab_profile"), t("record.tab_service"), t("record.tab_points"),
                    t("record.tab_edit")])
    with tabs[0]:
        profile(rec)
    with tabs[1]:
        service(rec)
    with tabs[2]:
        ledger(rec)
        if allowed(actor.role, Action.MANAGE_POINTS):
            adjust_form(actor, vid)
    with tabs[3]:
        edit_form(actor, lookup, rec["profile"])
        if rec["profile"]["active"]:
            retire_form(actor, vid, rec["profile"]["name"])
