"""站点 widgets: the tree, the add / edit forms and the villages import with its preview."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import sites, xlsx
from services.errors import DomainError
from services.permissions import Actor
from ui.i18n import error_text, label, t
from ui.widgets import flash, form_key, reporting_errors, table_key

INDENT = "　　"  # a full-width space per level: the tree reads as a tree in a plain table


def tree_table(rows: list[dict]) -> dict | None:
    """The tree, one row per site, indented by level; returns the row the user picked."""
    df = pd.DataFrame(rows)
    df["shown_name"] = [INDENT * d + n for d, n in zip(df["depth"], df["name"], strict=True)]
    df["level"] = df["level"].map(lambda v: label("site_level", v))
    df["state"] = [t("sites.active") if a else t("sites.inactive") for a in df["active"]]
    shown = ["shown_name", "level", "state", "open_orders", "teams", "volunteers"]
    event = st.dataframe(df[shown], hide_index=True, width="stretch", key=table_key("sites_tree"),
                         on_select="rerun", selection_mode="single-row",
                         column_config={c: t(f"sites.col.{c}") for c in shown})
    picked = [i for i in (event.selection.rows if event and event.selection else [])
              if i < len(rows)]
    return rows[picked[0]] if picked else None


def add_form(actor: Actor, rows: list[dict]) -> None:
    parents = {r["id"]: r for r in rows if r["level"] != "point" and r["active"]}
    ids = list(parents)
    k = form_key("site_add")
    messages = st.container()
    with st.form(f"{k}_form"):
        parent_id = st.selectbox(t("sites.parent"), ids, key=f"{k}_parent",
                                 index=0 if len(ids) == 1 else None,
                                 format_func=lambda i: f"{parents[i]['name']}"
                                 f"（{label('site_level', parents[i]['level'])}）",
                                 placeholder=t("forms.choose"), help=t("sites.parent_help"))
        name = st.text_input(t("sites.name"), key=f"{k}_name", max_chars=sites.MAX_NAME,
                             placeholder=t("sites.name_hint"))
        go = st.form_submit_button(t("sites.add"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors(messages):
            site = sites.add(s, actor=actor, name=name, parent_id=parent_id)
        flash(t("sites.added", name=site.name))


def edit_forms(actor: Actor, rows: list[dict], picked: dict) -> None:
    """Rename, move and (de)activate the picked site."""
    k = form_key(f"site_{picked['id']}")
    messages = st.container()
    c = st.columns(2)
    with c[0].form(f"{k}_rename"):
        name = st.text_input(t("sites.name"), value=picked["name"], key=f"{k}_name",
                             max_chars=sites.MAX_NAME)
        if st.form_submit_button(t("sites.rename")):
            with db.write_session() as s, reporting_errors(messages):
                site = sites.rename(s, actor=actor, site_id=picked["id"], name=name)
            flash(t("sites.renamed", name=site.name))
    parent_level = {"point": "station", "station": "center"}.get(picked["level"])
    targets = {r["id"]: r["name"] for r in rows if r["level"] == parent_level and r["active"]
               and r["id"] != picked["parent_id"]}
    if picked["depth"] > 0 and targets:
        with c[1].form(f"{k}_move"):
            target = st.selectbox(t("sites.move_to"), list(targets), key=f"{k}_target",
                                  index=None, format_func=targets.get,
                                  placeholder=t("forms.choose"))
            if st.form_submit_button(t("sites.move")):
                with db.write_session() as s, reporting_errors(messages):
                    sites.move(s, actor=actor, site_id=picked["id"], parent_id=target)
                flash(t("sites.moved", name=picked["name"], parent=targets.get(target, "")))
    if picked["depth"] == 0:
        return
    with st.form(f"{k}_active"):
        word = "sites.confirm_deactivate" if picked["active"] else "sites.confirm_activate"
        sure = st.checkbox(t(word, name=picked["name"]), key=f"{k}_sure")
        go = st.form_submit_button(t("sites.deactivate" if picked["active"] else
                                     "sites.activate"))
    if go:
        if not sure:
            st.warning(t("common.confirm_first"))
            return
        with db.write_session() as s, reporting_errors(messages):
            sites.set_active(s, actor=actor, site_id=picked["id"], active=not picked["active"])
        flash(t("sites.deactivated" if picked["active"] else "sites.activated",
                name=picked["name"]))


def import_panel(actor: Actor) -> None:
    """Download the template, upload the list, read the preview, tick, import — or nothing."""
    st.caption(t("sites.import_hint", rows=sites.MAX_ROWS,
                 mb=xlsx.MAX_BYTES // (1024 * 1024)))
    st.download_button(t("sites.template"), data=sites.template(), file_name="站点导入模板.xlsx",
                       mime=xlsx.MIME, key="sites_template", on_click="ignore",
                       icon=":material/download:")
    upload = st.file_uploader(t("sites.upload"), type=["xlsx"], key=form_key("sites_upload"))
    if upload is None:
        return
    content = upload.getvalue()
    try:
        with db.session() as s:
            result = sites.preview_villages(s, actor=actor, content=content)
    except DomainError as err:
        st.error(error_text(err, markdown=True))
        return
    if result.errors:
        st.error(t("error.import_has_errors", count=len(result.errors)))
        st.dataframe(pd.DataFrame([{"row": e.row, "column": e.column,
                                    "message": error_text(DomainError(e.key, **e.params))}
                                   for e in result.errors]),
                     hide_index=True, width="stretch",
                     column_config={c: t(f"surveys.err.{c}") for c in ("row", "column",
                                                                        "message")})
    st.dataframe(pd.DataFrame(result.rows), hide_index=True, width="stretch",
                 column_config={"row": t("surveys.err.row"), **dict(sites.COLUMNS)})
    if not result.ok:
        return
    with st.form("sites_import_form"):
        sure = st.checkbox(t("sites.import_confirm", count=len(result.clean)),
                           key=form_key("sites_import_sure"))
        go = st.form_submit_button(t("sites.import"), type="primary")
    if go:
        if not sure:
            st.warning(t("common.confirm_first"))
            return
        with db.write_session() as s, reporting_errors():
            done = sites.import_villages(s, actor=actor, content=content, file_name=upload.name)
        flash(t("sites.imported", count=len(done.clean)))
