"""批量导入志愿者: the template, the upload, the preview with every bad cell and every phone already
registered, and the import after a confirmation, with a progress bar for large files."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import roster_import, xlsx
from services.errors import DomainError
from services.permissions import Actor
from ui.i18n import error_text, t
from ui.widgets import flash, reporting_errors


def _bar(text_key: str):
    bar = st.progress(0.0, text=t(text_key, done=0, total=0))

    def update(done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 1.0,
                     text=t(text_key, done=done, total=total))
    return update


def _preview(result: roster_import.Preview) -> None:
    c = st.columns(4)
    c[0].metric(t("roster.rows"), len(result.rows))
    c[1].metric(t("roster.new"), result.new)
    c[2].metric(t("roster.existing"), len(result.existing))
    c[3].metric(t("roster.errors"), len(result.errors))
    if result.errors:
        st.error(t("roster.refused", count=len(result.errors)))
        errors = pd.DataFrame([{"row": e.row, "column": e.column,
                                "message": error_text(DomainError(e.key, **e.params))}
                               for e in result.errors])
        st.dataframe(errors, key="roster_errors", hide_index=True, width="stretch",
                     column_config={c: t(f"surveys.err.{c}") for c in errors.columns})
    if result.existing:
        st.warning(t("roster.existing_hint", count=len(result.existing)))
        st.dataframe(pd.DataFrame(result.existing), key="roster_existing", hide_index=True,
                     column_config={"row": t("surveys.err.row"), "phone": t("roster.phone"),
                                    "name": t("roster.registered_as")})
    st.dataframe(pd.DataFrame(result.rows), key="roster_rows", hide_index=True,
                 width="stretch",
                 column_config={"row": t("surveys.err.row"), **dict(roster_import.COLUMNS)})


def import_panel(actor: Actor) -> None:
    def template() -> bytes:
        with db.session() as s:
            return roster_import.template(s, actor=actor, words=t)

    st.caption(t("roster.hint", mb=xlsx.MAX_BYTES // (1024 * 1024), rows=roster_import.MAX_ROWS))
    st.download_button(t("roster.template"), data=template, file_name="志愿者名册导入模板.xlsx",
                       mime=xlsx.MIME, key="roster_template", on_click="ignore",
                       icon=":material/download:")
    gen = st.session_state.get("roster_gen", 0)
    upload = st.file_uploader(t("roster.upload"), type=["xlsx"], key=f"roster_upload_{gen}")
    if upload is None:
        return
    content = upload.getvalue()
    try:
        with db.session() as s:
            result = roster_import.preview(s, actor=actor, content=content,
                                           progress=_bar("roster.checking"))
    except DomainError as err:
        st.error(error_text(err))
        return
    _preview(result)
    if not result.ok:
        return
    with st.form(f"roster_form_{gen}"):
        update = st.checkbox(t("roster.update_existing", count=len(result.existing)),
                             key=f"roster_update_{gen}", disabled=not result.existing)
        sure = st.checkbox(t("roster.confirm", new=result.new), key=f"roster_sure_{gen}")
        go = st.form_submit_button(t("roster.import"), type="primary")
    if not go:
        return
    if not sure:
        st.warning(t("common.confirm_first"))
        return
    with db.write_session() as s, reporting_errors():
        done = roster_import.import_file(s, actor=actor, content=content, file_name=upload.name,
                                         update_existing=update,
                                         progress=_bar("roster.writing"))
    st.session_state["roster_gen"] = gen + 1
    flash(t("roster.imported", **done))
