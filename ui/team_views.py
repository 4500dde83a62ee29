"""A team's record on the teams page: its figures for the last year and its members."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import teams
from services.permissions import Actor
from ui.i18n import t
from ui.widgets import percent


def team_record(actor: Actor, team_id: int) -> None:
    with db.session() as s:
        info = teams.detail(s, actor=actor, team_id=team_id)
    st.caption(t("teams.record.window"))
    top, bottom = st.columns(4), st.columns(4)
    top[0].metric(t("teams.col.members"), len(info["members"]), border=True)
    top[1].metric(t("teams.col.open_orders"), info["open_orders"], border=True)
    top[2].metric(t("teams.record.done"), info["done"], border=True)
    top[3].metric(t("teams.record.on_time"), percent(info["on_time_rate"]), border=True,
                  help=t("teams.record.on_time_help"))
    bottom[0].metric(t("overview.hours"), f"{info['hours']:,}", border=True)
    bottom[1].metric(t("overview.beneficiaries"), f"{info['beneficiaries']:,}", border=True)
    bottom[2].metric(t("teams.record.rating"), "—" if info["average_rating"] is None
                     else f"{info['average_rating']:.2f}", border=True,
                     help=t("teams.record.rating_help", ratings=info["ratings"]))
    with st.expander(t("teams.record.members", count=len(info["members"]))):
        if info["members"]:
            st.dataframe(pd.DataFrame(info["members"])[["name", "phone"]], hide_index=True,
                         width="stretch", column_config={"name": t("volunteers.col.name"),
                                                         "phone": t("volunteers.col.phone")})
        else:
            st.info(t("complete.no_roster"), icon=":material/info:")
