"""志愿者 widgets: the list with its export, the add/edit form with skill tags, 星级公示 (new stars
in a period) and the re-engagement list with 不再活跃."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core import db
from models import Gender
from services import experts, teams, volunteer_records, volunteers, xlsx
from services.permissions import Actor
from ui.i18n import label, t
from ui.order_views import _picked_ids
from ui.widgets import (
    confirmed_reason,
    day,
    empty,
    flash,
    form_key,
    local_today,
    paged,
    reporting_errors,
    site_options,
    site_places,
    table_key,
)

LIST_SHOWN = ("name", "phone", "gender", "site", "teams", "party_member", "hours", "stars",
              "points", "active")


def stars(n: int) -> str:
    return "★" * n if n else t("record.no_star")


def names(actor: Actor) -> dict:
    with db.session() as s:
        places = site_places(s, actor.site_path)
        return {"sites": {i: name for i, name, _active in places}, "places": places,
                "teams": {tm.id: tm.name for tm in teams.in_scope(s, actor=actor)},
                "skills": {k["id"]: k["name"] for k in experts.skills(s)}}


def pick(df: pd.DataFrame, shown, key: str, config: dict) -> int | None:
    """A single-row table whose pick is kept by id (ui.order_views._picked_ids)."""
    tkey = table_key(key)
    event = st.dataframe(df[list(shown)], key=tkey, hide_index=True, width="stretch",
                         on_select="rerun", selection_mode="single-row", column_config=config)
    picked = _picked_ids(tkey, event, [int(i) for i in df["id"]])
    return picked[0] if picked else None


def volunteer_list(actor: Actor, lookup: dict) -> int | None:
    """Search, team filter, the paginated list and its export; returns the picked volunteer."""
    c = st.columns([2, 2, 1], vertical_alignment="bottom")
    search = c[0].text_input(t("volunteers.search"), key="vol_search", max_chars=40)
    team_names = lookup["teams"]
    team_filter = c[1].selectbox(t("volunteers.col.teams"), [None, *team_names], key="vol_team",
                                 format_func=lambda i: team_names.get(i, t("common.all")))

    def build() -> bytes:  # only when clicked: an export is audited
        with db.write_session() as s:
            return volunteer_records.export_list(s, actor=actor, words=t, search=search,
                                                 team_id=team_filter)

    c[2].download_button(t("record.export_list"), data=build, file_name="志愿者名册.xlsx",
                         mime=xlsx.MIME, key="vol_export", on_click="ignore",
                         icon=":material/download:")
    with db.session() as s:
        rows = paged(lambda offset, limit: volunteers.page(s, actor=actor, search=search,
                                                           team_id=team_filter, offset=offset,
                                                           limit=limit), key="vol_page")
    if not rows:
        empty("volunteers.none")
        return None
    st.caption(t("record.pick_hint"))
    df = pd.DataFrame(rows)
    df["gender"] = df["gender"].map(lambda v: label("gender", v))
    df["stars"] = df["stars"].map(stars)
    return pick(df, LIST_SHOWN, "vol_table", {c: t(f"volunteers.col.{c}") for c in LIST_SHOWN})


def edit_form(actor: Actor, lookup: dict, cur: dict | None) -> None:
    """Register a volunteer, or edit the picked one (teams, skill tags, title, active)."""
    vid = cur["id"] if cur else form_key("new")  # new keys after a save: an empty form
    cur = cur or {}
    site_names = site_options(lookup["places"], keep=cur.get("site_id"))
    team_names, skill_names = lookup["teams"], lookup["skills"]
    messages = st.container()  # every refusal at once, above the form
    with st.form(f"vol_form_{vid}"):
        c = st.columns(3)
        name = c[0].text_input(t("volunteers.col.name"), value=cur.get("name", ""),
                               max_chars=40, key=f"vol_name_{vid}")
        phone = c[1].text_input(t("volunteers.col.phone"), value=cur.get("phone", ""),
                                max_chars=20, key=f"vol_phone_{vid}")
        genders = [g.value for g in Gender]
        gender = c[2].selectbox(t("volunteers.col.gender"), genders, key=f"vol_gender_{vid}",
                                index=genders.index(cur["gender"]) if cur else None,
                                placeholder=t("record.choose"),
                                format_func=lambda v: label("gender", v))
        c = st.columns(2)
        site_ids = list(site_names)
        site_id = c[0].selectbox(t("volunteers.col.site"), site_ids, key=f"vol_site_{vid}",
                                 index=site_ids.index(cur["site_id"]) if cur else None,
                                 placeholder=t("record.choose"), format_func=site_names.get)
        team_ids = c[1].multiselect(t("volunteers.col.teams"), list(team_names),
                                    key=f"vol_teams_{vid}", default=cur.get("team_ids", []),
                                    format_func=team_names.get, placeholder=t("record.choose"),
                                    select_all=False)
        c = st.columns(2)
        skill_ids = c[0].multiselect(
            t("record.skill_tags"), list(skill_names), key=f"vol_tags_{vid}",
            default=[k for k in cur.get("skill_ids", []) if k in skill_names],
            format_func=skill_names.get, placeholder=t("record.choose"), select_all=False)
        title = c[1].text_input(t("record.title_field"), value=cur.get("title", ""),
                                max_chars=40, key=f"vol_title_{vid}")
        skills = st.text_input(t("volunteers.skills"), value=cur.get("skills", ""),
                               max_chars=200, key=f"vol_skills_{vid}")
        c = st.columns(2)
        party = c[0].checkbox(t("volunteers.col.party_member"),
                              value=cur.get("party_member", False), key=f"vol_party_{vid}")
        active = c[1].checkbox(t("volunteers.col.active"), value=cur.get("active", True),
                               key=f"vol_active_{vid}") if cur else True
        go = st.form_submit_button(t("common.save"), type="primary")
    if not go:
        return
    fields = {"name": name, "phone": phone, "gender": Gender(gender) if gender else None,
              "site_id": site_id,
              "party_member": party, "skills": skills, "team_ids": tuple(team_ids),
              "skill_ids": tuple(skill_ids), "title": title}
    with db.write_session() as s, reporting_errors(messages):
        if cur:
            volunteers.update(s, actor=actor, volunteer_id=cur["id"], active=active,
                              today=local_today(), **fields)
        else:
            volunteers.create(s, actor=actor, registered_on=local_today(), **fields)
    flash(t("forms.volunteer_saved", name=name.strip()))


def new_stars(actor: Actor) -> None:
    """星级公示: who reached a new star in a period, for the public notice."""
    today = local_today()
    picked = st.date_input(t("stars.period"), value=(date(today.year, 1, 1), today),
                           key="stars_period", max_value=today, format="YYYY-MM-DD")
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info(t("stars.pick_both"))
        return
    with db.session() as s, reporting_errors():
        rows = paged(lambda offset, limit: volunteer_records.new_stars(
            s, actor=actor, date_from=picked[0], date_to=picked[1], offset=offset,
            limit=limit), key="stars_page")
    if not rows:
        empty("stars.none")
        return
    df = pd.DataFrame(rows)
    df["stars_before"] = df["stars_before"].map(stars)
    df["stars_after"] = df["stars_after"].map(stars)
    shown = ["name", "site", "stars_before", "stars_after", "hours_before", "hours_after"]
    st.dataframe(df[shown], key="stars_table", hide_index=True, width="stretch",
                 column_config={c: t(f"stars.col.{c}") for c in shown})


def reengage(actor: Actor) -> None:
    """回访动员: active volunteers with no service for N months, with their phone; one can be
    marked 不再活跃 with a reason."""
    with db.session() as s:
        rows = paged(lambda offset, limit: volunteers.idle(s, actor=actor, offset=offset,
                                                           limit=limit), key="idle_page")
    st.caption(t("reengage.hint"))
    if not rows:
        empty("reengage.none")
        return
    df = pd.DataFrame(rows)
    df["last_served"] = df["last_served"].map(lambda d: day(d) if d else t("reengage.never"))
    df["registered_on"] = df["registered_on"].map(day)
    shown = ["name", "phone", "site", "last_served", "registered_on"]
    vid = pick(df, shown, "idle_table", {c: t(f"reengage.col.{c}") for c in shown})
    if vid is None:
        return
    retire_form(actor, vid, next(r["name"] for r in rows if r["id"] == vid))


def retire_form(actor: Actor, vid: int, who: str) -> None:
    """不再活跃 with a reason, after ticking the confirmation."""
    reason = confirmed_reason(f"retire_{vid}", reason_label=t("reengage.reason"),
                              confirm_label=t("reengage.confirm", name=who),
                              button=t("reengage.retire"), key=f"retire_{vid}",
                              max_chars=200)
    if reason is not None:
        with db.write_session() as s, reporting_errors():
            volunteers.retire(s, actor=actor, volunteer_id=vid, reason=reason)
        flash(t("reengage.retired", name=who))
