"""评优推荐 on 绩效评价: the four candidate lists of a 考核年度, each a table the reader ticks rows
of, the shortlist of what is ticked, and its 公示 workbook.

The lists are suggestions with numbers; nothing is chosen for the reader (no row starts ticked).
The section is a fragment, so ticking a row reruns only it, not the four evaluation tables above.
The workbook is made only when its button is clicked (it is audited), from the ticked ids,
recounted by the service.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import recognition, xlsx
from services import settings as settings_service
from services.permissions import Actor
from ui.i18n import language, t, words_in
from ui.widgets import empty, local_today

YEARS = 5


def frame(found: recognition.Candidates) -> pd.DataFrame:
    """The cells a list shows; the workbook writes the same `recognition.cell` values."""
    columns = recognition.COLUMNS[found.kind]
    return pd.DataFrame([[recognition.cell(r, c) for c in columns] for r in found.rows],
                        columns=list(columns))


def _column_config(kind: str) -> dict:
    config = {}
    for c in recognition.COLUMNS[kind]:
        label, helptext = t(f"recognition.col.{c}"), t(f"recognition.help.{c}")
        if c in recognition.RATES:
            config[c] = st.column_config.NumberColumn(label, help=helptext, format="%.1f%%")
        elif c in recognition.ONE_DECIMAL:
            config[c] = st.column_config.NumberColumn(label, help=helptext, format="%.1f")
        elif c in recognition.TEXT:
            config[c] = st.column_config.TextColumn(label, help=helptext)
        else:
            config[c] = st.column_config.NumberColumn(label, help=helptext, format="%d")
    return config


def _default_year() -> tuple[list[int], int]:
    """This year in December (the year is nearly over when candidates are prepared), else last
    year; the reader can pick any of the last five."""
    today = local_today()
    years = [today.year - i for i in range(YEARS)]
    return years, 0 if today.month == 12 else 1


def _one_list(found: recognition.Candidates, number: int, values: dict) -> list[int]:
    """One list with its rule; the ids of the ticked rows."""
    kind = found.kind
    st.subheader(t(f"recognition.kind.{kind}"))
    st.caption(t(f"recognition.rule.{kind}", hours=f"{values['recognition_min_hours']:g}",
                 ratings=values["recognition_min_ratings"]))
    if not found.rows:
        empty(f"recognition.empty_{kind}")
        return []
    if found.total > len(found.rows):
        st.caption(t("recognition.shown_of", shown=len(found.rows), total=found.total))
    event = st.dataframe(frame(found), hide_index=True, width="stretch",
                         key=f"recog_{kind}_{number}", on_select="rerun",
                         selection_mode="multi-row", column_config=_column_config(kind))
    rows = event.selection.rows if event and event.selection else []
    return [found.rows[i]["key"] for i in rows if i < len(found.rows)]


@st.fragment
def recognition_view(actor: Actor) -> None:
    years, index = _default_year()
    number = st.selectbox(t("recognition.year"), years, index=index, key="recog_year",
                          format_func=lambda y: t("recognition.year_option", year=y))
    with db.session() as s:
        values = settings_service.current(s)
        period = recognition.the_year(s, number)
        lists = {kind: recognition.candidates(s, actor=actor, kind=kind, number=number)
                 for kind in recognition.KINDS}
    st.caption(t("recognition.intro", start=period.start.isoformat(),
                 end=period.end.isoformat()))
    picked = {kind: _one_list(lists[kind], number, values) for kind in recognition.KINDS}
    st.subheader(t("recognition.shortlist"))
    chosen = [(kind, r) for kind in recognition.KINDS for r in lists[kind].rows
              if r["key"] in picked[kind]]
    if not chosen:
        st.info(t("recognition.pick_hint"), icon=":material/info:")
        return
    st.dataframe(pd.DataFrame([{"kind": t(f"recognition.kind.{kind}"), "rank": r["rank"],
                                "name": r["name"]} for kind, r in chosen]),
                 hide_index=True, width="stretch", key="recog_shortlist",
                 column_config={"kind": t("recognition.list"),
                                "rank": st.column_config.NumberColumn(
                                    t("recognition.col.rank"), format="%d"),
                                "name": st.column_config.TextColumn(
                                    t("recognition.col.name"))})
    words = words_in(language())

    def build() -> bytes:  # only when clicked: an export is audited
        with db.write_session() as s:
            return recognition.workbook(s, actor=actor, number=number, picked=picked,
                                        words=words)

    st.download_button(t("recognition.export", n=len(chosen)), data=build,
                       file_name=f"{words('recognition.file', year=number)}.xlsx",
                       mime=xlsx.MIME, key="recog_export", on_click="ignore",
                       icon=":material/download:", type="primary")
    st.caption(t("recognition.only_suggestions"))
