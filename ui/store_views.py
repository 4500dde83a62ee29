"""积分超市 widgets: the counter (pick a volunteer, see their points, redeem), the goods (add,
edit, retire) and the redemptions (cancel one, export)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import points, sites, store, volunteers, xlsx
from services.permissions import Actor
from ui.i18n import t
from ui.volunteer_views import pick
from ui.widgets import confirmed_reason, empty, flash, local_time, paged, reporting_errors


def find_volunteer(actor: Actor, key: str) -> int | None:
    """A name or phone typed, then one of the matches chosen."""
    c = st.columns(2)
    search = c[0].text_input(t("points_store.find"), key=f"{key}_find", max_chars=40)
    if not search.strip():
        c[1].caption(t("points_store.find_hint"))
        return None
    with db.session() as s:
        rows, total = volunteers.page(s, actor=actor, search=search, limit=20)
    if not rows:
        c[1].info(t("volunteers.none"))
        return None
    by_id = {r["id"]: r for r in rows if r["active"]}
    return c[1].selectbox(t("points_store.volunteer"), list(by_id), key=f"{key}_vid", index=None,
                          placeholder=t("record.choose"),
                          format_func=lambda i: f"{by_id[i]['name']} · {by_id[i]['phone']} · "
                                                f"{by_id[i]['site']}")


def counter(actor: Actor) -> None:
    gen = st.session_state.get("counter_gen", 0)
    vid = find_volunteer(actor, f"counter_{gen}")
    if vid is None:
        return
    with db.session() as s:
        standing = points.standing(s, vid)
        goods = [g for g in store.rewards(s, actor=actor) if g["stock"] > 0]
    c = st.columns(3)
    c[0].metric(t("record.points_available"), standing.available)
    c[1].metric(t("record.points_balance"), standing.balance)
    if standing.expiry_years:
        c[2].metric(t("points_store.expired", years=standing.expiry_years), standing.expired)
    if not goods:
        empty("points_store.no_goods")
        return
    by_id = {g["id"]: g for g in goods}
    with st.form(f"redeem_{vid}_{gen}"):
        c = st.columns([3, 1])
        reward_id = c[0].selectbox(t("points_store.reward"), list(by_id), index=None,
                                   key=f"redeem_reward_{gen}", placeholder=t("record.choose"),
                                   format_func=lambda i: t("points_store.reward_line", **by_id[i]))
        quantity = c[1].number_input(t("field.quantity"), min_value=1,
                                     max_value=store.MAX_QUANTITY, value=1, step=1,
                                     key=f"redeem_qty_{gen}")
        sure = st.checkbox(t("points_store.confirm"), key=f"redeem_sure_{gen}")
        go = st.form_submit_button(t("points_store.redeem"), type="primary")
    if not go:
        return
    if reward_id is None:
        st.error(t("points_store.pick_reward"))
        return
    if not sure:
        st.warning(t("common.confirm_first"))
        return
    with db.write_session() as s, reporting_errors():
        red = store.redeem(s, actor=actor, volunteer_id=vid, reward_id=reward_id,
                           quantity=quantity)
    st.session_state["counter_gen"] = gen + 1
    flash(t("points_store.redeemed", name=by_id[reward_id]["name"], points=red.points))


def goods(actor: Actor) -> None:
    with db.session() as s:
        rows = store.rewards(s, actor=actor, include_retired=True)
        site_names = {p.id: p.name for p in sites.subtree(s, actor.site_path)}
    picked = None
    if rows:
        df = pd.DataFrame(rows)
        df["active"] = df["active"].map(
            lambda a: t("points_store.active" if a else "points_store.retired"))
        shown = ["name", "site", "cost", "stock", "active"]
        st.caption(t("points_store.pick_hint"))
        picked = pick(df, shown, "goods_table", {c: t(f"points_store.col.{c}") for c in shown})
    else:
        empty("points_store.no_goods")
    cur = next((r for r in rows if r["id"] == picked), {})
    st.subheader(t("points_store.edit", name=cur["name"]) if cur else t("points_store.add"))
    gen = st.session_state.get("goods_gen", 0)
    key = f"goods_{picked or 'new'}_{gen}"
    with st.form(key):
        c = st.columns(4)
        name = c[0].text_input(t("points_store.col.name"), value=cur.get("name", ""), max_chars=60,
                               key=f"{key}_name")
        cost = c[1].number_input(t("points_store.col.cost"), value=cur.get("cost"), min_value=1,
                                 max_value=store.MAX_COST, step=1, key=f"{key}_cost")
        stock = c[2].number_input(t("points_store.col.stock"), value=cur.get("stock"), min_value=0,
                                  max_value=store.MAX_STOCK, step=1, key=f"{key}_stock")
        ids = list(site_names)
        site_id = c[3].selectbox(t("points_store.col.site"), ids, key=f"{key}_site",
                                 index=ids.index(cur["site_id"]) if cur else None,
                                 placeholder=t("record.choose"), format_func=site_names.get)
        active = st.checkbox(t("points_store.in_stock_active"), value=cur.get("active", True),
                             key=f"{key}_active")
        go = st.form_submit_button(t("common.save"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors():
            store.save_reward(s, actor=actor, name=name, cost=cost if cost is not None else "",
                              stock=stock if stock is not None else "", site_id=site_id,
                              reward_id=cur.get("id"), active=active)
        st.session_state["goods_gen"] = gen + 1
        flash(t("common.saved"))


def history(actor: Actor) -> None:
    def build() -> bytes:  # only when clicked: an export is audited
        with db.write_session() as s:
            return store.export_store(s, actor=actor, words=t)

    st.download_button(t("points_store.export"), data=build, file_name="积分超市.xlsx",
                       mime=xlsx.MIME, key="store_export", on_click="ignore",
                       icon=":material/download:")
    with db.session() as s:
        rows = paged(lambda offset, limit: store.redemptions(s, actor=actor, offset=offset,
                                                             limit=limit), key="red_page")
    if not rows:
        empty("points_store.no_redemptions")
        return
    df = pd.DataFrame(rows)
    df["at"] = df["at"].map(local_time)
    df["state"] = df["cancelled"].map(
        lambda c: t("points_store.cancelled" if c else "points_store.redeemed_state"))
    shown = ["at", "volunteer", "reward", "quantity", "points", "by", "state", "cancel_reason"]
    picked = pick(df, shown, "red_table", {c: t(f"points_store.col.{c}") for c in shown})
    row = next((r for r in rows if r["id"] == picked), None)
    if row is None or row["cancelled"]:
        return
    reason = confirmed_reason(f"cancel_red_{picked}", reason_label=t("points_store.cancel_reason"),
                              confirm_label=t("points_store.cancel_confirm", **row),
                              button=t("points_store.cancel"), key=f"cancel_red_{picked}",
                              max_chars=200)
    if reason is not None:
        with db.write_session() as s, reporting_errors():
            store.cancel(s, actor=actor, redemption_id=picked, reason=reason)
        flash(t("points_store.cancelled_done"))
