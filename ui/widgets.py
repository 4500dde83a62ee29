"""Small drawing helpers shared by the pages."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime

import pandas as pd
import streamlit as st

from core import db
from services import settings as settings_service
from services import sites, users
from services.errors import DomainError
from services.figures import percent_value
from ui import charts, freshness
from ui.i18n import LANGUAGES, error_text, label, language, t


@contextmanager
def reporting_errors(where=None):
    """Run a service call; a domain error becomes a message in the current language (every
    problem of a form at once, each naming its field), drawn in `where` when given — a slot
    above the form — and the run stops there. A later successful save reruns the page, so the
    message never outlives the mistake it was about."""
    try:
        yield
    except DomainError as err:
        (where or st).error(error_text(err, markdown=True), icon=":material/error:")
        st.stop()


@contextmanager
def when_busy():
    """A database that stays busy past DIANDAN_DB_TIMEOUT (a full pool, a long write queue)
    becomes one clear message; the transaction was rolled back, so nothing is half-written."""
    try:
        yield
    except db.Busy:
        st.error(t("ops.busy"))
        st.stop()
def form_key(base: str) -> str:
    """A form widget's key, new after every successful save (flash moves the generation on):
    the next entry starts empty and never inherits the last one's role, team or numbers."""
    generation = st.session_state.get("table_generation", 0)
    return base if generation == 0 else f"{base}~{generation}"


def timezone() -> str:
    """The timezone setting, read again when the data version moved on (ui/freshness.py): a
    manager may change it in another session or another app process."""
    version = freshness.version()
    kept = st.session_state.get("tz")
    if not kept or kept[0] != version:
        with db.session() as s:
            kept = st.session_state["tz"] = (version, settings_service.current(s)["timezone"])
    return kept[1]


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    from services.clock import to_local

    return to_local(moment, timezone()).strftime("%Y-%m-%d %H:%M")


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal, rounded 四舍五入 (services/figures.py)."""
    return "—" if value is None else f"{percent_value(value):.1f}%"


def paged(fetch, key: str, per_page: int = 50) -> list[dict]:
    """Fetch one page of a list counted in SQL and draw the page control under it.

    `fetch(offset, limit)` returns (rows, total). The page number lives in session state under
    `key`; when filters shrink the list below it, it falls back to the first page.
    """
    number = int(st.session_state.get(key, 1) or 1)
    rows, total = fetch((number - 1) * per_page, per_page)
    pages = max(1, -(-total // per_page))
    if number > pages:
        number = st.session_state[key] = 1
        rows, total = fetch(0, per_page)
    if total > per_page:
        cols = st.columns([1, 4])
        cols[0].number_input(t("common.page"), min_value=1, max_value=pages, step=1, key=key)
        cols[1].caption(t("common.page_of", page=number, pages=pages, total=total))
    elif total:
        st.caption(t("common.count", total=total))
    return rows


def status_column(df: pd.DataFrame, column: str = "status") -> pd.DataFrame:
    if column in df:
        df[column] = df[column].map(lambda v: label("status", v))
    return df


def overdue_column(df: pd.DataFrame) -> pd.DataFrame:
    if "overdue" in df:
        df["overdue"] = df["overdue"].map(lambda v: f"⚠ {label('overdue', v)}" if v else "")
    return df


def demo_banner() -> None:
    """One slim line while a demo account is active, with a button that hides it for the rest
    of this session (it comes back in a new one: the accounts are still active)."""
    if st.session_state.get("demo_banner_hidden"):
        return
    with db.session() as s:
        active = users.demo_accounts_active(s)
    if not active:
        return
    with st.container(key="demo_banner", horizontal=True, vertical_alignment="center"):
        st.caption(f":material/warning: {t('demo.banner')}")
        if st.button(t("chrome.hide_demo"), key="demo_banner_hide", type="tertiary",
                     icon=":material/close:"):
            st.session_state["demo_banner_hidden"] = True
            st.rerun()


def language_switch(actor_id: int | None) -> None:
    """中文 / English in the sidebar. Session state "lang" is the truth; the control follows it
    (a login may have changed it) and a click saves the choice on the user's row."""
    names = {"zh": "中文", "en": "English"}
    current = language()
    if st.session_state.get("lang_switch") != current:
        st.session_state["lang_switch"] = current

    def _chosen() -> None:
        choice = st.session_state.get("lang_switch")
        if choice not in LANGUAGES:
            st.session_state["lang_switch"] = st.session_state["lang"]
            return
        st.session_state["lang"] = choice
        if actor_id is not None:
            with db.write_session() as s:
                users.set_language(s, user_id=actor_id, language=choice)
        else:
            st.query_params["lang"] = choice

    st.sidebar.segmented_control("🌐", LANGUAGES, format_func=names.get, key="lang_switch",
                                 on_change=_chosen, label_visibility="collapsed")


def local_today() -> date:
    """Today in the app's time zone (a server in UTC is a day behind Beijing until 08:00)."""
    from services.clock import local_today as today_in

    return today_in(db.utcnow(), timezone())


def confirmed_reason(form_key: str, *, reason_label: str, confirm_label: str, button: str,
                     key: str, caption: str = "", max_chars: int = 500) -> str | None:
    """A reason, a confirmation tick and a button for an action that cannot be undone. Returns
    the reason once the button is pressed with the box ticked; pressed without, it says so."""
    with st.form(form_key):
        if caption:
            st.caption(caption)
        reason = st.text_input(reason_label, key=f"{key}_reason", max_chars=max_chars)
        sure = st.checkbox(confirm_label, key=f"{key}_sure")
        go = st.form_submit_button(button)
    if go and not sure:
        st.warning(t("common.confirm_first"))
    return reason if go and sure else None


def chart_or_empty(df: pd.DataFrame, build, message_key: str) -> None:
    """An Altair chart of a small aggregate, or a note that there is nothing to draw."""
    if df.empty:
        empty(message_key)
    else:
        charts.draw(build(df))


def empty(message_key: str, link: tuple[str, str] | None = None) -> None:
    """An empty list says so and what to do next; `link` is (page file, label key) of the page
    where that is done — only pass a page the user's menu has."""
    st.info(t(message_key), icon=":material/info:")
    if link is not None:
        st.page_link(f"pages/{link[0]}", label=t(link[1]), icon=":material/arrow_forward:")


def flash(message: str) -> None:
    """Show a success message after the rerun that follows a change.

    Tables are keyed by a generation number that a change moves on: a selection made in the
    old list must not pick a different row of the new one (or a row that is gone)."""
    st.session_state["flash"] = message
    st.session_state["table_generation"] = st.session_state.get("table_generation", 0) + 1
    st.rerun()


def site_places(session, path: str) -> list[tuple[int, str, bool]]:
    """(id, name, active) of the sites in a subtree, for site_options."""
    return [(p.id, p.name, p.active) for p in sites.subtree(session, path)]


def site_options(places: list[tuple[int, str, bool]], keep: int | None = None) -> dict[int, str]:
    """The sites a form offers: active ones only (the services refuse a new account, team or
    volunteer on a deactivated 站), plus `keep`, the edited row's own site, which it keeps."""
    return {i: name for i, name, active in places if active or i == keep}


def table_key(base: str) -> str:
    return f"{base}_{st.session_state.get('table_generation', 0)}"


def show_flash() -> None:
    """The confirmation of the change made on the previous run, shown once."""
    message = st.session_state.pop("flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")
