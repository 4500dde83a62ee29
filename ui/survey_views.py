"""需求调查 widgets: the visit form (built for a tablet: big fields, one need per card), the
survey list with its filters and export, and the spreadsheet import with its preview."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core import db
from models import NeedPriority
from services import exports, households, survey_import, surveys, xlsx
from services.errors import DomainError
from services.permissions import Action, Actor, allowed
from ui.i18n import error_text, label, t
from ui.widgets import day, empty, flash, local_today, paged, reporting_errors

PRIORITIES = [p.value for p in NeedPriority]
MAX_LINES = surveys.MAX_NEEDS


def _generation() -> int:
    """Moves on after a save, so the form starts empty (new widget keys)."""
    return st.session_state.get("sv_gen", 0)


def _lines() -> int:
    return st.session_state.get("sv_lines", 1)


def _more() -> None:
    st.session_state["sv_lines"] = min(MAX_LINES, _lines() + 1)


def _fewer() -> None:
    st.session_state["sv_lines"] = max(1, _lines() - 1)


def record_form(actor: Actor, names: dict) -> None:
    """One visit and its needs. Plain widgets rather than a form, so that the item list follows
    the category chosen on the same card."""
    villages = names["villages"] or names["sites"]
    if not villages:
        empty("orders.no_sites")
        return
    g = _generation()
    c = st.columns(2)
    site_id = c[0].selectbox(t("surveys.village"), list(villages), key=f"sv_site_{g}",
                             format_func=lambda v: names["sites"].get(v, ""))
    surveyed_on = c[1].date_input(t("surveys.date"), value=local_today(), key=f"sv_date_{g}",
                                  max_value=local_today(), format="YYYY-MM-DD")
    household_id = household_picker(actor, site_id, g)
    c = st.columns([3, 1])
    respondent = c[0].text_input(t("surveys.respondent"), key=f"sv_resp_{g}", max_chars=60,
                                 placeholder=t("survey_household.respondent_hint")
                                 if household_id else t("surveys.respondent_hint"))
    people = c[1].number_input(t("surveys.people"), min_value=1, max_value=100000, value=1,
                               step=1, key=f"sv_people_{g}")
    lines = []
    for i in range(_lines()):
        with st.container(border=True):
            st.caption(t("surveys.need_n", n=i + 1))
            c = st.columns(2)
            category_id = c[0].selectbox(t("surveys.category"), list(names["categories"]),
                                         key=f"sv_cat_{g}_{i}",
                                         format_func=names["categories"].get)
            items = {iid: title for iid, cat, title in names["items"] if cat == category_id}
            item_id = c[1].selectbox(t("surveys.item"), [None, *items], key=f"sv_item_{g}_{i}",
                                     format_func=lambda v, items=items: items.get(
                                         v, t("orders.no_item")),
                                     placeholder=t("orders.no_item"))
            priority = st.radio(t("surveys.priority"), PRIORITIES, key=f"sv_pri_{g}_{i}",
                                horizontal=True, format_func=lambda v: label("priority", v))
            text = st.text_input(t("surveys.text"), key=f"sv_text_{g}_{i}", max_chars=500,
                                 placeholder=t("surveys.text_hint"))
            lines.append(surveys.NeedInput(category_id=category_id, priority=priority, text=text,
                                           item_id=item_id))
    c = st.columns([1, 1, 2])
    c[0].button(t("surveys.add_need"), key="sv_add", on_click=_more, icon=":material/add:",
                disabled=_lines() >= MAX_LINES)
    c[1].button(t("surveys.remove_need"), key="sv_remove", on_click=_fewer,
                icon=":material/remove:", disabled=_lines() <= 1)
    if c[2].button(t("surveys.save"), key="sv_save", type="primary", width="stretch"):
        with db.write_session() as s, reporting_errors():
            surveys.record(s, actor=actor, site_id=site_id, surveyed_on=surveyed_on,
                           respondent=respondent, people_covered=people, needs=lines,
                           household_id=household_id)
        st.session_state["sv_gen"] = g + 1
        st.session_state["sv_lines"] = 1
        flash(t("surveys.recorded", needs=len(lines)))


def household_picker(actor: Actor, site_id: int | None, g: int) -> int | None:
    """The registered household the visit was about (optional): the village's active
    households, found by typing the head's name; none chosen is a respondent not registered."""
    if site_id is None or not allowed(actor.role, Action.VIEW_HOUSEHOLDS):
        return None
    with db.session() as s:
        found = {h["id"]: h for h in households.choices(s, actor=actor, site_id=site_id,
                                                        limit=households.CHOICES_MAX)}
    if not found:
        st.caption(t("survey_household.none_registered"))
        return None

    def name(hid: int) -> str:
        h = found[hid]
        return f"{h['head_name']} · {h['address']}" if h["address"] else h["head_name"]

    return st.selectbox(t("survey_household.pick"), list(found), index=None,
                        key=f"sv_household_{g}_{site_id}", format_func=name,
                        placeholder=t("survey_household.pick_hint"),
                        help=t("survey_household.pick_help"))


def filters(actor: Actor, names: dict) -> surveys.SurveyFilter:
    with db.session() as s:
        officers = surveys.officers(s, actor=actor)
    with st.expander(t("orders.filters"), icon=":material/search:"):
        c = st.columns(4)
        site_id = c[0].selectbox(t("surveys.village"), [None, *names["sites"]], key="svf_site",
                                 format_func=lambda v: names["sites"].get(v, t("common.all")),
                                 placeholder=t("common.all"))
        officer_id = c[1].selectbox(t("surveys.officer"), [None, *officers], key="svf_officer",
                                    format_func=lambda v: officers.get(v, t("common.all")),
                                    placeholder=t("common.all"))
        category_id = c[2].selectbox(t("surveys.category"), [None, *names["categories"]],
                                     key="svf_cat", placeholder=t("common.all"),
                                     format_func=lambda v: names["categories"]
                                     .get(v, t("common.all")))
        dates = c[3].date_input(t("surveys.between"), value=(), key="svf_dates",
                                format="YYYY-MM-DD")
    start, end = (dates if isinstance(dates, tuple) and len(dates) == 2 else (None, None))
    return surveys.SurveyFilter(site_id=site_id, officer_id=officer_id, category_id=category_id,
                                date_from=start, date_to=end)


def survey_page(actor: Actor, flt: surveys.SurveyFilter) -> list[dict]:
    with db.session() as s:
        return paged(lambda offset, limit: surveys.page(s, actor=actor, flt=flt, offset=offset,
                                                        limit=limit), key="surveys_page")


def survey_table(rows: list[dict]) -> None:
    if not rows:
        empty("surveys.none")
        return
    df = pd.DataFrame(rows)
    df["surveyed_on"] = df["surveyed_on"].map(day)
    shown = ["surveyed_on", "site", "respondent", "people_covered", "needs", "categories",
             "officer"]
    st.dataframe(df[shown], hide_index=True, width="stretch",
                 column_config={c: t(f"surveys.col.{c}") for c in shown})


def export_button(actor: Actor, flt: surveys.SurveyFilter) -> None:
    def build() -> bytes:  # only when clicked: an export is audited
        with db.write_session() as s:
            return exports.export_surveys(s, actor=actor, words=t, flt=flt)

    st.download_button(t("surveys.export"), data=build, file_name="需求调查.xlsx",
                       mime=xlsx.MIME, key="surveys_export", on_click="ignore",
                       icon=":material/download:")


def _verdict(actor: Actor, content: bytes):
    """The preview of an uploaded file, or why it is refused, worked out once per file: every
    widget click reruns the page, and a hostile file must not be parsed again each time. Kept
    by the file's SHA-256, so another file (or the same name with other contents) is checked
    afresh; the import itself checks the file again whatever was cached."""
    digest = hashlib.sha256(content).hexdigest()
    cached = st.session_state.get("sv_verdict")
    if cached is None or cached["sha256"] != digest:
        refusal = result = None
        try:
            with db.session() as s:
                result = survey_import.preview(s, actor=actor, content=content)
        except DomainError as err:
            refusal = (err.key, dict(err.params))
        cached = {"sha256": digest, "refusal": refusal, "preview": result}
        st.session_state["sv_verdict"] = cached
    refusal = cached["refusal"]
    return (DomainError(refusal[0], **refusal[1]) if refusal else None), cached["preview"]


def import_panel(actor: Actor) -> None:
    def template() -> bytes:
        with db.session() as s:
            return survey_import.template(s, actor=actor, words=t)

    st.caption(t("surveys.import_hint", mb=xlsx.MAX_BYTES // (1024 * 1024),
                 rows=survey_import.MAX_ROWS))
    st.download_button(t("surveys.template"), data=template, file_name="需求调查导入模板.xlsx",
                       mime=xlsx.MIME, key="surveys_template", on_click="ignore",
                       icon=":material/download:")
    upload = st.file_uploader(t("surveys.upload"), type=["xlsx"],
                              key=f"sv_upload_{st.session_state.get('sv_import_gen', 0)}")
    if upload is None:
        return
    content = upload.getvalue()
    refusal, result = _verdict(actor, content)
    if refusal is not None:
        st.error(error_text(refusal))
        return
    c = st.columns(3)
    c[0].metric(t("surveys.preview_rows"), len(result.rows))
    c[1].metric(t("surveys.preview_surveys"), result.surveys)
    c[2].metric(t("surveys.preview_errors"), len(result.errors))
    if result.errors:
        st.error(t("surveys.import_refused", count=len(result.errors)))
        errors = pd.DataFrame([{"row": e.row, "column": e.column,
                                "message": error_text(DomainError(e.key, **e.params))}
                               for e in result.errors])
        st.dataframe(errors, key="sv_import_errors", hide_index=True, width="stretch",
                     column_config={c: t(f"surveys.err.{c}") for c in errors.columns})
    rows = pd.DataFrame(result.rows)
    st.dataframe(rows, key="sv_import_rows", hide_index=True, width="stretch",
                 column_config={"row": t("surveys.err.row"),
                                **dict(survey_import.COLUMNS)})
    if not result.ok:
        return
    with st.form("sv_import_form"):
        sure = st.checkbox(t("surveys.import_confirm", surveys=result.surveys,
                             needs=result.needs), key="sv_import_sure")
        go = st.form_submit_button(t("surveys.import"), type="primary")
    if go:
        if not sure:
            st.warning(t("common.confirm_first"))
            return
        with db.write_session() as s, reporting_errors():
            done = survey_import.import_file(s, actor=actor, content=content,
                                         file_name=upload.name)
        st.session_state["sv_import_gen"] = st.session_state.get("sv_import_gen", 0) + 1
        st.session_state.pop("sv_verdict", None)
        flash(t("surveys.imported", surveys=done.surveys, needs=done.needs))

