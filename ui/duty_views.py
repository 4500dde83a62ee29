"""值班 widgets: the week's rota (table and printable page), who is on duty today and now, the
station's opening hours, slots and assignments, one-off changes, and attendance."""

from __future__ import annotations

import html
from datetime import time, timedelta

import pandas as pd
import streamlit as st

from core import db
from models import AttendanceStatus, DutyChangeKind
from services import duty
from services.formats import NAME_SEP
from services.permissions import Actor
from ui.i18n import label, t
from ui.widgets import day, empty, flash, local_today, reporting_errors

WEEKDAYS = list(range(7))
STATUSES = [s.value for s in AttendanceStatus]
KINDS = [k.value for k in DutyChangeKind]


def _weekday(v: int) -> str:
    return t(f"weekday.{v}")


def _period(start: int, end: int) -> str:
    return f"{duty.clock(start)}–{duty.clock(end)}"


def stations(actor: Actor) -> dict[int, dict]:
    with db.session() as s:
        return {st_["id"]: st_ for st_ in duty.stations(s, actor=actor)}


def pick_station(found: dict[int, dict], key: str, *, allow_all: bool = False) -> int | None:
    options = [None, *found] if allow_all else list(found)
    return st.selectbox(t("duty.station"), options, key=key,
                        index=0 if allow_all else None,
                        placeholder=t("households.choose"),
                        format_func=lambda v: found[v]["name"] if v else t("common.all"))


# --- the week's rota ---------------------------------------------------------------------------


def rota_frame(entries: list[duty.RotaEntry]) -> pd.DataFrame:
    return pd.DataFrame([{
        "day": f"{day(e.day)} {_weekday(e.day.weekday())}", "time": _period(e.start, e.end),
        "station": e.station, "needed": e.needed, "on_duty": NAME_SEP.join(e.on_duty),
        "away": NAME_SEP.join(e.away),
        "short": t("duty.short", n=e.needed - len(e.on_duty)) if e.short else ""}
        for e in entries])


def week_panel(actor: Actor, found: dict[int, dict]) -> None:
    c = st.columns(2)
    chosen = c[0].date_input(t("duty.week_of"), value=local_today(), key="dw_day",
                             format="YYYY-MM-DD")
    station_id = pick_station(found, "dw_station", allow_all=True) if found else None
    start = duty.week_start(chosen or local_today())
    with db.session() as s:
        entries = duty.rota(s, actor=actor, start=start, station_id=station_id)
    st.caption(t("duty.week_caption", start=day(start), end=day(start + timedelta(days=6))))
    if not entries:
        empty("duty.no_slots")
        return
    df = rota_frame(entries)
    short = sum(1 for e in entries if e.short)
    if short:
        st.warning(t("duty.short_count", n=short), icon=":material/warning:")
    st.dataframe(df, hide_index=True, width="stretch", key="duty_week",
                 column_config={c: t(f"duty.col.{c}") for c in df.columns})
    title = t("duty.print_title", start=day(start), end=day(start + timedelta(days=6)))
    st.download_button(t("duty.print"), data=print_page(title, df), file_name="值班表.html",
                       mime="text/html", key="duty_print", icon=":material/print:",
                       on_click="ignore")


def print_page(title: str, df: pd.DataFrame) -> str:
    """A printable A4 page of the week's rota; every text is escaped."""
    e = html.escape
    head = "".join(f"<th>{e(t(f'duty.col.{c}'))}</th>" for c in df.columns)
    rows = "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
@page {{ size: 297mm 210mm; margin: 12mm; }}
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #222; }}
h1 {{ font-size: 16pt; margin: 0 0 4mm; }}
table {{ border-collapse: collapse; width: 100%; font-size: 11pt; }}
th, td {{ border: 1px solid #888; padding: 2mm 3mm; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
</style></head><body>
<h1>{e(title)}</h1>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
</body></html>"""


def today_panel(actor: Actor) -> None:
    with db.session() as s:
        today, now = duty.on_duty(s, actor=actor, now=db.utcnow())
    st.subheader(t("duty.now_title"))
    if now:
        for e in now:
            st.success(t("duty.now_line", station=e.station, time=_period(e.start, e.end),
                         names=NAME_SEP.join(e.on_duty) or t("common.none")),
                       icon=":material/person_pin_circle:")
    else:
        empty("duty.nobody_now")
    st.subheader(t("duty.today_title"))
    if today:
        st.dataframe(rota_frame(today), hide_index=True, width="stretch", key="duty_today",
                     column_config={c: t(f"duty.col.{c}") for c in rota_frame(today).columns})
    else:
        empty("duty.no_slots_today")


# --- stations, hours, slots, assignments (managers) ---------------------------------------


def station_form(actor: Actor, names: dict) -> None:
    gen = st.session_state.get("ds_gen", 0)
    with st.form(f"ds_form_{gen}"):
        c = st.columns(2)
        site_id = c[0].selectbox(t("duty.site"), list(names["sites"]), index=None,
                                 key=f"ds_site_{gen}", placeholder=t("households.choose"),
                                 format_func=names["sites"].get)
        name = c[1].text_input(t("duty.station_name"), max_chars=60, key=f"ds_name_{gen}")
        address = st.text_input(t("households.col.address"), max_chars=120,
                                key=f"ds_addr_{gen}")
        services = st.text_input(t("duty.services"), max_chars=300, key=f"ds_services_{gen}")
        go = st.form_submit_button(t("duty.add_station"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors():
            duty.create_station(s, actor=actor, site_id=site_id, name=name, address=address,
                                services=services)
        st.session_state["ds_gen"] = gen + 1
        flash(t("duty.station_added", name=name.strip()))


def hours_panel(actor: Actor, station: dict) -> None:
    hours = station["hours"]
    if hours:
        st.write(t("duty.hours_now"))
        st.dataframe(pd.DataFrame([{"weekday": _weekday(w), "time": _period(lo, hi)}
                                   for w, lo, hi in hours]), hide_index=True,
                     column_config={"weekday": t("duty.col.weekday"),
                                    "time": t("duty.col.time")}, key="dh_table")
    else:
        empty("duty.no_hours")
    gen = st.session_state.get("dh_gen", 0)
    with st.form(f"dh_form_{gen}"):
        c = st.columns(3)
        weekday = c[0].selectbox(t("duty.col.weekday"), WEEKDAYS, index=None,
                                 key=f"dh_day_{gen}", placeholder=t("households.choose"),
                                 format_func=_weekday)
        start = c[1].time_input(t("duty.start"), value=None, key=f"dh_start_{gen}", step=1800)
        end = c[2].time_input(t("duty.end"), value=None, key=f"dh_end_{gen}", step=1800)
        go = st.form_submit_button(t("duty.add_hours"))
    if go:
        periods = [(w, _t(lo), _t(hi)) for w, lo, hi in hours] + [(weekday, start, end)]
        with db.write_session() as s, reporting_errors():
            duty.set_hours(s, actor=actor, station_id=station["id"], periods=periods)
        st.session_state["dh_gen"] = gen + 1
        flash(t("common.saved"))


def _t(value: int) -> time:
    return time(0, 0) if value >= duty.DAY_MINUTES else time(value // 60, value % 60)


def slot_form(actor: Actor, station: dict) -> None:
    gen = st.session_state.get("dslot_gen", 0)
    with st.form(f"dslot_form_{gen}"):
        c = st.columns(4)
        weekday = c[0].selectbox(t("duty.col.weekday"), WEEKDAYS, index=None,
                                 key=f"dslot_day_{gen}", placeholder=t("households.choose"),
                                 format_func=_weekday)
        start = c[1].time_input(t("duty.start"), value=None, key=f"dslot_start_{gen}",
                                step=1800)
        end = c[2].time_input(t("duty.end"), value=None, key=f"dslot_end_{gen}", step=1800)
        needed = c[3].number_input(t("duty.col.needed"), min_value=1, max_value=duty.MAX_NEEDED,
                                   value=None, step=1, key=f"dslot_needed_{gen}")
        go = st.form_submit_button(t("duty.add_slot"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors():
            duty.add_slot(s, actor=actor, station_id=station["id"], weekday=weekday,
                          start=start, end=end, needed=needed if needed is not None else "")
        st.session_state["dslot_gen"] = gen + 1
        flash(t("duty.slot_added"))


def _slot_label(slot: dict) -> str:
    return t("duty.slot_label", weekday=_weekday(slot["weekday"]),
             time=_period(slot["start"], slot["end"]), needed=slot["needed"])


def assign_panel(actor: Actor, station: dict, people: dict[int, str]) -> None:
    with db.session() as s:
        found = {sl["id"]: sl for sl in duty.slots(s, actor=actor, station_id=station["id"])}
    if not found:
        empty("duty.no_slots")
        return
    slot_id = st.selectbox(t("duty.slot"), list(found), index=None, key="da_slot",
                           placeholder=t("households.choose"),
                           format_func=lambda v: _slot_label(found[v]))
    if slot_id is None:
        return
    slot = found[slot_id]
    if slot["assignments"]:
        st.dataframe(pd.DataFrame([{"name": a["name"], "starts_on": day(a["starts_on"]),
                                    "ends_on": day(a["ends_on"])} for a in slot["assignments"]]),
                     hide_index=True, key="da_table",
                     column_config={c: t(f"duty.col.{c}") for c in ("name", "starts_on",
                                                                     "ends_on")})
    gen = st.session_state.get("da_gen", 0)
    with st.form(f"da_form_{gen}"):
        c = st.columns(3)
        vid = c[0].selectbox(t("duty.volunteer"), list(people), index=None,
                             key=f"da_vol_{gen}", placeholder=t("households.choose"),
                             format_func=people.get)
        starts = c[1].date_input(t("duty.col.starts_on"), value=None, key=f"da_start_{gen}",
                                 format="YYYY-MM-DD")
        ends = c[2].date_input(t("duty.ends_on_optional"), value=None, key=f"da_end_{gen}",
                               format="YYYY-MM-DD")
        go = st.form_submit_button(t("duty.assign"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors():
            duty.assign(s, actor=actor, slot_id=slot_id, volunteer_id=vid, starts_on=starts,
                        ends_on=ends)
        st.session_state["da_gen"] = gen + 1
        flash(t("duty.assigned", name=people.get(vid, "")))
    change_form(actor, slot, people)


def change_form(actor: Actor, slot: dict, people: dict[int, str]) -> None:
    st.write(t("duty.change_title"))
    assigned = {a["volunteer_id"]: a["name"] for a in slot["assignments"]}
    gen = st.session_state.get("dc_gen", 0)
    with st.form(f"dc_form_{gen}"):
        c = st.columns(4)
        on = c[0].date_input(t("duty.on_date"), value=None, key=f"dc_day_{gen}",
                             format="YYYY-MM-DD")
        vid = c[1].selectbox(t("duty.volunteer"), list(assigned), index=None,
                             key=f"dc_vol_{gen}", placeholder=t("households.choose"),
                             format_func=assigned.get)
        kind = c[2].radio(t("duty.kind"), KINDS, index=None, key=f"dc_kind_{gen}",
                          format_func=lambda v: label("duty_change", v))
        sub = c[3].selectbox(t("duty.substitute"), list(people), index=None,
                             key=f"dc_sub_{gen}", placeholder=t("duty.substitute_hint"),
                             format_func=people.get)
        go = st.form_submit_button(t("duty.save_change"))
    if go:
        with db.write_session() as s, reporting_errors():
            duty.change(s, actor=actor, slot_id=slot["id"], on_date=on, volunteer_id=vid,
                        kind=kind or "", substitute_id=sub if kind == "swap" else None)
        st.session_state["dc_gen"] = gen + 1
        flash(t("common.saved"))


# --- attendance ------------------------------------------------------------------------------


def attendance_panel(actor: Actor, station: dict) -> None:
    with db.session() as s:
        found = {sl["id"]: sl for sl in duty.slots(s, actor=actor, station_id=station["id"])}
    if not found:
        empty("duty.no_slots")
        return
    c = st.columns(2)
    slot_id = c[0].selectbox(t("duty.slot"), list(found), index=None, key="dm_slot",
                             placeholder=t("households.choose"),
                             format_func=lambda v: _slot_label(found[v]))
    if slot_id is None:
        return
    slot = found[slot_id]
    with db.session() as s:
        held = duty.last_held(s, slot_id=slot_id, now=db.utcnow())
    on = c[1].date_input(t("duty.on_date"), value=held,
                         max_value=local_today(), key=f"dm_day_{slot_id}", format="YYYY-MM-DD")
    with db.session() as s, reporting_errors():
        entry = next((e for e in duty.rota(s, actor=actor, start=on, days=1,
                                           station_id=station["id"]) if e.slot_id == slot_id),
                     None)
        marked = duty.attendance(s, actor=actor, slot_id=slot_id, on_date=on)
    if entry is None:
        st.warning(t("duty.not_that_day", weekday=_weekday(slot["weekday"])))
        return
    people = dict(zip(entry.volunteer_ids, entry.on_duty, strict=True))
    people.update({a["volunteer_id"]: a["name"] for a in slot["assignments"]
                   if a["name"] in entry.away})
    if not people:
        empty("duty.nobody_assigned")
        return
    st.caption(t("duty.mark_hint", hours=round((slot["end"] - slot["start"]) / 60, 2)))
    with st.form(f"dm_form_{slot_id}_{on.isoformat()}"):
        marks = {}
        for vid, name in people.items():
            done = marked.get(vid)
            marks[vid] = st.radio(name, STATUSES, horizontal=True,
                                  key=f"dm_{slot_id}_{on.isoformat()}_{vid}",
                                  index=STATUSES.index(done) if done else None,
                                  format_func=lambda v: label("attendance", v))
        go = st.form_submit_button(t("duty.save_marks"), type="primary")
    if go:
        chosen = {vid: status for vid, status in marks.items() if status}
        with db.write_session() as s, reporting_errors():
            duty.mark(s, actor=actor, slot_id=slot_id, on_date=on, marks=chosen)
        flash(t("duty.marked", n=sum(1 for v in chosen.values() if v == "present")))


def volunteers(actor: Actor) -> dict[int, str]:
    with db.session() as s:
        return duty.volunteer_choices(s, actor=actor)
