"""中心审核: the completion reports waiting for a manager of the order's site — each with its
beneficiaries, volunteers and hours and the team's note — approved, or returned to the team
with a reason."""

import streamlit as st

from core import db
from services import review
from services.permissions import Action
from ui.i18n import t
from ui.review_views import decide_pending, report_card
from ui.session import require
from ui.widgets import empty, paged

actor = require(Action.REVIEW)

st.title(t("review.title"))
decide_pending(actor)  # before the list: a report decided meanwhile is no longer in it
with db.session() as s:
    on = review.required(s)
    waiting = review.waiting_count(s, actor=actor)
if on:
    st.caption(t("review.rule"))
elif waiting:
    st.warning(t("review.off_but_waiting"), icon=":material/warning:")
else:
    empty("review.off", link=("settings.py", "nav.settings"))
    st.stop()
if not waiting:
    empty("review.empty")
    st.stop()

with db.session() as s:
    reports = paged(lambda offset, limit: (review.queue(s, actor=actor, offset=offset,
                                                        limit=limit), waiting),
                    key="review_page", per_page=10)
for report in reports:
    report_card(report)
