"""The first screen of an empty installation: create the first manager, or load the demo town."""

from __future__ import annotations

import logging

import streamlit as st

from core import config, db
from models import SiteLevel
from services import catalog, users
from services.errors import DomainError
from ui.i18n import error_text, t
from ui.widgets import flash


def setup_view() -> None:
    st.title(t("setup.title"))
    st.write(t("setup.intro"))
    own, demo = st.tabs([t("setup.own_tab"), t("setup.demo_tab")])
    with own:
        messages = st.container()
        with st.form("setup_first_manager"):
            centre = st.text_input(t("setup.centre_name"), key="setup_centre", max_chars=60,
                                   placeholder=t("setup.centre_placeholder"))
            level = st.radio(t("setup.level"), [SiteLevel.station.value, SiteLevel.center.value],
                             format_func=lambda v: t(f"site_level.{v}"), horizontal=True,
                             key="setup_level")
            username = st.text_input(t("auth.username"), key="setup_username", max_chars=40,
                                     help=t("users.username_help"))
            display = st.text_input(t("users.display_name"), key="setup_display", max_chars=40)
            password = st.text_input(t("auth.password"), type="password", key="setup_password",
                                     help=t("auth.password_rules"))
            again = st.text_input(t("auth.password_again"), type="password", key="setup_again")
            go = st.form_submit_button(t("setup.create"), type="primary")
        if go:
            if password != again:
                messages.error(t("error.password_mismatch"), icon=":material/error:")
            else:
                try:  # every field is checked first, and every refusal listed at once
                    with db.write_session() as s:
                        user = users.create_first_manager(
                            s, centre_name=centre, level=SiteLevel(level), username=username,
                            display_name=display, password=password)
                        catalog.ensure_default_categories(s)
                except DomainError as err:
                    messages.error(error_text(err, markdown=True), icon=":material/error:")
                else:
                    flash(t("setup.created", username=user.username))
    with demo:
        st.write(t("setup.demo_intro"))
        if st.button(t("setup.load_demo"), key="setup_load_demo", type="primary"):
            from seed import town

            bar = st.progress(0.0, text=t("setup.demo_progress"))
            try:
                town.build(config.database_url(),
                           progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
            except town.DatabaseNotEmpty:
                st.error(t("setup.not_empty"))
            except Exception:  # the database was emptied again; the log keeps the details
                logging.getLogger(__name__).exception("demo build failed")
                st.error(t("setup.demo_failed"))
            else:
                bar.progress(1.0, text=t("setup.demo_done"))
                flash(t("setup.demo_done"))
