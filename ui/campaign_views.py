"""中心制单 widgets: the list of campaigns, one campaign with its targets' progress and totals
and the 下发 button, and the form that makes a campaign (its targets follow the 所/站 and teams
chosen above them, so it is plain widgets rather than an st.form)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from services import campaigns, catalog
from services.permissions import Action, Actor, allowed
from ui.i18n import label, t
from ui.volunteer_views import pick
from ui.widgets import day, empty, flash, form_key, local_time, local_today, paged, reporting_errors

LIST_SHOWN = ("title", "dates", "category", "targets", "state", "done")
PROGRESS_SHOWN = ("site", "team", "code", "status", "holder", "expected", "beneficiaries",
                  "hours", "rating")


def campaign_list(actor: Actor) -> int | None:
    """The campaigns of my sites, one page at a time; returns the picked one's id."""
    def fetch(offset, limit):
        with db.session() as s:
            return campaigns.campaign_page(s, actor=actor, offset=offset, limit=limit)

    rows = paged(fetch, "camp_page")
    if not rows:
        empty("campaigns.none_manager" if allowed(actor.role, Action.MANAGE_CAMPAIGNS)
              else "campaigns.none")
        return None
    df = pd.DataFrame(rows)
    df["dates"] = [_dates(r) for r in rows]
    df["state"] = [t("campaigns.state_issued") if r["issued"] else t("campaigns.state_draft")
                   for r in rows]
    df["done"] = [f"{r['done']} / {r['targets']}" if r["issued"] else "" for r in rows]
    st.caption(t("campaigns.pick_hint"))
    return pick(df, LIST_SHOWN, "camp_table",
                {c: t(f"campaigns.col.{c}") for c in LIST_SHOWN})


def _dates(row: dict) -> str:
    if row["starts_on"] == row["ends_on"]:
        return day(row["starts_on"])
    return t("campaigns.date_range", start=day(row["starts_on"]), end=day(row["ends_on"]))


def campaign_detail(actor: Actor, campaign_id: int) -> None:
    """One campaign: what it is, 下发 while it is not issued, then each target's progress and
    the totals."""
    with db.session() as s:
        c = campaigns.detail(s, actor=actor, campaign_id=campaign_id)
        rows = campaigns.progress(s, actor=actor, campaign_id=campaign_id)
        total = campaigns.totals(s, actor=actor, campaign_id=campaign_id)
    st.subheader(c["title"])
    st.caption(t("campaigns.about", dates=_dates(c), category=c["category"],
                 item=c["item"] or t("orders.no_item"), site=c["site"], by=c["created_by"]))
    if c["description"]:
        st.text(c["description"])
    if c["issued"]:
        st.caption(t("campaigns.issued_by", by=c["issued_by"], at=local_time(c["issued_at"])))
        _totals(total)
    else:
        st.info(t("campaigns.not_issued", count=total["targets"]), icon=":material/info:")
        if allowed(actor.role, Action.MANAGE_CAMPAIGNS):
            _issue_form(actor, c, total["targets"])
            with st.expander(t("campaigns.discard_title"), icon=":material/delete:"):
                _discard_form(actor, c)
    _progress(rows, c["issued"])


def _totals(total: dict) -> None:
    cols = st.columns(5)
    cols[0].metric(t("campaigns.total_done"), f"{total['done']} / {total['orders']}",
                   help=t("campaigns.total_done_help", open=total["open"],
                          cancelled=total["cancelled"]))
    cols[1].metric(t("campaigns.total_beneficiaries"), total["beneficiaries"],
                   help=t("campaigns.total_beneficiaries_help", expected=total["expected"]))
    cols[2].metric(t("campaigns.total_hours"), total["hours"])
    cols[3].metric(t("campaigns.total_rated"), total["rated"],
                   help=t("campaigns.total_rated_help"))
    cols[4].metric(t("campaigns.total_good_rate"),
                   "—" if total["good_rate"] is None else f"{total['good_rate']:.1f}%",
                   help=t("campaigns.total_good_rate_help"))


def _issue_form(actor: Actor, c: dict, count: int) -> None:
    messages = st.container()
    with st.form(form_key(f"camp_issue_{c['id']}")):
        sure = st.checkbox(t("campaigns.issue_confirm", count=count),
                           key=form_key(f"camp_issue_sure_{c['id']}"))
        go = st.form_submit_button(t("campaigns.issue"), type="primary", icon=":material/send:")
    if go and not sure:
        messages.warning(t("common.confirm_first"))
    elif go:
        with db.write_session() as s, reporting_errors(messages):
            made = campaigns.issue(s, actor=actor, campaign_id=c["id"])
        flash(t("campaigns.issued", title=c["title"], count=made))


def _discard_form(actor: Actor, c: dict) -> None:
    messages = st.container()
    with st.form(form_key(f"camp_discard_{c['id']}")):
        st.caption(t("campaigns.discard_help"))
        sure = st.checkbox(t("campaigns.discard_confirm"),
                           key=form_key(f"camp_discard_sure_{c['id']}"))
        go = st.form_submit_button(t("campaigns.discard"))
    if go and not sure:
        messages.warning(t("common.confirm_first"))
    elif go:
        with db.write_session() as s, reporting_errors(messages):
            title = campaigns.discard(s, actor=actor, campaign_id=c["id"])
        flash(t("campaigns.discarded", title=title))


def _progress(rows: list[dict], issued: bool) -> None:
    st.markdown(f"**{t('campaigns.progress')}**")
    df = pd.DataFrame(rows)
    df["team"] = [r["team"] or t("campaigns.no_team") for r in rows]
    df["status"] = [(label("status", r["status"]) if r["status"] else "")
                    + (f" ⚠ {label('overdue', r['overdue'])}" if r["overdue"] else "")
                    for r in rows]
    df["rating"] = [label("level", r["rating"]) if r["rating"] else "" for r in rows]
    for c in ("beneficiaries", "hours"):  # not yet known: empty, never Streamlit's "None"
        df[c] = ["" if r[c] is None else str(r[c]) for r in rows]
    shown = PROGRESS_SHOWN if issued else ("site", "team", "expected")
    config = {c: t(f"campaigns.col.{c}") for c in shown}
    st.dataframe(df[list(shown)], hide_index=True, width="stretch", column_config=config,
                 key="camp_progress")
    if issued:
        st.caption(t("campaigns.progress_help"))


# --- the form ---------------------------------------------------------------------------------


def create_form(actor: Actor) -> None:
    """A new campaign with its targets. After a save every field starts empty (form_key)."""
    with db.session() as s:
        choices = campaigns.target_choices(s, actor=actor)
        cats = {c.id: c.name for c in catalog.categories(s)}
        items = [(i.id, i.category_id, i.title) for i in catalog.items(s)]
    if not choices["sites"] and not choices["teams"]:
        empty("campaigns.no_targets_to_choose", ("sites.py", "start.villages_link"))
        return
    k = form_key("camp_new")
    messages = st.container()
    title = st.text_input(t("campaigns.field.title"), key=f"{k}_title", max_chars=80,
                          placeholder=t("campaigns.title_hint"))
    c = st.columns(2)
    category_id = c[0].selectbox(t("orders.category"), list(cats), key=f"{k}_cat", index=None,
                                 format_func=cats.get, placeholder=t("forms.choose"))
    own = {i: title for i, cat, title in items if cat == category_id}
    item_id = c[1].selectbox(t("orders.item"), [None, *own], key=f"{k}_item",
                             format_func=lambda v: own.get(v, t("orders.no_item")))
    description = st.text_area(t("campaigns.field.description"), key=f"{k}_desc", max_chars=2000,
                               height=90)
    c = st.columns(2)
    starts_on = c[0].date_input(t("campaigns.field.starts_on"), value=None, key=f"{k}_start",
                                min_value=local_today(), format="YYYY-MM-DD")
    ends_on = c[1].date_input(t("campaigns.field.ends_on"), value=None, key=f"{k}_end",
                              min_value=local_today(), format="YYYY-MM-DD",
                              help=t("campaigns.ends_help"))
    targets = _target_rows(choices, k)
    if st.button(t("campaigns.save"), key=f"{k}_save", type="primary"):
        with db.write_session() as s, reporting_errors(messages):
            made = campaigns.create(s, actor=actor, title=title, category_id=category_id,
                                    item_id=item_id, description=description,
                                    starts_on=starts_on, ends_on=ends_on, targets=targets)
        st.session_state["camp_view_next"] = "list"
        flash(t("campaigns.saved", title=made.title, count=len(targets)))


def _target_rows(choices: dict, k: str) -> list[campaigns.TargetInput]:
    """The 所/站 chosen, each with an optional team and its expected beneficiaries; then the
    teams chosen on their own (their order goes to the team's own site)."""
    site_names, team_names = choices["sites"], choices["teams"]
    st.markdown(f"**{t('campaigns.targets')}**")
    st.caption(t("campaigns.targets_help"))
    out = []
    picked_sites = st.multiselect(t("campaigns.target_sites"), list(site_names),
                                  key=f"{k}_sites", format_func=site_names.get,
                                  placeholder=t("forms.choose_many"), select_all=False)
    teams = list(team_names)

    def team_label(i):
        return t("campaigns.no_team") if i is None else t(
            "campaigns.team_at", team=team_names[i][0], site=team_names[i][1])

    for site_id in picked_sites:
        c = st.columns([2, 3, 2], vertical_alignment="bottom")
        c[0].text(site_names[site_id])
        team_id = c[1].selectbox(t("campaigns.col.team"), [None, *teams],
                                 key=f"{k}_team_{site_id}", format_func=team_label)
        expected = c[2].number_input(t("campaigns.col.expected"), value=0, step=1,
                                     key=f"{k}_exp_{site_id}")
        out.append(campaigns.TargetInput(site_id=site_id, team_id=team_id,
                                         expected_beneficiaries=expected))
    picked_teams = st.multiselect(t("campaigns.target_teams"), teams, key=f"{k}_teams",
                                  format_func=team_label, placeholder=t("forms.choose_many"),
                                  select_all=False, help=t("campaigns.target_teams_help"))
    for team_id in picked_teams:
        c = st.columns([5, 2], vertical_alignment="bottom")
        c[0].text(team_label(team_id))
        expected = c[1].number_input(t("campaigns.col.expected"), value=0, step=1,
                                     key=f"{k}_texp_{team_id}")
        out.append(campaigns.TargetInput(team_id=team_id, expected_beneficiaries=expected))
    return out
