"""The 派单 desk's parts: queue filters and the ranked team recommendations with their reasons,
each with a one-click 派单 button (for one order or several selected together)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import config, db
from models import OrderSource, OrderStatus
from services import dispatch, order_queries
from services.figures import half_up
from services.permissions import Actor
from ui import freshness
from ui.i18n import label, t
from ui.widgets import empty, flash, percent, reporting_errors

TOP = 5


def queue_filters(names: dict) -> order_queries.OrderFilter:
    """Village, category and source, side by side above the queue."""
    c = st.columns(3)
    site_id = c[0].selectbox(t("orders.village"), [None, *names["sites"]], key="desk_site",
                             format_func=lambda v: names["sites"].get(v, t("common.all")))
    category_id = c[1].selectbox(t("orders.category"), [None, *names["categories"]],
                                 key="desk_cat",
                                 format_func=lambda v: names["categories"].get(v, t("common.all")))
    source = c[2].selectbox(t("orders.source"), [None, *(s.value for s in OrderSource)],
                            key="desk_source",
                            format_func=lambda v: label("source", v) if v else t("common.all"))
    return order_queries.OrderFilter(statuses=(OrderStatus.submitted,), site_id=site_id,
                                     category_id=category_id, source=source)


def reasons(row: dict, n_orders: int) -> list[str]:
    """The numbers behind a team's score, in words."""
    if n_orders == 1:
        serves = t("dispatch.why.serves" if row["serves_category"] else "dispatch.why.not_serves")
    else:
        serves = t("dispatch.why.serves_some", n=row["serves_count"], total=n_orders)
    out = [serves, t("dispatch.why.open", n=row["open_orders"])]
    out.append(t("dispatch.why.rating", value=f"{half_up(row['average_rating'], 1):.1f}")
               if row["average_rating"] is not None else t("dispatch.why.no_rating"))
    out.append(t("dispatch.why.on_time", value=percent(row["on_time_rate"]))
               if row["on_time_rate"] is not None else t("dispatch.why.no_done"))
    if row["nearby"]:
        out.append(label("nearby", row["nearby"]))
    if row.get("experts"):
        out.append(t("experts.why", n=row["experts"]))
    out.append(t("dispatch.why.accept", hours=f"{row['median_accept_hours']:g}")
               if row["median_accept_hours"] is not None else t("dispatch.why.no_accept"))
    return out


def _send(actor: Actor, order_ids: list[int], team_id: int, team_name: str) -> None:
    with db.write_session() as s, reporting_errors():
        codes = dispatch.dispatch_many(s, actor=actor, order_ids=order_ids, team_id=team_id)
    flash(t("dispatch.sent", code="、".join(codes), team=team_name))


@st.cache_data(ttl=600, show_spinner=False, max_entries=100)
def _team_records(url: str, actor: Actor, version: int) -> list[dict]:
    """The teams' 12-month records, kept per database, manager and data version: they take a
    second or two for a whole county (bench/README.md), while every click on the desk reruns
    the page; any write, in this process or another on the same database, moves the version on
    and so is seen on the next rerun (ui/freshness.py). The ten minutes only bound the memory.
    The open workload is not kept: recommend reads it every time."""
    del version  # part of the cache key only
    with db.session(url) as s:
        return dispatch.team_records(s, actor=actor, now=db.utcnow())


def forget_team_records() -> None:
    """After a team is added or changed: the desk must offer it (or stop offering it) now."""
    _team_records.clear()


def recommendations(actor: Actor, order_ids: list[int]) -> None:
    """The best teams for the picked orders, each with a 派单 button; then every team."""
    records = _team_records(config.database_url(), actor, freshness.version())
    with db.session() as s, reporting_errors():
        ranked = dispatch.recommend(s, actor=actor, order_ids=order_ids, records=records)
    if not ranked:
        empty("dispatch.no_teams", link=("teams.py", "start.team_link"))
        return
    n = len(order_ids)
    st.subheader(t("dispatch.recommended"))
    st.caption(t("dispatch.score_help") if n == 1 else t("dispatch.score_help_many", n=n))
    button = t("dispatch.send") if n == 1 else t("dispatch.send_many", n=n)
    for rank, row in enumerate(ranked[:TOP], 1):
        with st.container(border=True, key=f"rec_{row['team_id']}"):
            left, right = st.columns([4, 1.2], vertical_alignment="center")
            left.text(f"{rank}. {row['name']}（{row['site']}）")
            left.progress(min(1.0, row["score"] / 100),
                          text=t("dispatch.score", score=row["score"]))
            left.text(" · ".join(reasons(row, n)))
            if right.button(button, key=f"send_{row['team_id']}",
                            type="primary" if rank == 1 else "secondary", width="stretch"):
                _send(actor, order_ids, row["team_id"], row["name"])
    if len(ranked) > TOP:
        _all_teams(actor, order_ids, ranked, button)


def _all_teams(actor: Actor, order_ids: list[int], ranked: list[dict], button: str) -> None:
    with st.expander(t("dispatch.all_teams", n=len(ranked)), icon=":material/groups:"):
        df = pd.DataFrame([{
            "name": r["name"], "site": r["site"], "score": r["score"],
            "why": " · ".join(reasons(r, len(order_ids)))} for r in ranked])
        st.dataframe(df, hide_index=True, width="stretch", column_config={
            "name": t("orders.col.team"), "site": t("orders.col.site"),
            "score": st.column_config.ProgressColumn(t("dispatch.score_col"), min_value=0,
                                                     max_value=100, format="%.1f"),
            "why": t("dispatch.why_col")})
        by_id = {r["team_id"]: r for r in ranked}
        with st.form("dispatch_any"):
            team_id = st.selectbox(t("dispatch.team"), list(by_id), key="dispatch_team",
                                   format_func=lambda i: f"{by_id[i]['name']}（{by_id[i]['site']}）"
                                   f" · {by_id[i]['score']}")
            go = st.form_submit_button(button)
        if go:
            _send(actor, order_ids, team_id, by_id[team_id]["name"])
