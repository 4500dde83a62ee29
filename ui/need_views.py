"""The needs board's widgets: filters, the list with multi-row selection, the prefilled order
form and the close form."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import needs
from services.errors import DomainError
from services.permissions import Actor
from ui.i18n import error_text, label, t
from ui.widgets import (
    confirmed_reason,
    day,
    empty,
    flash,
    local_today,
    paged,
    reporting_errors,
    table_key,
)

STATES = needs.STATES
PRIORITIES = ("hear", "see", "get")


def filters(names: dict) -> needs.NeedFilter:
    with st.expander(t("orders.filters"), icon=":material/search:"):
        c = st.columns(3)
        states = c[0].multiselect(t("needs.state"), STATES, default=["open"], key="nf_states",
                                  format_func=lambda v: label("need_state", v),
                                  placeholder=t("common.all"), select_all=False)
        site_id = c[1].selectbox(t("surveys.village"), [None, *names["sites"]], key="nf_site",
                                 placeholder=t("common.all"),
                                 format_func=lambda v: names["sites"].get(v, t("common.all")))
        category_id = c[2].selectbox(t("surveys.category"), [None, *names["categories"]],
                                     key="nf_cat", placeholder=t("common.all"),
                                     format_func=lambda v: names["categories"]
                                     .get(v, t("common.all")))
        c = st.columns(3)
        priority = c[0].selectbox(t("surveys.priority"), [None, *PRIORITIES], key="nf_priority",
                                  placeholder=t("common.all"),
                                  format_func=lambda v: label("priority", v) if v
                                  else t("common.all"))
        dates = c[1].date_input(t("surveys.between"), value=(), key="nf_dates",
                                format="YYYY-MM-DD")
    start, end = (dates if isinstance(dates, tuple) and len(dates) == 2 else (None, None))
    return needs.NeedFilter(states=tuple(states), site_id=site_id, category_id=category_id,
                            priority=priority, date_from=start, date_to=end)


def need_page(actor: Actor, flt: needs.NeedFilter) -> list[dict]:
    with db.session() as s:
        return paged(lambda offset, limit: needs.page(s, actor=actor, flt=flt, offset=offset,
                                                      limit=limit), key="needs_page")


def need_table(rows: list[dict], *, selectable: bool) -> list[dict]:
    """The list, grouped by village and category; returns the rows the user ticked."""
    if not rows:
        empty("needs.none")
        return []
    df = pd.DataFrame(rows)
    df["surveyed_on"] = df["surveyed_on"].map(day)
    df["priority"] = df["priority"].map(lambda v: label("priority", v))
    df["state"] = df["state"].map(lambda v: label("need_state", v))
    df["from_contact"] = df["from_contact"].map(
        lambda v: t("contacts.from_contact_mark") if v else "")
    # Fits a 1366 px laptop (all twelve columns were 1107 px): the need's text is cut to a
    # medium width; its menu item, the people covered and the rest are in the 点单 form it
    # opens; 来自 and 关闭原因 only when some row of the page has them.
    shown = ["site", "category", "text", "priority", "respondent", "surveyed_on", "state",
             "order_code"]
    shown[3:3] = ["from_contact"] if df["from_contact"].astype(bool).any() else []
    shown += ["closed_reason"] if df["closed_reason"].fillna("").astype(bool).any() else []
    config = {c: st.column_config.TextColumn(t(f"needs.col.{c}"),
                                             width="medium" if c == "text" else None)
              for c in shown}
    if not selectable:
        st.dataframe(df[shown], hide_index=True, width="stretch", column_config=config)
        return []
    event = st.dataframe(df[shown], key=table_key("needs_table"), hide_index=True,
                         width="stretch", on_select="rerun", selection_mode="multi-row",
                         column_config=config)
    picked = [i for i in (event.selection.rows if event and event.selection else [])
              if i < len(df)]
    return [rows[i] for i in picked]


def _suffix(ids: list[int]) -> str:
    return "_".join(map(str, sorted(ids)))[:80]


def order_form(actor: Actor, picked: list[dict], names: dict) -> None:
    """点单 for the ticked needs, every field prefilled from them."""
    ids = [r["id"] for r in picked]
    try:
        with db.session() as s:
            draft = needs.draft(s, actor=actor, need_ids=ids)
    except DomainError as err:
        st.warning(error_text(err))
        return
    key = _suffix(ids)
    items = {i: title for i, cat, title in names["items"] if cat == draft["category_id"]}
    with st.form(f"need_order_{key}"):
        st.subheader(t("needs.order_title", count=len(ids)))
        st.caption(t("needs.order_where", village=names["sites"].get(draft["site_id"], ""),
                     category=names["categories"].get(draft["category_id"], "")))
        title = st.text_input(t("orders.col.title"), value=draft["title"], max_chars=80,
                              key=f"nd_title_{key}")
        item_ids = [None, *items]
        item_id = st.selectbox(t("orders.item"), item_ids, key=f"nd_item_{key}",
                               index=item_ids.index(draft["item_id"])
                               if draft["item_id"] in item_ids else 0,
                               format_func=lambda v: items.get(v, t("orders.no_item")),
                               placeholder=t("orders.no_item"))
        description = st.text_area(t("orders.description"), value=draft["description"],
                                   max_chars=2000, key=f"nd_desc_{key}")
        c = st.columns(3)
        requester = c[0].text_input(t("orders.requester_name"), value=draft["requester_name"],
                                    max_chars=40, key=f"nd_req_{key}")
        expected = c[1].number_input(t("orders.expected"), min_value=0, max_value=100000,
                                     value=draft["expected_beneficiaries"], step=1,
                                     key=f"nd_expected_{key}")
        due = c[2].date_input(t("orders.col.due_on"), value=None, key=f"nd_due_{key}",
                              min_value=local_today(), format="YYYY-MM-DD",
                              help=t("orders.due_help"))
        go = st.form_submit_button(t("orders.place"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors():
            order = needs.to_order(s, actor=actor, need_ids=ids, title=title,
                                   description=description, item_id=item_id, due_on=due,
                                   expected_beneficiaries=expected, requester_name=requester)
        flash(t("needs.ordered", code=order.code, count=len(ids)))


def close_form(actor: Actor, need: dict) -> None:
    reason = confirmed_reason(f"need_close_{need['id']}", caption=t("needs.close_title"),
                              reason_label=t("needs.close_reason"),
                              confirm_label=t("needs.close_confirm"), button=t("needs.close"),
                              key="nd_close", max_chars=200)
    if reason is not None:
        with db.write_session() as s, reporting_errors():
            needs.close(s, actor=actor, need_id=need["id"], reason=reason)
        flash(t("needs.closed"))
