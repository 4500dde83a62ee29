"""志愿者: the volunteers of my sites with their teams, hours, stars and points."""

import pandas as pd
import streamlit as st

from core import db
from models import Gender
from services import sites, teams, volunteers
from services.permissions import Action
from ui.i18n import label, t
from ui.session import require
from ui.widgets import empty, flash, form_key, local_today, paged, reporting_errors, table_key

actor = require(Action.MANAGE_VOLUNTEERS)

st.title(t("volunteers.title"))
with db.session() as s:
    site_names = {p.id: p.name for p in sites.subtree(s, actor.site_path)}
    team_names = {tm.id: tm.name for tm in teams.in_scope(s, actor=actor)}
c = st.columns(2)
search = c[0].text_input(t("volunteers.search"), key="vol_search", max_chars=40)
team_filter = c[1].selectbox(t("volunteers.col.teams"), [None, *team_names], key="vol_team",
                             format_func=lambda i: team_names.get(i, t("common.all")))
with db.session() as s:
    rows = paged(lambda offset, limit: volunteers.page(s, actor=actor, search=search,
                                                       team_id=team_filter, offset=offset,
                                                       limit=limit), key="vol_page")
if rows:
    df = pd.DataFrame(rows)
    df["gender"] = df["gender"].map(lambda v: label("gender", v))
    df["stars"] = df["stars"].map(lambda n: "★" * n)
    shown = ["name", "phone", "gender", "site", "teams", "party_member", "hours", "stars",
             "points", "active"]
    event = st.dataframe(df[shown], hide_index=True, width="stretch", key=table_key("vol_table"),
                         on_select="rerun", selection_mode="single-row",
                         column_config={c: t(f"volunteers.col.{c}") for c in shown})
    picked = next((rows[i] for i in event.selection.rows if i < len(rows)), None)
else:
    empty("volunteers.none")
    picked = None

st.subheader(t("volunteers.edit") if picked else t("volunteers.add"))
vid = picked["id"] if picked else form_key("new")  # new keys after a save: an empty form
cur = picked or {}
messages = st.container()
with st.form(f"vol_form_{vid}"):
    c = st.columns(3)
    name = c[0].text_input(t("volunteers.col.name"), value=cur.get("name", ""), max_chars=40,
                           key=f"vol_name_{vid}")
    phone = c[1].text_input(t("volunteers.col.phone"), value=cur.get("phone", ""), max_chars=20,
                            key=f"vol_phone_{vid}")
    genders = [g.value for g in Gender]
    gender = c[2].selectbox(t("volunteers.col.gender"), genders, key=f"vol_gender_{vid}",
                            index=genders.index(cur["gender"]) if cur.get("gender") else None,
                            format_func=lambda v: label("gender", v),
                            placeholder=t("forms.choose"))
    c = st.columns(2)
    site_ids = list(site_names)
    site_id = c[0].selectbox(t("volunteers.col.site"), site_ids, key=f"vol_site_{vid}",
                             index=site_ids.index(cur.get("site_id", site_ids[0])),
                             format_func=site_names.get)
    team_ids = c[1].multiselect(t("volunteers.col.teams"), list(team_names), key=f"vol_teams_{vid}",
                                default=cur.get("team_ids", []), format_func=team_names.get,
                                placeholder=t("forms.choose_many"))
    skills = st.text_input(t("volunteers.skills"), value=cur.get("skills", ""), max_chars=200,
                           key=f"vol_skills_{vid}")
    c = st.columns(2)
    party = c[0].checkbox(t("volunteers.col.party_member"), value=cur.get("party_member", False),
                          key=f"vol_party_{vid}")
    active = c[1].checkbox(t("volunteers.col.active"), value=cur.get("active", True),
                           key=f"vol_active_{vid}")
    go = st.form_submit_button(t("common.save"), type="primary")
if go:
    fields = {"name": name, "phone": phone, "gender": Gender(gender) if gender else None,
              "site_id": site_id,
              "party_member": party, "skills": skills, "team_ids": tuple(team_ids)}
    with db.write_session() as s, reporting_errors(messages):
        if picked:
            volunteers.update(s, actor=actor, volunteer_id=picked["id"], active=active, **fields)
        else:
            volunteers.create(s, actor=actor, registered_on=local_today(), **fields)
    flash(t("forms.volunteer_saved", name=name.strip()))
