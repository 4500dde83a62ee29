"""The one place that sends CSS to the browser: static rules, worded from the locale files,
never user data (tests/test_conventions.py allows st.html here and nowhere else)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ui.i18n import t

# Streamlit's own English that no parameter replaces: the form hints ("Press Enter to submit
# form") are hidden, the uploader's drop-zone text and button are worded in the app's language.
# Static CSS only, never user data. What remains English is listed in the README.
_CHROME_CSS = """<style>
[data-testid="InputInstructions"] {{ display: none; }}
/* Streamlit's own menu of pages/ (raw file names, no icons) shows on a fresh server until
   app.py's st.navigation replaces it; every page of ours has an icon. */
[data-testid="stSidebarNav"]:not(:has([data-testid="stIconMaterial"])) {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div > span,
[data-testid="stFileUploaderDropzoneInstructions"] > div > small {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content: "{drop}"; font-size: 0.9rem; }}
[data-testid="stFileUploaderDropzone"] button {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button::after {{ content: "{browse}"; font-size: 0.9rem; }}
.st-key-demo_banner {{ background: #fff8e1; border-radius: 6px; padding: 0 0.6rem;
  gap: 0.5rem; }}
.st-key-demo_banner p {{ margin: 0; }}
/* An empty date field: Streamlit writes "yyyy-mm-dd" in its segments; the app's words instead.
   The calendar's quick-select ("Date range", "Select...", "Past week"…) is English only. */
[data-testid="stDateInput"] [data-placeholder="true"][data-type="year"],
[data-testid="stDateInput"] [data-placeholder="true"][data-type="month"],
[data-testid="stDateInput"] [data-placeholder="true"][data-type="day"] {{ font-size: 0; }}
[data-testid="stDateInput"] [data-placeholder="true"][data-type]::after {{ font-size: 0.875rem; }}
[data-testid="stDateInput"] [data-placeholder="true"][data-type="year"]::after {{
  content: "{year}"; }}
[data-testid="stDateInput"] [data-placeholder="true"][data-type="month"]::after {{
  content: "{month}"; }}
[data-testid="stDateInput"] [data-placeholder="true"][data-type="day"]::after {{
  content: "{day}"; }}
[data-testid="stDateInputQuickSelect"] {{ display: none; }}
/* 我的工单 (ui/order_views.lead_list): the table on a laptop, a card per order on a phone. */
@media (max-width: 640px) {{ .st-key-lead_table {{ display: none; }} }}
@media (min-width: 641px) {{ .st-key-lead_cards {{ display: none; }} }}
/* ui/chrome.warm_up: the login page's hidden elements. */
.st-key-warm_up {{ display: none; }}
.st-key-lead_cards [data-testid="stText"] {{ white-space: normal; overflow-wrap: anywhere; }}
</style>"""


def app_chrome() -> None:
    """The app's words where Streamlit's own would show (see _CHROME_CSS)."""
    from services.xlsx import MAX_BYTES

    st.html(_CHROME_CSS.format(drop=t("chrome.drop", mb=MAX_BYTES // (1024 * 1024)),
                               browse=t("chrome.browse"), year=t("date_words.year"),
                               month=t("date_words.month"), day=t("date_words.day")))


def hide_page_menu() -> None:
    """Hide Streamlit's own menu of pages/ (a page refused by its guard on a fresh server)."""
    st.html("<style>[data-testid='stSidebarNav'] { display: none; }</style>")


def warm_up() -> None:
    """While a visitor types the login form, load the browser code of the elements the first
    page after a login draws: a metric, an Altair chart, a table and a date box, hidden, with
    fixed values, never data.

    Streamlit's browser loads an element's code the first time one is drawn in a tab. Without
    this, that first draw (loading, evaluating, first render) came after the click on 登录: in a
    fresh tab, login → the overview's figures took 3.9–4.6 s on the bench's 100k county (2
    cores), of which the server's part was 1.3–2.0 s. With the warm-up, one run per login and
    no forced gc after each run (.streamlit/config.toml), the median is 1.87 s at 100k and
    1.93 s at 1M (bench/login.py; bench/README, "Login → overview, three fixes")."""
    word = t("chrome.warm_up")
    with st.container(key="warm_up"):
        st.metric(word, 0, delta=0, border=True, help=word)
        st.altair_chart(alt.Chart(pd.DataFrame({"x": [1], "y": [word]})).mark_bar()
                        .encode(x="x:Q", y="y:N"), width=60)
        st.dataframe(pd.DataFrame({word: [0]}))
        st.date_input(word, value=None, key="warm_up_date")
