"""账号: accounts of my sites — add one with a temporary password, edit, deactivate, reset."""

import pandas as pd
import streamlit as st

from core import db
from models import Role
from services import teams, users
from services.permissions import Action
from ui.i18n import label, t
from ui.session import require
from ui.widgets import (
    flash,
    form_key,
    paged,
    reporting_errors,
    site_options,
    site_places,
    table_key,
)

actor = require(Action.MANAGE_USERS)

st.title(t("users.title"))
temp = st.session_state.pop("users_temp_password", None)
if temp:
    st.info(t("users.temp_password", username=temp[0]), icon=":material/key:")
    st.code(temp[1], language=None)

with db.session() as s:
    places = site_places(s, actor.site_path)
    team_names = {tm.id: tm.name for tm in teams.in_scope(s, actor=actor)}
    rows = paged(lambda offset, limit: users.page(s, actor=actor, offset=offset, limit=limit),
                 key="users_page")
df = pd.DataFrame(rows)
df["role"] = df["role"].map(lambda v: label("role", v))
shown = ["username", "display_name", "role", "site", "team", "phone", "active"]
event = st.dataframe(df[shown], hide_index=True, width="stretch", key=table_key("users_table"),
                     on_select="rerun", selection_mode="single-row",
                     column_config={c: t(f"users.col.{c}") for c in shown})
picked = next((rows[i] for i in event.selection.rows if i < len(rows)), None)
st.caption(t("users.pick_hint"))

# New keys after each save (form_key): the next account starts empty, with no role or team
# carried over from the one just made.
uid = picked["id"] if picked else form_key("new")
cur = picked or {}
st.subheader(t("users.edit", username=cur["username"]) if picked else t("users.add"))
messages = st.container()
with st.form(f"user_form_{uid}"):
    c = st.columns(2)
    username = c[0].text_input(t("users.col.username"), value=cur.get("username", ""),
                               max_chars=40, disabled=bool(picked), key=f"user_name_{uid}",
                               help=t("users.username_help"))
    display = c[1].text_input(t("users.col.display_name"), value=cur.get("display_name", ""),
                              max_chars=40, key=f"user_display_{uid}")
    c = st.columns(3)
    roles = [r.value for r in Role]
    role = c[0].selectbox(t("users.col.role"), roles, key=f"user_role_{uid}",
                          index=roles.index(cur.get("role", "officer")),
                          format_func=lambda v: label("role", v))
    site_names = site_options(places, keep=cur.get("site_id"))
    site_ids = list(site_names)
    now_on = cur.get("site_id", actor.site_id)
    site_id = c[1].selectbox(t("users.col.site"), site_ids, key=f"user_site_{uid}",
                             index=site_ids.index(now_on) if now_on in site_names else None,
                             format_func=site_names.get, placeholder=t("forms.choose"))
    team_opts = [None, *team_names]
    team_id = c[2].selectbox(t("users.col.team"), team_opts, key=f"user_team_{uid}",
                             index=team_opts.index(cur.get("team_id")),
                             format_func=lambda i: team_names.get(i, t("common.none")),
                             help=t("users.team_help"))
    phone = st.text_input(t("users.col.phone"), value=cur.get("phone", ""), max_chars=20,
                          key=f"user_phone_{uid}")
    go = st.form_submit_button(t("common.save"), type="primary")
if go:
    with db.write_session() as s, reporting_errors(messages):
        if picked:
            users.update(s, actor=actor, user_id=picked["id"], display_name=display,
                         role=Role(role), site_id=site_id, team_id=team_id, phone=phone)
        else:
            user, password = users.create(s, actor=actor, username=username, display_name=display,
                                          role=Role(role), site_id=site_id, team_id=team_id,
                                          phone=phone)
            st.session_state["users_temp_password"] = (user.username, password)
    flash(t("forms.user_saved", username=picked["username"]) if picked else
          t("forms.user_created", username=username.strip().lower()))

if picked and picked["id"] != actor.id:
    st.divider()
    c = st.columns(2)
    with c[0].form("user_active_form"):
        sure = st.checkbox(t("users.confirm_active" if not picked["active"] else
                             "users.confirm_deactivate", username=picked["username"]),
                           key="user_active_sure")
        if st.form_submit_button(t("users.reactivate" if not picked["active"] else
                                   "users.deactivate")):
            if not sure:
                st.warning(t("common.confirm_first"))
            else:
                with db.write_session() as s, reporting_errors():
                    users.set_active(s, actor=actor, user_id=picked["id"],
                                     active=not picked["active"])
                flash(t("common.saved"))
    with c[1].form("user_reset_form"):
        sure = st.checkbox(t("users.confirm_reset", username=picked["username"]),
                           key="user_reset_sure")
        if st.form_submit_button(t("users.reset_password")):
            if not sure:
                st.warning(t("common.confirm_first"))
            else:
                with db.write_session() as s, reporting_errors():
                    password = users.reset_password(s, actor=actor, user_id=picked["id"])
                st.session_state["users_temp_password"] = (picked["username"], password)
                flash(t("users.password_was_reset"))
