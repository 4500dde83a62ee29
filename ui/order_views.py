"""Order widgets shared by the pages: filters, the list, the detail with its history, the form."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from models import DONE, OPEN, STATUS_ORDER, OrderAction, OrderSource, OrderStatus
from services import catalog, needs, order_queries, orders, progress_links, sites, teams
from services.permissions import Action, Actor, allowed, own_team_only
from ui import progress_card
from ui.expert_views import suggestions
from ui.i18n import label, t
from ui.widgets import (
    confirmed_reason,
    day,
    empty,
    flash,
    form_key,
    local_time,
    local_today,
    overdue_column,
    paged,
    reporting_errors,
    status_column,
    table_key,
)

STATUSES = tuple(s.value for s in STATUS_ORDER)


def lookups(actor: Actor) -> dict:
    """Names for the select boxes, read once per run."""
    with db.session() as s:
        places = sites.subtree(s, actor.site_path)
        return {
            "sites": {p.id: p.name for p in places},
            # where new work can be recorded: active 站 only (a deactivated one keeps its past)
            "villages": {p.id: p.name for p in places if p.level.value == "point" and p.active},
            "teams": {tm.id: tm.name for tm in teams.in_scope(s, actor=actor)}
            if not own_team_only(actor) else {},
            "categories": {c.id: c.name for c in catalog.categories(s)},
            "items": [(i.id, i.category_id, i.title) for i in catalog.items(s)],
        }


def filters(names: dict, key: str) -> order_queries.OrderFilter:
    with st.expander(t("orders.filters"), expanded=False, icon=":material/search:"):
        c = st.columns(3)
        statuses = c[0].multiselect(t("orders.status"), STATUSES, key=f"{key}_status",
                                    format_func=lambda v: label("status", v),
                                    placeholder=t("common.all"), select_all=False)
        site_id = c[1].selectbox(t("orders.village"), [None, *names["sites"]], key=f"{key}_site",
                                 format_func=lambda v: names["sites"].get(v, t("common.all")))
        category_id = c[2].selectbox(t("orders.category"), [None, *names["categories"]],
                                     key=f"{key}_cat", format_func=lambda v: names["categories"]
                                     .get(v, t("common.all")))
        c = st.columns(3)
        team_id = c[0].selectbox(t("orders.team"), [None, *names["teams"]], key=f"{key}_team",
                                 format_func=lambda v: names["teams"].get(v, t("common.all")))
        dates = c[1].date_input(t("orders.submitted_between"), value=(), key=f"{key}_dates",
                                format="YYYY-MM-DD")
        search = c[2].text_input(t("orders.search"), key=f"{key}_search", max_chars=40)
        overdue = st.toggle(t("orders.overdue_only"), key=f"{key}_overdue")
    start, end = (dates if isinstance(dates, tuple) and len(dates) == 2 else (None, None))
    return order_queries.OrderFilter(statuses=tuple(statuses), site_id=site_id, team_id=team_id,
                                     category_id=category_id, date_from=start, date_to=end,
                                     overdue_only=overdue, search=search)


def order_page(actor: Actor, flt: order_queries.OrderFilter, key: str, *, sort: str = "newest",
               per_page: int = 50, late: bool = False) -> list[dict]:
    """One page of the orders the actor may see (with `late`, the late ones: the 催办督办
    list), with the page control; the page number lives in session state under `key`."""
    with db.session() as s:
        if late:
            return paged(lambda offset, limit: order_queries.late_page(
                s, actor=actor, flt=flt, offset=offset, limit=limit), key=key, per_page=per_page)
        return paged(lambda offset, limit: order_queries.page(
            s, actor=actor, flt=flt, offset=offset, limit=limit, sort=sort),
            key=key, per_page=per_page)


# 我的工单 on a team lead's phone: the four columns that matter (the rest is in the detail), the
# overdue mark beside the due date, so that the table fits a 390 px screen without scrolling.
PHONE_COLUMNS = ("code", "title", "site", "due_on")
PHONE_WIDTHS = (104, 116, 52, 76)


# What fits a 1366 px laptop beside the menu (904 px of table): the category is in the detail
# and the filters; an extra column is cut to a medium width (its full text is in the detail).
WIDE_COLUMNS = ("code", "title", "status", "overdue", "site", "team", "submitted_at", "due_on")


def order_table(rows: list[dict], key: str, *, multi: bool = False, extra: tuple[str, ...] = (),
                narrow: bool = False, hide: tuple[str, ...] = ()) -> int | list[int] | None:
    """The list as a table; returns the id of the row the user selected (or, with `multi`,
    the ids of every selected row). `extra` adds columns after the overdue mark, where they are
    seen without scrolling, `hide` leaves columns out; `narrow` shows PHONE_COLUMNS only."""
    if not rows:
        empty("orders.none")
        # The list emptied under a pick (another manager took the last order): keep the pick,
        # so that the action the user is about to press is refused with who changed it.
        memo = st.session_state.get(f"{table_key(key)}__picked")
        picked = list(memo[1]) if memo else []
        return picked if multi else (picked[0] if picked else None)
    df = pd.DataFrame(rows)
    df["submitted_at"] = df["submitted_at"].map(local_time)
    df["due_on"] = df["due_on"].map(day)
    df = overdue_column(status_column(df))
    shown = [c for c in WIDE_COLUMNS[:4] + extra + WIDE_COLUMNS[4:] if c not in hide]
    if narrow:
        df["due_on"] = [f"{d} {o}".strip() for d, o in zip(df["due_on"], df["overdue"],
                                                             strict=True)]
        shown = list(PHONE_COLUMNS)
    tkey = table_key(key)
    config = {c: st.column_config.TextColumn(t(f"orders.col.{c}"),
                                             width="medium" if c in extra else None)
              for c in shown}
    if narrow:  # widths that add up to a 390 px phone's screen (356 px inside the margins)
        config = {c: st.column_config.TextColumn(t(f"orders.col.{c}"), width=w)
                  for c, w in zip(PHONE_COLUMNS, PHONE_WIDTHS, strict=True)}
    event = st.dataframe(
        df[shown], key=tkey, hide_index=True, width="stretch", on_select="rerun",
        selection_mode="multi-row" if multi else "single-row", column_config=config)
    picked = _picked_ids(tkey, event, [int(i) for i in df["id"]])
    if multi:
        return picked
    return picked[0] if picked else None


def lead_list(rows: list[dict], key: str) -> int | None:
    """我的工单's list, drawn twice: the four-column table on a laptop and a card per order on a
    phone (ui/chrome.py shows one or the other by screen width: Streamlit does not tell the
    server how wide the screen is). Returns the order picked in either, the latest pick winning:
    a card's button sets it, a change of the table's selection clears it."""
    pick_key = f"{table_key(key)}__card"
    with st.container(key="lead_table"):
        picked = order_table(rows, key=key, narrow=True)
    if not rows:
        return picked
    if st.session_state.pop(f"{table_key(key)}__changed", False):
        st.session_state.pop(pick_key, None)
    chosen = st.session_state.get(pick_key)
    if chosen is not None and chosen in {r["id"] for r in rows}:
        picked = chosen
    with st.container(key="lead_cards"):
        for row in rows:
            _card(row, picked=row["id"] == picked, pick_key=pick_key)
    return picked


def _card(row: dict, *, picked: bool, pick_key: str) -> None:
    """One order on a phone: code and 站点, the title, the due date with the overdue mark."""
    with st.container(border=True, key=f"lead_card_{row['id']}"):
        st.text(f"{row['code']} · {row['site']}")
        st.text(row["title"])
        mark = f" ⚠ {label('overdue', row['overdue'])}" if row.get("overdue") else ""
        st.text(f"{t('orders.col.due_on')}：{day(row['due_on'])}{mark}")
        st.button(t("lead_cards.picked") if picked else t("lead_cards.pick"),
                  key=f"{pick_key}_{row['id']}", type="primary" if picked else "secondary",
                  icon=":material/check:" if picked else None, width="stretch",
                  on_click=st.session_state.__setitem__, args=(pick_key, row["id"]))


def _picked_ids(tkey: str, event, ids_now: list[int]) -> list[int]:
    """The orders the user picked, kept by id rather than by row number.

    A selection arrives as row numbers of the table the user was looking at, which is the one
    drawn on the previous run: the list may have changed since (another manager dispatched an
    order), and row 2 of the new list is another order. So a new selection is read against the
    ids shown last time, and the ids picked are kept until the selection changes: a button
    pressed under an order's detail always acts on that order (the service then refuses it,
    with who changed it, if it is no longer in the state the user saw)."""
    rows = tuple(event.selection.rows) if event and event.selection else ()
    memo = st.session_state.get(f"{tkey}__picked")
    if memo is None or memo[0] != rows:
        shown_then = st.session_state.get(f"{tkey}__shown") or ids_now
        memo = (rows, [shown_then[i] for i in rows if i < len(shown_then)])
        st.session_state[f"{tkey}__picked"] = memo
        st.session_state[f"{tkey}__changed"] = True
    st.session_state[f"{tkey}__shown"] = ids_now
    return list(memo[1])


def load(actor: Actor, order_id: int) -> dict:
    with db.session() as s, reporting_errors():
        info = order_queries.detail(s, actor=actor, order_id=order_id)
        info["needs"] = needs.of_order(s, order_id=order_id)
    return info


def heading(info: dict) -> None:
    """The order's code and status, its title, and the warnings that matter at a glance."""
    o = info["order"]
    st.subheader(f"{o['code']} · {label('status', o['status'])}")
    st.text(o["title"])
    if info["overdue"]:
        stage = f" · {t('overdue.stage_' + info['stage'])}" if info.get("stage") else ""
        st.error(f"⚠ {t('overdue.label')}: {label('overdue', info['overdue'])}{stage}")
    if info.get("urges") and o["status"] not in DONE:
        last = info["urges"][-1]
        if _by_resident(last):  # 办理进度: a 催单 from the resident's progress link
            st.warning(t("progress.resident_urged", n=len(info["urges"]), at=local_time(last["at"]),
                         limit=label("overdue", last["detail"]["limit"])),
                       icon=":material/campaign:")
        else:
            st.warning(t("overdue.urged", n=len(info["urges"]), at=local_time(last["at"]),
                         who=last["actor"], note=last["note"]), icon=":material/campaign:")
    if o["last_decline_reason"] and o["status"] == "submitted":
        st.warning(t("orders.declined_before", reason=o["last_decline_reason"]))


def facts(info: dict) -> None:
    """Everything recorded about the order, its service record, rating and history."""
    o = info["order"]
    rows = {
        t("orders.col.site"): info["site"], t("orders.col.category"): info["category"],
        t("orders.item"): info["item"], t("orders.col.team"): info["team"],
        t("orders.source"): label("source", o["source"]), t("orders.col.due_on"): day(o["due_on"]),
        t("orders.requester"): " ".join(x for x in (o["requester_name"], o["requester_phone"])
                                        if x),
        t("orders.expected"): o["expected_beneficiaries"],
        t("orders.actual"): "" if o["actual_beneficiaries"] is None else o["actual_beneficiaries"],
    }
    if info.get("station"):  # a 来访 served at a station's desk
        rows[t("duty.station")] = info["station"]
    st.dataframe(pd.DataFrame({"k": list(rows), "v": [str(v) for v in rows.values()]}),
                 hide_index=True, width="stretch",
                 column_config={"k": t("orders.field"), "v": t("orders.value")})
    if o["description"]:
        st.caption(t("orders.description"))
        st.text(o["description"])
    if info.get("needs"):
        from_needs(info["needs"])
    if info["service"]:
        st.caption(t("orders.service_record"))
        st.dataframe(pd.DataFrame(info["service"])[["volunteer", "hours"]], hide_index=True,
                     column_config={"volunteer": t("orders.volunteer"), "hours": t("orders.hours")})
        total = sum(r["hours"] for r in info["service"])
        st.text(t("orders.hours_total", hours=f"{total:g}", people=len(info["service"])))
    if info["beneficiaries"]:
        st.text(" · ".join(f"{label('group', g)} {n}" for g, n in info["beneficiaries"].items()))
    if info["rating"]:
        r = info["rating"]
        st.text(f"{t('ratings.level')}: {label('level', r['level'])} · "
                f"{label('channel', r['channel'])}")
        if r["comment"]:
            st.text(r["comment"])
    history(info["history"])


def detail(actor: Actor, order_id: int) -> dict:
    info = load(actor, order_id)
    heading(info)
    facts(info)
    status = info["order"]["status"]
    # 专家人才库: who has the skills for it (a lead's completion form names them itself).
    if status in OPEN and not (own_team_only(actor) and status == OrderStatus.accepted):
        suggestions(actor, order_id)
    return info


def cancel_form(actor: Actor, order_id: int) -> None:
    """Cancel with a reason, after ticking the confirmation."""
    reason = confirmed_reason(f"cancel_order_{order_id}", reason_label=t("orders.cancel_reason"),
                              confirm_label=t("orders.cancel_confirm"),
                              button=t("orders.cancel"), key=f"cancel_{order_id}")
    if reason is not None:
        with db.write_session() as s, reporting_errors():
            order = orders.cancel(s, actor=actor, order_id=order_id, reason=reason)
        flash(t("orders.cancelled", code=order.code))


def from_needs(rows: list[dict]) -> None:
    """The survey needs this order was placed for."""
    st.caption(t("orders.from_needs", count=len(rows)))
    df = pd.DataFrame(rows)
    df["surveyed_on"] = df["surveyed_on"].map(day)
    df["priority"] = df["priority"].map(lambda v: label("priority", v))
    shown = ["surveyed_on", "site", "respondent", "people_covered", "priority", "text"]
    st.dataframe(df[shown], hide_index=True, width="stretch",
                 column_config={c: t(f"needs.col.{c}") for c in shown})


def history(events: list[dict]) -> None:
    st.caption(t("orders.history"))
    df = pd.DataFrame(events)
    df["at"] = df["at"].map(local_time)
    # A rating with no actor came from the resident, through a rating link.
    df["actor"] = [name or (t("orders.resident") if a == "rate" else
                            t("progress.resident") if _by_resident(e) else "")
                   for name, a, e in zip(df["actor"], df["action"], events, strict=False)]
    df["note"] = [_note(e) for e in events]
    df["action"] = df["action"].map(lambda a: label("action", a))
    df["change"] = [f"{label('status', f) if f else '—'} → {label('status', to)}"
                    for f, to in zip(df["from_status"], df["to_status"], strict=False)]
    st.dataframe(df[["at", "actor", "action", "change", "team", "note"]], hide_index=True,
                 width="stretch",
                 column_config={c: t(f"orders.hist.{c}") for c in
                                ("at", "actor", "action", "change", "team", "note")})


def _note(event: dict) -> str:
    """The event's note, worded with its figures where it has them (a correction's totals)."""
    figures = event.get("detail") or {}
    if event["action"] == OrderAction.correct and figures:
        (pb, pa), (hb, ha), (vb, va) = figures["people"], figures["hours"], figures["volunteers"]
        return t("orders.correction_note", reason=event["note"], people_before=pb,
                 people_after=pa, hours_before=f"{hb:g}", hours_after=f"{ha:g}",
                 volunteers_before=vb, volunteers_after=va)
    # Events whose note is a figure, not words: a rating keeps its level, an acceptance its
    # planned date. Bare, "2" or "2026-03-01" says nothing; worded, it does.
    if event["action"] == OrderAction.rate and str(event["note"]).isdigit():
        level = int(event["note"])
        return t("history_words.rating", level=level, label=label("level", level))
    if event["action"] == OrderAction.accept and event["note"]:
        return t("history_words.planned", day=event["note"])
    if _by_resident(event):
        return t("progress.resident_urge", limit=label("overdue", figures["limit"]))
    if event["action"] == OrderAction.urge and figures.get("limit"):
        return t("history_words.urge", limit=label("overdue", figures["limit"]),
                 note=event["note"])
    return event["note"]


def _by_resident(event: dict) -> bool:
    """An urge the resident sent from the progress link (services/progress_links.py)."""
    return (event["action"] == OrderAction.urge
            and (event.get("detail") or {}).get("by") == progress_links.RESIDENT)


def place_form(actor: Actor, names: dict) -> None:
    """点单. Nothing is preselected that the user did not say: the category, the village and the
    source are chosen (a survey's needs are ordered from 群众需求, which sets the source itself).
    After a successful 点单 every field starts empty again (form_key)."""
    if not names["sites"] or not names["villages"]:
        may = allowed(actor.role, Action.MANAGE_SITES)
        empty("orders.no_sites", link=("sites.py", "start.villages_link") if may else None)
        if not names["sites"]:
            return
    k = form_key("place")
    cats = list(names["categories"])
    category_id = st.selectbox(t("orders.category"), cats, key=f"{k}_cat", index=None,
                               format_func=names["categories"].get,
                               placeholder=t("forms.choose"))
    items = {i: title for i, cat, title in names["items"] if cat == category_id}
    places = list(names["villages"] or names["sites"])
    messages = st.container()
    with st.form(f"place_order_{k}"):
        site_id = st.selectbox(t("orders.village"), places, key=f"{k}_site",
                               index=0 if len(places) == 1 else None,
                               format_func=lambda v: names["sites"].get(v, ""),
                               placeholder=t("forms.choose"))
        item_id = st.selectbox(t("orders.item"), [None, *items], key=f"{k}_item",
                               format_func=lambda v: items.get(v, t("orders.no_item")))
        title = st.text_input(t("orders.col.title"), key=f"{k}_title", max_chars=80)
        description = st.text_area(t("orders.description"), key=f"{k}_desc", max_chars=2000)
        c = st.columns(3)
        sources = [s.value for s in OrderSource  # both come with their links, from their pages
                   if s not in (OrderSource.survey, OrderSource.campaign)]
        source = c[0].selectbox(t("orders.source"), sources, key=f"{k}_source", index=None,
                                format_func=lambda v: label("source", v),
                                placeholder=t("forms.choose"), help=t("forms.source_help"))
        expected = c[1].number_input(t("orders.expected"), value=0, step=1, key=f"{k}_expected")
        due = c[2].date_input(t("orders.col.due_on"), value=None, key=f"{k}_due",
                              min_value=local_today(), format="YYYY-MM-DD",
                              help=t("orders.due_help"))
        c = st.columns(2)
        requester = c[0].text_input(t("orders.requester_name"), key=f"{k}_req", max_chars=40)
        phone = c[1].text_input(t("orders.requester_phone"), key=f"{k}_phone", max_chars=20)
        card = st.checkbox(t("progress.card.wanted"), key=f"{k}_card",
                           help=t("progress.card.hint"))  # 办理进度: off unless ticked
        go = st.form_submit_button(t("orders.place"), type="primary")
    if go:
        with db.write_session() as s, reporting_errors(messages):
            order = orders.place(s, actor=actor, site_id=site_id, category_id=category_id,
                                 item_id=item_id, title=title, description=description,
                                 source=source, expected_beneficiaries=expected, due_on=due,
                                 requester_name=requester, requester_phone=phone)
        if card:
            progress_card.after_place(actor, order)
        flash(t("orders.placed", code=order.code))
