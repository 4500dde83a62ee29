"""志愿服务队: the teams of my sites, their tiers, categories, members and open orders."""

import pandas as pd
import streamlit as st

from core import db
from models import TeamTier
from services import catalog, teams
from services.permissions import Action
from ui import dispatch_views
from ui.i18n import label, t
from ui.session import require
from ui.team_views import team_record
from ui.widgets import empty, flash, form_key, reporting_errors, site_options, site_places

actor = require(Action.MANAGE_TEAMS)

st.title(t("teams.title"))
with db.session() as s:
    rows = teams.overview(s, actor=actor)
    places = site_places(s, actor.site_path)
    categories = {c.id: c.name for c in catalog.categories(s)}

if rows:
    df = pd.DataFrame(rows)
    df["tier"] = df["tier"].map(lambda v: label("tier", v))
    # Fits a 1366 px laptop (1271 px with the parent and the phone, 916 px with names at a
    # medium width): the long names are cut; the parent, the phone and the full names are in the
    # team's form below.
    TEAM_WIDTHS = {"name": 180, "site": 150, "categories": 190}
    shown = ["name", "tier", "site", "categories", "lead_name", "members", "open_orders",
             "active"]
    st.dataframe(df[shown], hide_index=True, width="stretch",
                 column_config={c: st.column_config.Column(t(f"teams.col.{c}"),
                                                           width=TEAM_WIDTHS.get(c))
                                for c in shown})
else:
    empty("teams.none")

by_id = {r["id"]: r for r in rows}
st.subheader(t("teams.edit_title"))
team_id = st.selectbox(t("teams.pick"), [None, *by_id], key=form_key("team_pick"),
                       format_func=lambda i: by_id[i]["name"] if i else t("teams.new"))
current = by_id.get(team_id, {})
if team_id is not None:
    team_record(actor, team_id)
k = form_key(str(team_id))
# The parent is chosen above the form so that the tier follows it: a team with no parent is a
# 总队, under a 总队 a 支队, under a 支队 a 小队 — the default is always one that can be saved.
parents = [None, *[i for i in by_id if i != team_id]]
parent_id = st.selectbox(t("teams.col.parent"), parents, key=f"team_parent_{k}",
                         index=parents.index(current.get("parent_id")),
                         format_func=lambda i: by_id[i]["name"] if i else t("common.none"))
fits = teams.child_tier(TeamTier(by_id[parent_id]["tier"]) if parent_id else None)
tiers = [x.value for x in TeamTier]
tier_now = current.get("tier") or (fits.value if fits else None)
messages = st.container()
with st.form(f"team_form_{k}"):
    name = st.text_input(t("teams.col.name"), value=current.get("name", ""), max_chars=60,
                         key=f"team_name_{k}")
    c = st.columns(2)
    tier = c[0].selectbox(t("teams.col.tier"), tiers, key=f"team_tier_{k}_{parent_id}",
                          index=tiers.index(tier_now) if tier_now else None,
                          format_func=lambda v: label("tier", v), placeholder=t("forms.choose"))
    site_names = site_options(places, keep=current.get("site_id"))
    site_ids = list(site_names)
    now_on = current.get("site_id", actor.site_id)
    site_id = c[1].selectbox(t("teams.col.site"), site_ids, key=f"team_site_{k}",
                             index=site_ids.index(now_on) if now_on in site_names else None,
                             format_func=site_names.get, placeholder=t("forms.choose"))
    cats = st.multiselect(t("teams.col.categories"), list(categories), format_func=categories.get,
                          default=current.get("category_ids", []), key=f"team_cats_{k}",
                          placeholder=t("forms.choose_many"), select_all=False)
    c = st.columns(2)
    lead = c[0].text_input(t("teams.col.lead_name"), value=current.get("lead_name", ""),
                           max_chars=40, key=f"team_lead_{k}")
    phone = c[1].text_input(t("teams.col.phone"), value=current.get("phone", ""), max_chars=20,
                            key=f"team_phone_{k}")
    active = st.checkbox(t("teams.col.active"), value=current.get("active", True),
                         key=f"team_active_{k}")
    go = st.form_submit_button(t("common.save"), type="primary")
if go:
    fields = {"name": name, "tier": TeamTier(tier) if tier else None, "site_id": site_id,
              "parent_id": parent_id, "category_ids": tuple(cats), "lead_name": lead,
              "phone": phone}
    with db.write_session() as s, reporting_errors(messages):
        if team_id is None:
            teams.create(s, actor=actor, **fields)
        else:
            teams.update(s, actor=actor, team_id=team_id, active=active, **fields)
    dispatch_views.forget_team_records()  # the desk lists the teams from its kept records
    flash(t("forms.team_saved", name=name.strip()))
