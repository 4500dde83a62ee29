"""户联系 widgets: pairing a member with households and ending a pair, the visit form with its
optional needs, the overdue, unpaired and below-target lists, and coverage for a period."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core import db
from models import NeedPriority, VisitMethod
from services import contacts, surveys
from services import settings as settings_service
from services.contacts import VisitInput
from services.permissions import Actor
from ui.household_views import frame, household_table
from ui.i18n import label, t
from ui.widgets import (
    confirmed_reason,
    day,
    empty,
    flash,
    local_today,
    paged,
    percent,
    reporting_errors,
)

METHODS = [m.value for m in VisitMethod]
PRIORITIES = [p.value for p in NeedPriority]


def _members(actor: Actor) -> list[dict]:
    with db.session() as s:
        return contacts.members(s, actor=actor)


def _member_label(m: dict) -> str:
    return t("contacts.member_label", name=m["name"], site=m["site"], n=m["households"],
             target=m["target"])


def pick_member(actor: Actor, key: str, label_key: str = "contacts.member") -> int | None:
    found = _members(actor)
    if not found:
        empty("contacts.no_members")
        return None
    by_id = {m["id"]: m for m in found}
    return st.selectbox(t(label_key), list(by_id), index=None, key=key,
                        placeholder=t("households.choose"),
                        format_func=lambda v: _member_label(by_id[v]))


# --- pairing ---------------------------------------------------------------------------------


def pair_panel(actor: Actor, names: dict) -> None:
    st.caption(t("contacts.pair_hint"))
    site_id = st.selectbox(t("surveys.village"), [None, *names["villages"]], key="cp_site",
                           placeholder=t("common.all"),
                           format_func=lambda v: names["villages"].get(v, t("common.all")))
    with db.session() as s:
        rows = paged(lambda offset, limit: contacts.unpaired(s, actor=actor, site_id=site_id,
                                                             offset=offset, limit=limit),
                     key="cp_unpaired_page")
    household_id = household_table(rows, "cp_unpaired", selectable=True,
                                   shown=["site", "head_name", "address", "people", "tags"])
    if household_id is None:
        return
    chosen = next((r for r in rows if r["id"] == household_id), None)
    gen = st.session_state.get("cp_gen", 0)
    with st.form(f"cp_form_{gen}"):
        st.write(t("contacts.pair_for", name=chosen["head_name"] if chosen else ""))
        member = pick_member(actor, f"cp_member_{gen}")
        started = st.date_input(t("contacts.started_on"), value=local_today(),
                                max_value=local_today(), key=f"cp_start_{gen}",
                                format="YYYY-MM-DD")
        go = st.form_submit_button(t("contacts.pair"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors():
            contacts.pair(s, actor=actor, household_id=household_id, volunteer_id=member,
                          started_on=started)
        st.session_state["cp_gen"] = gen + 1
        flash(t("contacts.paired", name=chosen["head_name"] if chosen else ""))


def end_panel(actor: Actor) -> None:
    member = pick_member(actor, "ce_member", "contacts.end_member")
    if member is None:
        return
    with db.session() as s:
        rows = contacts.pairs_of(s, actor=actor, volunteer_id=member)
    household_id = household_table(rows, "ce_pairs", selectable=True,
                                   shown=["site", "head_name", "address", "last_visit"])
    chosen = next((r for r in rows if r["id"] == household_id), None)
    if chosen is None:
        return
    reason = confirmed_reason(f"ce_form_{chosen['pair_id']}",
                              reason_label=t("contacts.end_reason"),
                              confirm_label=t("contacts.end_confirm", name=chosen["head_name"]),
                              button=t("contacts.end"), key=f"ce_{chosen['pair_id']}",
                              max_chars=200)
    if reason is not None:
        with db.write_session() as s, reporting_errors():
            contacts.end(s, actor=actor, pair_id=chosen["pair_id"], reason=reason)
        flash(t("contacts.ended", name=chosen["head_name"]))


# --- visits ------------------------------------------------------------------------------------


def _need_lines(names: dict, gen: int) -> list[surveys.NeedInput]:
    count = st.session_state.get("cv_lines", 0)
    c = st.columns([1, 1, 2])
    if c[0].button(t("contacts.add_need"), key="cv_add", icon=":material/add:",
                   disabled=count >= contacts.MAX_NEEDS):
        st.session_state["cv_lines"] = count = count + 1
    if c[1].button(t("surveys.remove_need"), key="cv_remove", icon=":material/remove:",
                   disabled=count <= 0):
        st.session_state["cv_lines"] = count = count - 1
    lines = []
    for i in range(count):
        with st.container(border=True):
            st.caption(t("surveys.need_n", n=i + 1))
            c = st.columns(2)
            category_id = c[0].selectbox(t("surveys.category"), list(names["categories"]),
                                         index=None, key=f"cv_cat_{gen}_{i}",
                                         placeholder=t("households.choose"),
                                         format_func=names["categories"].get)
            priority = c[1].radio(t("surveys.priority"), PRIORITIES, index=None,
                                  key=f"cv_pri_{gen}_{i}", horizontal=True,
                                  format_func=lambda v: label("priority", v))
            text = st.text_input(t("surveys.text"), key=f"cv_text_{gen}_{i}", max_chars=500,
                                 placeholder=t("surveys.text_hint"))
            lines.append(surveys.NeedInput(category_id=category_id, priority=priority or "",
                                           text=text))
    return lines


def visit_form(actor: Actor, names: dict) -> None:
    """Who visited which of their households, when, how, what was said; optional needs."""
    gen = st.session_state.get("cv_gen", 0)
    member = pick_member(actor, f"cv_member_{gen}")
    if member is None:
        return
    with db.session() as s:
        rows = contacts.pairs_of(s, actor=actor, volunteer_id=member)
    if not rows:
        empty("contacts.member_has_none")
        return
    by_id = {r["id"]: r for r in rows}
    household_id = st.selectbox(t("contacts.household"), list(by_id), index=None,
                                key=f"cv_household_{gen}", placeholder=t("households.choose"),
                                format_func=lambda v: by_id[v]["head_name"])
    c = st.columns(2)
    visited_on = c[0].date_input(t("contacts.visited_on"), value=None, max_value=local_today(),
                                 key=f"cv_date_{gen}", format="YYYY-MM-DD")
    method = c[1].radio(t("contacts.method"), METHODS, index=None, key=f"cv_method_{gen}",
                        horizontal=True, format_func=lambda v: label("visit_method", v))
    topics = st.text_area(t("contacts.topics"), max_chars=500, key=f"cv_topics_{gen}",
                          placeholder=t("contacts.topics_hint"))
    guidance = st.text_area(t("contacts.guidance"), max_chars=500, key=f"cv_guidance_{gen}",
                            placeholder=t("contacts.guidance_hint"))
    st.caption(t("contacts.needs_hint"))
    lines = _need_lines(names, gen)
    if st.button(t("contacts.save_visit"), key="cv_save", type="primary"):
        visit = VisitInput(household_id=household_id, volunteer_id=member, visited_on=visited_on,
                           method=method or "", topics=topics, guidance=guidance,
                           needs=tuple(lines))
        with db.write_session() as s, reporting_errors():
            contacts.record_visit(s, actor=actor, visit=visit)
        st.session_state["cv_gen"] = gen + 1
        st.session_state["cv_lines"] = 0
        flash(t("contacts.visit_saved", needs=len(lines)))


# --- lists and figures ----------------------------------------------------------------------------


def overdue_list(actor: Actor) -> None:
    with db.session() as s:
        days = settings_service.current(s)["contact_visit_days"]
        rows = paged(lambda offset, limit: contacts.overdue(s, actor=actor, offset=offset,
                                                            limit=limit), key="co_page")
    st.caption(t("contacts.overdue_hint", days=days))
    if not rows:
        empty("contacts.none_overdue")
        return
    df = frame(rows)
    df["waiting_since"] = df["waiting_since"].map(day)
    shown = ["site", "head_name", "address", "phone", "contact", "last_visit", "days"]
    st.dataframe(df[shown], hide_index=True, width="stretch",
                 column_config={c: t(f"households.col.{c}") for c in shown})


def unpaired_and_below(actor: Actor) -> None:
    st.subheader(t("contacts.unpaired_title"))
    with db.session() as s:
        rows = paged(lambda offset, limit: contacts.unpaired(s, actor=actor, offset=offset,
                                                             limit=limit), key="cu_page")
    household_table(rows, "cu_table", selectable=False,
                    shown=["site", "head_name", "address", "people", "tags"])
    st.subheader(t("contacts.below_title"))
    with db.session() as s:
        below = contacts.below_target(s, actor=actor)
    if not below:
        empty("contacts.none_below")
        return
    df = pd.DataFrame(below)[["name", "site", "households", "target"]]
    st.dataframe(df, hide_index=True, width="stretch",
                 column_config={c: t(f"contacts.col.{c}") for c in df.columns})


def coverage_panel(actor: Actor) -> None:
    today = local_today()
    c = st.columns([2, 1])
    period = c[0].date_input(t("contacts.period"), value=(today - timedelta(days=364), today),
                             key="cc_period", format="YYYY-MM-DD")
    by = c[1].radio(t("contacts.by"), ["member", "site"], key="cc_by", horizontal=True,
                    format_func=lambda v: t(f"contacts.by_{v}"))
    if not (isinstance(period, tuple) and len(period) == 2):
        st.info(t("contacts.period_hint"))
        return
    start, end = period
    st.caption(t("contacts.coverage_help"))
    with db.session() as s, reporting_errors():
        rows = contacts.coverage(s, actor=actor, start=start, end=end, by=by)
    coverage_table(rows, start, end)


def coverage_table(rows: list[dict], start: date, end: date) -> None:
    if not rows:
        empty("contacts.none_paired")
        return
    paired = sum(r["paired"] for r in rows)
    visited = sum(r["visited"] for r in rows)
    st.metric(t("contacts.coverage_total", start=day(start), end=day(end)),
              percent(visited / paired if paired else None),
              help=t("contacts.coverage_parts", visited=visited, paired=paired))
    df = pd.DataFrame(rows)
    df["coverage"] = df["coverage"].map(percent)
    shown = ["name", "paired", "visited", "coverage"]
    st.dataframe(df[shown], hide_index=True, width="stretch",
                 column_config={c: t(f"contacts.col.{c}") for c in shown})
