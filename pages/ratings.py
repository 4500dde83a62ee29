"""评单: record how residents rated finished work, from a follow-up call or in person."""

import streamlit as st

from core import db
from models import RATABLE, RatingChannel
from services import order_queries, ratings
from services.permissions import Action
from ui import order_views
from ui.i18n import label, t
from ui.session import require
from ui.widgets import flash, form_key, reporting_errors

actor = require(Action.RATE)

st.title(t("ratings.title"))
st.caption(t("ratings.hint"))
waiting = order_queries.OrderFilter(statuses=RATABLE)
rows = order_views.order_page(actor, waiting, "ratings_page", sort="oldest", per_page=25)
picked = order_views.order_table(rows, key="ratings_table")
if picked is None:
    st.stop()
order_views.detail(actor, picked)

# No level is preselected: a default of ★★★★★ would write an answer the resident never gave,
# and lift 好评率. The service refuses a rating without one.
k = form_key(f"rate_{picked}")
messages = st.container()
with st.form(f"rate_form_{k}"):
    level = st.radio(t("ratings.level"), [5, 4, 3, 2, 1], key=f"{k}_level", horizontal=True,
                     index=None, format_func=lambda v: f"{'★' * v} {label('level', v)}")
    channel = st.radio(t("ratings.channel"), [RatingChannel.call.value,
                                              RatingChannel.in_person.value],
                       key=f"{k}_channel", horizontal=True, index=None,
                       format_func=lambda v: label("channel", v))
    comment = st.text_area(t("ratings.comment"), key=f"{k}_comment", max_chars=500)
    go = st.form_submit_button(t("ratings.submit"), type="primary")
if go:
    with db.write_session() as s, reporting_errors(messages):
        order = ratings.rate(s, actor=actor, order_id=picked, level=level, comment=comment,
                             channel=channel)
    flash(t("ratings.saved", code=order.code))
