"""项目扶持 widgets: the year's support list with its figures, the project form, a project's
spending, next year's candidates and the export."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import catalog, projects, xlsx
from services.permissions import Action, Actor, allowed
from ui.i18n import t
from ui.volunteer_views import pick
from ui.widgets import day, empty, flash, form_key, local_today, reporting_errors

# What fits 1366 px; the site, hours and what is left are shown with the picked project.
LIST_SHOWN = ("name", "items", "amount", "spent", "orders", "beneficiaries", "good_rate",
              "cost_per_beneficiary")
CANDIDATE_SHOWN = ("rank", "item", "orders", "beneficiaries", "hours", "good_rate", "supported")


def _config(shown) -> dict:
    money = {"amount", "spent", "left", "cost_per_beneficiary"}
    config = {}
    for c in shown:
        if c in money:
            config[c] = st.column_config.NumberColumn(t(f"projects.col.{c}"), format="%.2f")
        elif c == "good_rate":
            config[c] = st.column_config.NumberColumn(t("projects.col.good_rate"),
                                                      format="%.1f%%")
        else:
            config[c] = t(f"projects.col.{c}")
    return config


def year_picker() -> int:
    this_year = local_today().year
    years = list(range(this_year + 1, this_year - 6, -1))
    return st.selectbox(t("field.year"), years, index=years.index(this_year), key="proj_year",
                        format_func=lambda y: t("projects.year", year=y))


def export_button(actor: Actor, year: int) -> None:
    def build() -> bytes:  # only when clicked: an export is audited
        with db.write_session() as s:
            return projects.export(s, actor=actor, year=year, words=t)

    st.download_button(t("projects.export"), data=build, file_name=f"项目扶持{year}.xlsx",
                       mime=xlsx.MIME, key="proj_export", on_click="ignore",
                       icon=":material/download:")


def support_list(actor: Actor, year: int) -> dict | None:
    """The year's list; returns the picked project's row."""
    with db.session() as s:
        rows = projects.year_list(s, actor=actor, year=year)
    if not rows:
        empty("projects.none_manager" if allowed(actor.role, Action.MANAGE_PROJECTS)
              else "projects.none")
        return None
    df = pd.DataFrame(rows)
    df["name"] = [f"{t('projects.flagship_mark')} {r['name']}" if r["flagship"] else r["name"]
                  for r in rows]
    total = {k: sum(r[k] or 0 for r in rows) for k in ("amount", "spent", "beneficiaries")}
    st.caption(t("projects.totals", count=len(rows), amount=f"{total['amount']:,.2f}",
                 spent=f"{total['spent']:,.2f}", beneficiaries=total["beneficiaries"]))
    st.caption(t("projects.pick_hint"))
    picked = pick(df, LIST_SHOWN, "proj_table", _config(LIST_SHOWN))
    return next((r for r in rows if r["id"] == picked), None)


def edit_form(actor: Actor, year: int, cur: dict | None) -> None:
    """Enter a project on the year's list, or edit the picked one."""
    with db.session() as s:
        items = {i.id: i.title for i in catalog.items(s)}
    st.subheader(t("projects.edit", name=cur["name"]) if cur else t("projects.add", year=year))
    if not items:
        empty("projects.no_items", ("menu.py", "nav.menu"))
        return
    cur = cur or {}
    key = f"proj_{cur['id']}" if cur else form_key(f"proj_new_{year}")
    messages = st.container()
    with st.form(key):
        c = st.columns([2, 1])
        name = c[0].text_input(t("field.project_name"), value=cur.get("name", ""), max_chars=60,
                               key=f"{key}_name")
        amount = c[1].text_input(t("projects.amount_yuan"),
                                 value=f"{cur['amount']:.2f}" if cur else "", max_chars=14,
                                 key=f"{key}_amount", placeholder=t("projects.amount_hint"))
        item_ids = st.multiselect(t("projects.col.items"), list(items), key=f"{key}_items",
                                  default=[i for i in cur.get("item_ids", []) if i in items],
                                  format_func=items.get, placeholder=t("forms.choose_many"),
                                  select_all=False)
        note = st.text_area(t("field.note"), value=cur.get("note", ""), max_chars=500,
                            key=f"{key}_note", height=80)
        flagship = st.checkbox(t("projects.flagship"), value=cur.get("flagship", False),
                               key=f"{key}_flagship")
        go = st.form_submit_button(t("common.save"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors(messages):
            projects.save(s, actor=actor, year=year, name=name, item_ids=item_ids,
                          amount=amount, flagship=flagship, note=note,
                          project_id=cur.get("id"))
        flash(t("projects.saved", name=name.strip()))


def spending(actor: Actor, project: dict) -> None:
    """A project's spending and, for managers, a form to record more."""
    st.subheader(t("projects.spending", name=project["name"]))
    st.caption(t("projects.detail", site=project["site"], hours=project["hours"],
                 rated=project["rated"], good=project["good"]))
    c = st.columns(3)
    c[0].metric(t("projects.col.amount"), f"{project['amount']:,.2f}")
    c[1].metric(t("projects.col.spent"), f"{project['spent']:,.2f}")
    c[2].metric(t("projects.col.left"), f"{project['left']:,.2f}")
    with db.session() as s:
        rows = projects.spending(s, actor=actor, project_id=project["id"])
    if rows:
        df = pd.DataFrame(rows)
        df["spent_on"] = df["spent_on"].map(day)
        shown = ["spent_on", "amount", "note"]
        st.dataframe(df[shown], hide_index=True, width="stretch",
                     column_config={"spent_on": t("field.spent_on"),
                                    "amount": st.column_config.NumberColumn(
                                        t("field.spend_amount"), format="%.2f"),
                                    "note": t("field.spend_note")})
    else:
        st.caption(t("projects.no_spending"))
    if not allowed(actor.role, Action.MANAGE_PROJECTS):
        return
    key = form_key(f"spend_{project['id']}")
    messages = st.container()
    with st.form(key):
        c = st.columns([1, 1, 2])
        spent_on = c[0].date_input(t("field.spent_on"), value=None, key=f"{key}_on",
                                   max_value=local_today(), format="YYYY-MM-DD")
        amount = c[1].text_input(t("projects.spend_yuan"), max_chars=14, key=f"{key}_amount",
                                 placeholder=t("projects.amount_hint"))
        note = c[2].text_input(t("field.spend_note"), max_chars=200, key=f"{key}_note")
        go = st.form_submit_button(t("projects.record_spend"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors(messages):
            projects.spend(s, actor=actor, project_id=project["id"], spent_on=spent_on,
                           amount=amount, note=note)
        flash(t("projects.spend_saved", name=project["name"]))


def candidate_list(actor: Actor, year: int) -> None:
    st.caption(t("projects.candidates_help", year=year, next=year + 1))
    with db.session() as s:
        rows = projects.candidates(s, actor=actor, year=year)
    if not rows:
        empty("projects.no_candidates")
        return
    df = pd.DataFrame(rows)
    df["supported"] = df["supported"].map(lambda v: t("common.yes") if v else t("common.no"))
    st.dataframe(df[list(CANDIDATE_SHOWN)], hide_index=True, width="stretch",
                 column_config=_config(CANDIDATE_SHOWN))
