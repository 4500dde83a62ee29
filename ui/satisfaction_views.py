"""满意度 widgets: the tiles, the breakdown table, the lowest-rated lists and residents' comments.
Residents' words are shown in tables (plain text), never as Markdown."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from services import satisfaction
from services.figures import percent_value
from services.permissions import Actor
from ui.freshness import kept
from ui.i18n import label, t
from ui.widgets import empty, local_time, paged, percent

RATE_COLUMNS = ("good_rate", "satisfied_rate")
COMMENTS_PER_PAGE = 50


def summary_tiles(summary: dict) -> None:
    cols = st.columns(4)
    cols[0].metric(t("overview.good_rate"), percent(summary["good_rate"]), border=True,
                   help=t("satisfaction.good_help"))
    cols[1].metric(t("overview.satisfied_rate"), percent(summary["satisfied_rate"]),
                   border=True, help=t("satisfaction.satisfied_help"))
    cols[2].metric(t("satisfaction.ratings"), summary["ratings"], border=True)
    cols[3].metric(t("satisfaction.average"), "—" if summary["average"] is None
                   else f"{summary['average']:.2f}", border=True)


def _table(df: pd.DataFrame, name_key: str) -> None:
    shown = df.copy()
    for column in RATE_COLUMNS:
        shown[column] = shown[column].map(percent_value)
    st.dataframe(
        shown[["name", "ratings", "good_rate", "satisfied_rate", "average"]], hide_index=True,
        width="stretch",
        column_config={
            "name": t(name_key), "ratings": t("satisfaction.ratings"),
            "good_rate": st.column_config.ProgressColumn(t("overview.good_rate"), format="%.1f%%",
                                                         min_value=0, max_value=100),
            "satisfied_rate": st.column_config.NumberColumn(t("overview.satisfied_rate"),
                                                            format="%.1f%%"),
            "average": st.column_config.NumberColumn(t("satisfaction.average"), format="%.2f")})


def breakdown_table(actor: Actor, start: date, end: date, by: str) -> None:
    df = kept(satisfaction.breakdown, actor=actor, start=start, end=end, by=by)
    if df.empty:
        empty("satisfaction.none")
        return
    _table(df, f"satisfaction.dim.{by}")


def lowest_table(actor: Actor, start: date, end: date, by: str) -> tuple[int, ...]:
    """The lowest-rated items or teams; returns their ids for the comments below."""
    st.caption(t(f"satisfaction.lowest_{by}"))
    df = kept(satisfaction.lowest, actor=actor, start=start, end=end, by=by)
    if df.empty:
        empty("satisfaction.none_lowest")
        return ()
    _table(df, f"satisfaction.dim.{by}")
    return tuple(int(k) for k in df["key"])


def comment_table(actor: Actor, start: date, end: date, *, item_ids: tuple[int, ...],
                  team_ids: tuple[int, ...]) -> None:
    """Residents' comments, 50 a page, with "shown / all" said above the table."""
    st.caption(t("satisfaction_comments.which_ranked" if item_ids or team_ids
                 else "satisfaction_comments.which_all"))
    found = {}

    def fetch(offset: int, limit: int):
        # kept per data version like the figures above: a rerun without a write (a click on a
        # chart, the next page and back) does not read the period's ratings again
        found["rows"], found["total"] = kept(
            satisfaction.comment_page, actor=actor, start=start, end=end, item_ids=item_ids,
            team_ids=team_ids, offset=offset, limit=limit)
        return found["rows"], found["total"]

    rows = paged(fetch, key="satisfaction_comments_page", per_page=COMMENTS_PER_PAGE)
    if not rows:
        empty("satisfaction.no_comments")
        return
    st.caption(t("satisfaction_comments.shown", shown=len(rows), total=found["total"]))
    df = pd.DataFrame(rows)
    df["at"] = df["at"].map(local_time)
    df["level"] = df["level"].map(lambda v: label("level", v))
    df["channel"] = df["channel"].map(lambda v: label("channel", v))
    # fits a 1366 px laptop: the comment cut to a medium width, the order by its code only
    shown = ["level", "comment", "item", "team", "code", "channel", "at"]
    st.dataframe(df[shown], hide_index=True, width="stretch",
                 column_config={c: st.column_config.TextColumn(
                     t(f"satisfaction.col.{c}"), width="medium" if c == "comment" else None)
                     for c in shown})
