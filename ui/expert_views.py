"""专家人才库 widgets: search by skill, site and availability; the managed skills list; the
volunteers suggested for an order (its detail and the completion form)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import catalog, experts
from services.permissions import Actor
from ui.i18n import t
from ui.widgets import day, empty, flash, paged, reporting_errors


def search(actor: Actor, lookup: dict) -> None:
    c = st.columns(3)
    skills, site_names = lookup["skills"], lookup["sites"]
    skill_id = c[0].selectbox(t("record.skill_tags"), [None, *skills], key="ex_skill",
                              format_func=lambda i: skills.get(i, t("common.all")))
    site_id = c[1].selectbox(t("volunteers.col.site"), [None, *site_names], key="ex_site",
                             format_func=lambda i: site_names.get(i, t("common.all")))
    availability = c[2].selectbox(t("experts.availability"), experts.AVAILABILITY,
                                  key="ex_avail",
                                  format_func=lambda v: t(f"experts.avail.{v}"))
    with db.session() as s, reporting_errors():
        rows = paged(lambda offset, limit: experts.search(
            s, actor=actor, skill_id=skill_id, site_id=site_id, availability=availability,
            offset=offset, limit=limit), key="ex_page")
    if not rows:
        empty("experts.none")
    else:
        df = pd.DataFrame(rows)
        df["last_served"] = df["last_served"].map(lambda d: day(d) if d else t("reengage.never"))
        df["active"] = df["active"].map(lambda a: t("common.yes" if a else "common.no"))
        shown = ["name", "skills", "title", "site", "phone", "last_served", "active"]
        st.dataframe(df[shown], key="ex_table", hide_index=True, width="stretch",
                     column_config={c: t(f"experts.col.{c}") for c in shown})
    with st.expander(t("experts.manage"), icon=":material/sell:"):
        skills_admin(actor)


def skills_admin(actor: Actor) -> None:
    """The skills list: add a tag, or change or retire one."""
    with db.session() as s:
        rows = experts.skills(s, include_retired=True)
        cats = {c.id: c.name for c in catalog.categories(s)}
    if rows:
        df = pd.DataFrame(rows)
        df["active"] = df["active"].map(lambda a: t("common.yes" if a else "common.no"))
        st.dataframe(df[["name", "category", "active"]], key="skills_table", hide_index=True,
                     column_config={"name": t("experts.col.skill"),
                                    "category": t("experts.col.category"),
                                    "active": t("experts.col.in_use")})
    by_id = {r["id"]: r for r in rows}
    gen = st.session_state.get("skill_gen", 0)
    chosen = st.selectbox(t("experts.edit_which"), [None, *by_id], key=f"skill_pick_{gen}",
                          format_func=lambda i: by_id[i]["name"] if i else t("experts.new"))
    cur = by_id.get(chosen, {})
    with st.form(f"skill_form_{chosen}_{gen}"):
        c = st.columns(3)
        name = c[0].text_input(t("experts.col.skill"), value=cur.get("name", ""), max_chars=20,
                               key=f"skill_name_{chosen}_{gen}")
        ids = list(cats)
        category = c[1].selectbox(t("experts.col.category"), ids, key=f"skill_cat_{chosen}_{gen}",
                                  index=ids.index(cur["category_id"])
                                  if cur.get("category_id") in ids else None,
                                  format_func=cats.get, placeholder=t("experts.no_category"))
        active = c[2].checkbox(t("experts.col.in_use"), value=cur.get("active", True),
                               key=f"skill_active_{chosen}_{gen}")
        go = st.form_submit_button(t("common.save"))
    if go:
        with db.write_session() as s, reporting_errors():
            experts.save_skill(s, actor=actor, name=name, category_id=category,
                               skill_id=chosen, active=active)
        st.session_state["skill_gen"] = gen + 1
        flash(t("common.saved"))


def suggestions(actor: Actor, order_id: int, *, compact: bool = False) -> list[dict]:
    """Volunteers whose skills fit the order, those of its team first."""
    with db.session() as s, reporting_errors():
        rows = experts.suggest(s, actor=actor, order_id=order_id)
    if not rows:
        return rows
    if compact:
        st.caption(t("experts.suggest_line", names="、".join(
            f"{r['name']}（{r['skills']}）" for r in rows)))
        return rows
    st.caption(t("experts.suggested"))
    df = pd.DataFrame(rows)
    df["in_team"] = df["in_team"].map(lambda v: t("experts.of_team") if v else
                                      t("experts.of_site"))
    shown = ["name", "skills", "title", "site", "in_team", "phone"]
    st.dataframe(df[shown], key=f"suggest_{order_id}", hide_index=True, width="stretch",
                 column_config={c: t(f"experts.col.{c}") for c in shown})
    return rows
