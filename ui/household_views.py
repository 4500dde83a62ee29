"""户 widgets: the register's filters and list, the household form (add and edit), the tag list
and the spreadsheet import with its preview."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import household_import, households, xlsx
from services.errors import DomainError
from services.formats import NAME_SEP
from services.households import HouseholdFilter, HouseholdInput
from services.permissions import Action, Actor, allowed
from ui.i18n import error_text, t
from ui.order_views import _picked_ids
from ui.widgets import day, empty, flash, paged, reporting_errors, table_key


def tag_choices() -> dict[int, str]:
    with db.session() as s:
        return {tag.id: tag.name for tag in households.tags(s)}


def filters(names: dict, tags: dict[int, str], key: str = "hf") -> HouseholdFilter:
    with st.expander(t("orders.filters"), icon=":material/search:"):
        c = st.columns(3)
        site_id = c[0].selectbox(t("surveys.village"), [None, *names["villages"]],
                                 key=f"{key}_site", placeholder=t("common.all"),
                                 format_func=lambda v: names["villages"].get(v, t("common.all")))
        tag_id = c[1].selectbox(t("households.tag"), [None, *tags], key=f"{key}_tag",
                                placeholder=t("common.all"),
                                format_func=lambda v: tags.get(v, t("common.all")))
        search = c[2].text_input(t("households.search"), key=f"{key}_search", max_chars=40)
        gone = st.checkbox(t("households.show_inactive"), key=f"{key}_gone")
    return HouseholdFilter(site_id=site_id, search=search, tag_id=tag_id, active=not gone)


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["tags"] = df["tags"].map(NAME_SEP.join)
    if "last_visit" in df:
        df["last_visit"] = df["last_visit"].map(day)
    return df


SHOWN = ["site", "head_name", "address", "phone", "people", "tags", "contact", "last_visit"]


def household_table(rows: list[dict], key: str, *, selectable: bool,
                    shown: list[str] = SHOWN) -> int | None:
    """The list; returns the id of the household picked (by id, not by row number)."""
    if not rows:
        empty("households.none")
        return None
    df = frame(rows)
    config = {c: t(f"households.col.{c}") for c in shown}
    if not selectable:
        st.dataframe(df[shown], hide_index=True, width="stretch", column_config=config)
        return None
    tkey = table_key(key)
    event = st.dataframe(df[shown], key=tkey, hide_index=True, width="stretch",
                         on_select="rerun", selection_mode="single-row", column_config=config)
    picked = _picked_ids(tkey, event, [int(i) for i in df["id"]])
    return picked[0] if picked else None


def register_list(actor: Actor, names: dict, tags: dict[int, str]) -> int | None:
    flt = filters(names, tags)
    with db.session() as s:
        rows = paged(lambda offset, limit: households.page(s, actor=actor, flt=flt,
                                                           offset=offset, limit=limit),
                     key="households_page")
    may_edit = allowed(actor.role, Action.MANAGE_HOUSEHOLDS)
    if may_edit and rows:
        st.caption(t("households.pick_hint"))
    return household_table(rows, "households_table", selectable=may_edit)


def household_form(actor: Actor, names: dict, tags: dict[int, str],
                   current: dict | None = None) -> None:
    """Add a household, or edit the one given; the form starts empty after a save."""
    gen = st.session_state.get("hh_gen", 0)
    key = f"hh_{current['id'] if current else 'new'}_{gen}"
    villages = names["villages"]
    if not villages:
        empty("orders.no_sites")
        return
    with st.form(key):
        c = st.columns(2)
        ids = list(villages)
        site_id = c[0].selectbox(t("surveys.village"), ids, key=f"{key}_site",
                                 index=ids.index(current["site_id"]) if current else None,
                                 placeholder=t("households.choose"), format_func=villages.get)
        head = c[1].text_input(t("households.col.head_name"), max_chars=40, key=f"{key}_head",
                               value=current["head_name"] if current else "")
        address = st.text_input(t("households.col.address"), max_chars=120, key=f"{key}_addr",
                                value=current["address"] if current else "")
        c = st.columns(2)
        phone = c[0].text_input(t("households.col.phone"), max_chars=20, key=f"{key}_phone",
                                value=current["phone"] if current else "",
                                placeholder=t("households.phone_hint"))
        people = c[1].number_input(t("households.col.people"), min_value=1, max_value=100,
                                   step=1, key=f"{key}_people",
                                   value=current["people"] if current else None,
                                   placeholder=t("households.people_hint"))
        held = [i for i in (current or {}).get("tag_ids", []) if i in tags]
        chosen = st.multiselect(t("households.col.tags"), list(tags), default=held,
                                key=f"{key}_tags", format_func=tags.get,
                                placeholder=t("households.tags_hint"), select_all=False)
        note = st.text_input(t("households.note"), max_chars=200, key=f"{key}_note",
                             value=current["note"] if current else "")
        active = (st.checkbox(t("households.active"), value=current["active"],
                              key=f"{key}_active") if current else True)
        go = st.form_submit_button(t("households.save_edit") if current else t("common.save"),
                                   type="primary")
    if not go:
        return
    raw = HouseholdInput(site_id=site_id, head_name=head, address=address, phone=phone,
                         people=people if people is not None else "", tag_ids=tuple(chosen),
                         note=note)
    with db.write_session() as s, reporting_errors():
        if current:
            households.update(s, actor=actor, household_id=current["id"], raw=raw,
                              active=active)
        else:
            households.create(s, actor=actor, raw=raw)
    st.session_state["hh_gen"] = gen + 1
    flash(t("households.saved", name=head.strip()))


def edit_panel(actor: Actor, names: dict, tags: dict[int, str], household_id: int) -> None:
    with db.session() as s, reporting_errors():
        current = households.detail(s, actor=actor, household_id=household_id)
    st.subheader(t("households.edit_title", name=current["head_name"]))
    if not current["address"]:  # the actor may not see its personal data: no edit either
        return
    household_form(actor, names, tags, current)


def tag_panel(actor: Actor) -> None:
    with db.session() as s:
        rows = [{"id": tag.id, "name": tag.name, "active": tag.active}
                for tag in households.tags(s, active_only=False)]
    st.dataframe(pd.DataFrame(rows)[["name", "active"]], hide_index=True, width="stretch",
                 column_config={"name": t("households.tag"),
                                "active": t("households.tag_active")})
    with st.form(f"tag_add_{st.session_state.get('tag_gen', 0)}"):
        name = st.text_input(t("households.tag_new"), max_chars=20, key="tag_new")
        go = st.form_submit_button(t("households.tag_add"))
    if go:
        with db.write_session() as s, reporting_errors():
            households.add_tag(s, actor=actor, name=name)
        st.session_state["tag_gen"] = st.session_state.get("tag_gen", 0) + 1
        flash(t("households.tag_added", name=name.strip()))
    by_id = {r["id"]: r for r in rows}
    c = st.columns([3, 1])
    tag_id = c[0].selectbox(t("households.tag_toggle"), list(by_id), index=None,
                            key="tag_toggle", placeholder=t("households.choose"),
                            format_func=lambda v: by_id[v]["name"])
    if tag_id is not None:
        active = by_id[tag_id]["active"]
        if c[1].button(t("households.tag_retire" if active else "households.tag_restore"),
                       key="tag_toggle_go"):
            with db.write_session() as s, reporting_errors():
                households.set_tag_active(s, actor=actor, tag_id=tag_id, active=not active)
            flash(t("common.saved"))


def import_panel(actor: Actor) -> None:
    def template() -> bytes:
        with db.session() as s:
            return household_import.template(s, actor=actor, words=t)

    st.caption(t("households.import_hint", mb=xlsx.MAX_BYTES // (1024 * 1024),
                 rows=household_import.MAX_ROWS))
    st.download_button(t("surveys.template"), data=template, file_name="户登记导入模板.xlsx",
                       mime=xlsx.MIME, key="households_template", on_click="ignore",
                       icon=":material/download:")
    upload = st.file_uploader(t("surveys.upload"), type=["xlsx"],
                              key=f"hh_upload_{st.session_state.get('hh_import_gen', 0)}")
    if upload is None:
        return
    content = upload.getvalue()
    try:
        with db.session() as s:
            result = household_import.preview(s, actor=actor, content=content)
    except DomainError as err:
        st.error(error_text(err))
        return
    c = st.columns(3)
    c[0].metric(t("surveys.preview_rows"), len(result.rows))
    c[1].metric(t("households.preview_households"), result.households)
    c[2].metric(t("surveys.preview_errors"), len(result.errors))
    if result.errors:
        st.error(t("surveys.import_refused", count=len(result.errors)))
        errors = pd.DataFrame([{"row": e.row, "column": e.column,
                                "message": error_text(DomainError(e.key, **e.params))}
                               for e in result.errors])
        st.dataframe(errors, key="hh_import_errors", hide_index=True, width="stretch",
                     column_config={c: t(f"surveys.err.{c}") for c in errors.columns})
    st.dataframe(pd.DataFrame(result.rows), key="hh_import_rows", hide_index=True,
                 width="stretch", column_config={"row": t("surveys.err.row"),
                                                 **dict(household_import.COLUMNS)})
    if not result.ok:
        return
    with st.form("hh_import_form"):
        sure = st.checkbox(t("households.import_confirm", households=result.households),
                           key="hh_import_sure")
        go = st.form_submit_button(t("surveys.import"), type="primary")
    if go:
        if not sure:
            st.warning(t("common.confirm_first"))
            return
        with db.write_session() as s, reporting_errors():
            done = household_import.import_file(s, actor=actor, content=content,
                                                file_name=upload.name)
        st.session_state["hh_import_gen"] = st.session_state.get("hh_import_gen", 0) + 1
        flash(t("households.imported", households=done.households))
