"""服务菜单 widgets: the review table with figures and flags, and the manager's item form."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import catalog, exports, xlsx
from services.permissions import Actor
from ui.i18n import t
from ui.widgets import confirmed_reason, day, empty, flash, form_key, percent, reporting_errors


def flag_text(flag: dict) -> str:
    """A flag with the numbers behind it, in words."""
    if flag["kind"] == "low_rating":
        return t("menu.flag_low", average=f"{flag['average']:.2f}", ratings=flag["ratings"],
                 threshold=flag["threshold"])
    last = day(flag["last_order_on"]) if flag["last_order_on"] else t("menu.never")
    return t("menu.flag_idle", months=flag["months"], last=last)


def review_table(rows: list[dict]) -> None:
    if not rows:
        empty("menu.none")
        return
    df = pd.DataFrame(rows)
    df["status"] = [t("menu.active") if a else t("menu.retired") for a in df["active"]]
    df["good_rate"] = df["good_rate"].map(percent)
    df["average"] = df["average"].map(lambda v: "—" if v is None or pd.isna(v) else f"{v:.2f}")
    df["last_order_on"] = df["last_order_on"].map(day)
    df["flags"] = df["flags"].map(lambda fs: "；".join(flag_text(f) for f in fs))
    # What fits a 1366 px laptop (all 14 columns were 1778 px): pending needs, beneficiaries,
    # the number of ratings and the teams are in the export (导出) and the item's form.
    shown = ["title", "category", "status", "flags", "needs", "orders", "average", "good_rate",
             "last_order_on"]
    if not df["active"].all():
        shown.append("retired_reason")
    config = {c: t(f"menu.col.{c}") for c in shown}
    config["flags"] = st.column_config.TextColumn(config["flags"], width="medium")
    st.dataframe(df[shown], hide_index=True, width="stretch", column_config=config)


def unserved_table(rows: list[dict]) -> None:
    st.subheader(t("menu.unserved_title"))
    if not rows:
        empty("menu.unserved_none")
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True,
                 column_config={"category": t("menu.col.category"),
                                "open_needs": t("menu.col.open_needs")})


def export_button(actor: Actor) -> None:
    def build() -> bytes:  # only when clicked: an export is audited
        with db.write_session() as s:
            return exports.export_menu(s, actor=actor, words=t)

    st.download_button(t("menu.export"), data=build, file_name="服务菜单.xlsx",
                       mime=xlsx.MIME, key="menu_export", on_click="ignore",
                       icon=":material/download:")


def item_form(actor: Actor, rows: list[dict], names: dict) -> None:
    """Add an item, or edit or retire the chosen one."""
    by_id = {r["id"]: r for r in rows if r["active"]}
    st.subheader(t("menu.edit_title"))
    item_id = st.selectbox(t("menu.pick"), [None, *by_id], key=form_key("menu_pick"),
                           placeholder=t("menu.new"),
                           format_func=lambda i: f"{by_id[i]['category']} · {by_id[i]['title']}"
                           if i else t("menu.new"))
    current = by_id.get(item_id, {})
    with db.session() as s:
        chosen_teams = catalog.item_teams(s, item_id=item_id) if item_id else []
    cats = list(names["categories"])
    k = form_key(str(item_id))
    messages = st.container()
    with st.form(f"menu_form_{k}"):
        title = st.text_input(t("menu.col.title"), value=current.get("title", ""), max_chars=80,
                              key=f"menu_title_{k}")
        category_id = st.selectbox(
            t("menu.col.category"), cats, key=f"menu_cat_{k}",
            index=cats.index(current["category_id"]) if current.get("category_id") in cats
            else None, format_func=names["categories"].get, placeholder=t("forms.choose"))
        description = st.text_area(t("menu.description"), value=current.get("description", ""),
                                   max_chars=1000, key=f"menu_desc_{k}")
        team_ids = st.multiselect(t("menu.col.teams"), list(names["teams"]),
                                  default=[i for i in chosen_teams if i in names["teams"]],
                                  format_func=names["teams"].get, key=f"menu_teams_{k}",
                                  placeholder=t("common.none"), select_all=False)
        go = st.form_submit_button(t("common.save"), type="primary")
    if go:
        fields = {"title": title, "category_id": category_id, "description": description,
                  "team_ids": tuple(team_ids)}
        with db.write_session() as s, reporting_errors(messages):
            if item_id is None:
                catalog.create_item(s, actor=actor, **fields)
            else:
                catalog.update_item(s, actor=actor, item_id=item_id, **fields)
        flash(t("forms.item_saved", title=title.strip()))
    if item_id is not None:
        reason = confirmed_reason(f"menu_retire_{item_id}", caption=t("menu.retire_title"),
                                  reason_label=t("menu.retire_reason"),
                                  confirm_label=t("menu.retire_confirm"), button=t("menu.retire"),
                                  key="menu_retire", max_chars=200)
        if reason is not None:
            with db.write_session() as s, reporting_errors():
                catalog.retire_item(s, actor=actor, item_id=item_id, reason=reason)
            flash(t("menu.retired_done"))
