"""我的工单: the team lead's inbox — accept or decline what was dispatched, mark accepted work
done."""

import streamlit as st

from core import db
from models import DONE, IN_REVIEW
from services import completions, order_queries, orders, review
from services.permissions import Action
from ui import order_views
from ui.completion import completion_form
from ui.i18n import t
from ui.rating_card import rating_link_section
from ui.session import require
from ui.widgets import flash, form_key, local_time, local_today, reporting_errors

actor = require(Action.WORK_ORDERS)

st.title(t("my_orders.title"))
TABS = (("dispatched", "my_orders.waiting"), ("accepted", "my_orders.in_progress"),
        ("completed", "my_orders.done"))
status = st.segmented_control(t("orders.status"), [s for s, _ in TABS], default="dispatched",
                              key="my_orders_tab",
                              format_func=lambda s: t(dict(TABS)[s])) or "dispatched"
# 待审核 (中心审核) sits with the done ones: the team's part is finished.
flt = order_queries.OrderFilter(statuses=(status,) if status != "completed"
                                else (*IN_REVIEW, *DONE))
rows = order_views.order_page(actor, flt, f"my_orders_page_{status}", sort="urgent",
                              per_page=25)
picked = order_views.lead_list(rows, key=f"my_orders_table_{status}")
if picked is None:
    st.stop()
info = order_views.detail(actor, picked)
state = info["order"]["status"]
rating_link_section(actor, info)

if state == "dispatched":
    accept_col, decline_col = st.columns(2)
    with accept_col.form("accept_form"):
        planned = st.date_input(t("my_orders.planned_on"), value=local_today(),
                                key=form_key("accept_date"),
                                min_value=local_today(), format="YYYY-MM-DD")
        if st.form_submit_button(t("my_orders.accept"), type="primary"):
            with db.write_session() as s, reporting_errors():
                order = orders.accept(s, actor=actor, order_id=picked, planned_on=planned)
            flash(t("my_orders.accepted", code=order.code))
    with decline_col.form("decline_form"):
        reason = st.text_area(t("my_orders.decline_reason"), key=form_key("decline_reason"),
                              max_chars=500)
        if st.form_submit_button(t("my_orders.decline")):
            with db.write_session() as s, reporting_errors():
                order = orders.decline(s, actor=actor, order_id=picked, reason=reason)
            flash(t("my_orders.declined", code=order.code))
elif state == "accepted":
    returned = None
    if info["order"]["return_count"]:  # sent back by 中心审核: why, and the report to correct
        st.warning(t("review.returned_notice", n=info["order"]["return_count"]),
                   icon=":material/undo:")
        st.text(info["order"]["return_reason"])
        with db.session() as s:
            returned = review.returned_report(s, actor=actor, order_id=picked)
    messages = st.container()
    entered = completion_form(actor, key=form_key("complete"), order_id=picked,
                              prefill=returned)
    if entered is not None:
        with db.write_session() as s, reporting_errors(messages):
            order = completions.complete(s, actor=actor, order_id=picked, done=entered[0])
        flash(t("review.submitted" if order.status in IN_REVIEW else "my_orders.completed",
                code=order.code))
elif state in IN_REVIEW:
    st.info(t("review.waiting_notice"), icon=":material/hourglass_top:")
else:
    with db.session() as s:
        until = completions.correctable_until(s, actor=actor, order_id=picked)
    if until is not None and db.utcnow() <= until:
        with st.expander(t("complete.correct_until", time=local_time(until)),
                         icon=":material/edit:"):
            entered = completion_form(actor, key=f"correct_{picked}", initial=info)
        if entered is not None:
            with db.write_session() as s, reporting_errors():
                order = completions.correct(s, actor=actor, order_id=picked, done=entered[0],
                                            reason=entered[1])
            flash(t("my_orders.corrected", code=order.code))
