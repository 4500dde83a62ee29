"""评单: record how residents rated finished work, from a follow-up call or in person."""

import streamlit as st

from core import db
from models import RATABLE, RatingChannel
from services import order_queries, ratings
from services.permissions import Action
from ui import order_views
from ui.i18n import label, t
from ui.session import require
from ui.widgets import flash, reporting_errors

actor = require(Action.RATE)

st.title(t("ratings.title"))
st.caption(t("ratings.hint"))
waiting = order_queries.OrderFilter(statuses=RATABLE)
rows = order_views.order_page(actor, waiting, "ratings_page", sort="oldest", per_page=25)
picked = order_views.order_table(rows, key="ratings_table")
if picked is None:
    st.stop()
order_views.detail(actor, picked)

with st.form("rate_form"):
    level = st.radio(t("ratings.level"), [5, 4, 3, 2, 1], key="rate_level", horizontal=True,
                     format_func=lambda v: f"{'★' * v} {label('level', v)}")
    channel = st.radio(t("ratings.channel"), [RatingChannel.call.value,
                                              RatingChannel.in_person.value],
                       key="rate_channel", horizontal=True,
                       format_func=lambda v: label("channel", v))
    comment = st.text_area(t("ratings.comment"), key="rate_comment", max_chars=500)
    go = st.form_submit_button(t("ratings.submit"), type="primary")
if go:
    with db.write_session() as s, reporting_errors():
        order = ratings.rate(s, actor=actor, order_id=picked, level=level, comment=comment,
                             channel=channel)
    flash(t("ratings.saved", code=order.code))
