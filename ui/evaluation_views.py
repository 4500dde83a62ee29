"""绩效评价 widgets: the period picker, one evaluation table with its detail row, 红榜 / 黑榜 and
the line, and the downloads (the table, the 月度通报 workbook and its printable page).

Names are shown in tables (plain text), never as Markdown. Downloads are made only when clicked
(each is audited), with the reader's words captured before the click.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core import db
from services import bulletin, contacts, evaluation, periods, xlsx
from services.figures import percent_value
from services.periods import Period
from services.permissions import Actor
from ui.i18n import language, t, words_in
from ui.widgets import empty, local_today

HTML_MIME = "text/html"


def _option_label(p: Period) -> str:
    return bulletin.period_words(p, t)


def _recent(kind: str, start_day: int, today: date, count: int) -> list[Period]:
    current = periods.containing(today, kind, start_day)
    out = [current]
    for _ in range(count - 1):
        out.append(periods.previous(out[-1], start_day))
    return out


def period_picker(start_day: int, *, key: str = "eval", kinds=periods.KINDS) -> Period:
    """Month, quarter, year or a custom 考核周期; the default is last month (a bulletin is about
    a finished month, and the first days of this one would show almost nothing)."""
    today = local_today()
    cols = st.columns([2, 3])
    kind = cols[0].segmented_control(t("evaluation.kind"), kinds, default="month",
                                     key=f"{key}_kind",
                                     format_func=lambda k: t(f"evaluation.kind_{k}")) or "month"
    if kind == "custom":
        chosen = cols[1].date_input(t("evaluation.custom"), key=f"{key}_custom",
                                    value=(today - timedelta(days=29), today),
                                    format="YYYY-MM-DD")
        if isinstance(chosen, tuple) and len(chosen) == 2:
            return periods.custom(*chosen)
        st.caption(t("evaluation.custom_hint"))
        return periods.custom(today - timedelta(days=29), today)
    options = _recent(kind, start_day, today, {"month": 24, "quarter": 8, "year": 5}[kind])
    by_label = {(p.year, p.number): p for p in options}
    default = 1 if kind != "year" else 0
    picked = cols[1].selectbox(t("evaluation.period"), list(by_label), index=default,
                               key=f"{key}_{kind}", format_func=lambda k: _option_label(
                                   by_label[k]))
    return by_label[picked]


# On screen, the bulletin's own columns per unit (bulletin.PRINT_COLUMNS) less the totals of
# service: all 22 columns of the team table were 1948 px, the printed ones still 1001 px, cut
# off on a 1366 px laptop (904 px beside the menu). The others are in the picked unit's detail
# and in the Excel export.
SCREEN_LEFT_OUT = ("beneficiaries", "hours")


def _screen_columns(kind: str) -> tuple[str, ...]:
    return tuple(c for c in bulletin.PRINT_COLUMNS[kind] if c not in SCREEN_LEFT_OUT)


def _frame(result: evaluation.Table, rows: list[dict]) -> pd.DataFrame:
    columns = _screen_columns(result.kind)
    return pd.DataFrame([[bulletin.cell(r, c, t) for c in columns] for r in rows],
                        columns=list(columns))


def _column_config(kind: str) -> dict:
    config = {}
    for c in _screen_columns(kind):
        label, helptext = t(f"evaluation.col.{c}"), t(f"evaluation.help.{c}")
        if c in bulletin.RATES:
            config[c] = st.column_config.NumberColumn(label, help=helptext, format="%.1f%%")
        elif c in bulletin.ONE_DECIMAL:
            config[c] = st.column_config.NumberColumn(label, help=helptext, format="%.1f")
        elif c in bulletin.TEXT:
            config[c] = st.column_config.TextColumn(label, help=helptext,
                                                    width="medium" if c == "name" else None)
        else:
            config[c] = st.column_config.NumberColumn(label, help=helptext, format="%d")
    return config


def detail(row: dict, kind: str) -> None:
    """Each rate of one unit with its numerator and denominator, so it can be checked."""
    st.markdown(f"**{t('evaluation.detail_title')}**")
    st.text(row["name"])
    lines = [(t(f"evaluation.col.{c}"), bulletin.cell(row, c, t), row.get(bulletin.RATES[c][0]),
              row.get(bulletin.RATES[c][1]), t(f"evaluation.help.{c}"))
             for c in bulletin.COLUMNS[kind] if c in bulletin.RATES]
    if kind != "officer" or row.get("score") is not None:
        lines.append((t("evaluation.col.score"), row.get("score"), None, None,
                      t("evaluation.help.score")))
    # the counts the table leaves out (its text columns are written above the figures)
    left_out = [c for c in bulletin.COLUMNS[kind] if c not in _screen_columns(kind)
                and c not in bulletin.RATES and c not in ("rank", "name", "score")]
    for c in left_out:
        if c in bulletin.TEXT and bulletin.cell(row, c, t):
            st.text(f"{t(f'evaluation.col.{c}')}：{bulletin.cell(row, c, t)}")
    lines += [(t(f"evaluation.col.{c}"), bulletin.cell(row, c, t), None, None,
               t(f"evaluation.help.{c}")) for c in left_out if c not in bulletin.TEXT]
    df = pd.DataFrame(lines, columns=["figure", "value", "numerator", "denominator", "how"])
    st.dataframe(df, hide_index=True, width="stretch", key=f"eval_detail_{kind}",
                 column_config={
                     "figure": t("bulletin.figure"),
                     "value": st.column_config.NumberColumn(t("bulletin.value"), format="%.1f"),
                     "numerator": st.column_config.NumberColumn(t("bulletin.numerator"),
                                                                format="%d"),
                     "denominator": st.column_config.NumberColumn(t("bulletin.denominator"),
                                                                  format="%d"),
                     "how": t("evaluation.definition")})


def table_view(actor: Actor, result: evaluation.Table) -> None:
    """The ranked units (sortable by any column; pick one for its detail), 无考核数据 below."""
    kind = result.kind
    if not result.rows:
        empty(f"evaluation.none_{kind}")
        return
    if result.ranked:
        event = st.dataframe(_frame(result, result.ranked), hide_index=True, width="stretch",
                             key=f"eval_table_{kind}", on_select="rerun",
                             selection_mode="single-row", column_config=_column_config(kind))
        picked = [i for i in (event.selection.rows if event and event.selection else [])
                  if i < len(result.ranked)]
        if picked:
            detail(result.ranked[picked[0]], kind)
        else:
            st.caption(t("evaluation.pick_hint"))
    else:
        empty("evaluation.empty_ranked")
    if result.no_data:
        st.markdown(f"**{t('evaluation.no_data_title')}**")
        st.caption(t("evaluation.no_data_help"))
        st.dataframe(pd.DataFrame([{"name": r["name"], "site": r.get("site", "")}
                                   for r in result.no_data]), hide_index=True,
                     key=f"eval_no_data_{kind}",
                     column_config={"name": t("evaluation.col.name"),
                                    "site": t("evaluation.col.site")})
    export_table(actor, result)


def export_table(actor: Actor, result: evaluation.Table) -> None:
    words = words_in(language())

    def build() -> bytes:  # only when clicked: an export is audited
        with db.write_session() as s:
            return bulletin.table_workbook(s, actor=actor, result=result, words=words)

    name = f"{words(f'evaluation.table.{result.kind}')}_{result.period.start}_{result.period.end}"
    st.download_button(t("evaluation.export"), data=build, file_name=f"{name}.xlsx",
                       mime=xlsx.MIME, key=f"eval_export_{result.kind}", on_click="ignore",
                       icon=":material/download:")


def standing_view(standing: evaluation.Standing) -> None:
    """红榜 / 黑榜 side by side, then the units below the line with the figure that put them
    there and 连续 when it was so in the period before too."""
    red, black = st.columns(2)
    for box, title, rows in ((red, "evaluation.red", standing.red),
                             (black, "evaluation.black", standing.black)):
        with box:
            st.markdown(f"**{t(title)}**")
            if rows:
                st.dataframe(pd.DataFrame([{"rank": r["rank"], "name": r["name"],
                                            "score": r["score"]} for r in rows]),
                             hide_index=True, width="stretch",
                             column_config={"rank": t("evaluation.col.rank"),
                                            "name": t("evaluation.col.name"),
                                            "score": st.column_config.NumberColumn(
                                                t("evaluation.col.score"), format="%.1f")})
            else:
                st.caption(t("bulletin.none"))
    st.markdown(f"**{t('evaluation.below_title')}**")
    st.caption(t("evaluation.below_help"))
    if not standing.below:
        st.caption(t("evaluation.below_none"))
        return
    st.dataframe(pd.DataFrame([{"name": x["row"]["name"],
                                "why": bulletin.reason_words(x, t),
                                "running": t("evaluation.running") if x["running"] else ""}
                               for x in standing.below]), hide_index=True, width="stretch",
                 column_config={"name": t("evaluation.col.name"),
                                "why": t("evaluation.below_why"),
                                "running": t("evaluation.running")})


def bulletin_downloads(actor: Actor, period: Period) -> None:
    """The 月度通报 of the chosen period: the workbook and the printable page."""
    words = words_in(language())
    stem = f"{words('bulletin.title')}_{period.start}_{period.end}"

    def book() -> bytes:
        with db.write_session() as s:
            return bulletin.workbook(s, actor=actor, period=period, words=words)

    def page() -> bytes:
        with db.session() as s:
            return bulletin.printable(s, actor=actor, period=period, words=words).encode()

    cols = st.columns(2)
    cols[0].download_button(t("bulletin.download_xlsx"), data=book, file_name=f"{stem}.xlsx",
                            mime=xlsx.MIME, key="bulletin_xlsx", on_click="ignore",
                            icon=":material/table_view:", type="primary")
    cols[1].download_button(t("bulletin.download_print"), data=page,
                            file_name=f"{stem}.html", mime=HTML_MIME, key="bulletin_print",
                            on_click="ignore", icon=":material/print:")
    st.caption(t("bulletin.print_hint"))


def contact_coverage_view(actor: Actor, period: Period) -> None:
    """户联系 coverage of the period per 村（站） and per party member (services/contacts.py:
    coverage), under the officers' table whose 户联系覆盖率 sums the officer's sites."""
    with st.expander(t("evaluation.contact_title"), icon=":material/home:"):
        st.caption(t("contacts.coverage_help"))
        with db.session() as s:
            found = {by: contacts.coverage(s, actor=actor, start=period.start, end=period.end,
                                           by=by) for by in ("site", "member")}
        if not found["site"]:
            empty("contacts.none_paired")
            return
        for column, by in zip(st.columns(2), ("site", "member"), strict=True):
            with column:
                st.markdown(f"**{t(f'contacts.by_{by}')}**")
                df = pd.DataFrame([{"name": r["name"], "paired": r["paired"],
                                    "visited": r["visited"],
                                    "coverage": percent_value(r["coverage"])}
                                   for r in found[by]])
                st.dataframe(df, hide_index=True, width="stretch", key=f"eval_contact_{by}",
                             column_config={
                                 "name": st.column_config.TextColumn(t("evaluation.col.name")),
                                 "paired": st.column_config.NumberColumn(
                                     t("contacts.col.paired"), format="%d"),
                                 "visited": st.column_config.NumberColumn(
                                     t("contacts.col.visited"), format="%d"),
                                 "coverage": st.column_config.NumberColumn(
                                     t("contacts.col.coverage"), format="%.1f%%")})
