"""我的账号: change one's own password (required after a temporary one)."""

import streamlit as st

from core import db
from services import users
from services.permissions import Action
from ui.i18n import t
from ui.session import password_changed, require
from ui.widgets import flash, reporting_errors

actor = require(Action.CHANGE_OWN_PASSWORD)

st.title(t("account.title"))
st.text(f"{actor.display_name} ({actor.username})")
with db.session() as s:
    forced = users.by_username(s, actor.username).must_change_password
if forced:
    st.warning(t("account.must_change"))

with st.form("password_form"):
    old = st.text_input(t("account.old_password"), type="password", key="pw_old")
    new = st.text_input(t("account.new_password"), type="password", key="pw_new",
                        help=t("auth.password_rules"))
    again = st.text_input(t("auth.password_again"), type="password", key="pw_again")
    go = st.form_submit_button(t("account.change"), type="primary")
if go:
    if new != again:
        st.error(t("error.password_mismatch"))
    else:
        with db.write_session() as s, reporting_errors():
            users.change_password(s, user_id=actor.id, old_password=old, new_password=new)
        password_changed()
        flash(t("account.changed"))
