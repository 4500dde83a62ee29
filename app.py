"""Diandan 点单 — the router: database ready, who is signed in, and the pages of their role."""

import streamlit as st

from core import db
from services import order_queries, review, sites, users
from services.permissions import Action, allowed
from ui import chrome, freshness, navigation, progress_page, rating_page, session, widgets
from ui.i18n import t
from ui.setup import setup_view

# A resident's rating link (/?rate=<token>) and progress link (/?progress=<token>, 办理进度) are
# served before any login or cookie logic, with no menu: residents never log in, and nothing of
# the staff's app is theirs to see.
rating_link = "rate" in st.query_params
progress_link = "progress" in st.query_params and not rating_link
st.set_page_config(page_title="点单 Diandan", page_icon="📋",
                   layout="centered" if rating_link or progress_link else "wide")
chrome.app_chrome()  # first: it also hides Streamlit's file-name menu until ours is drawn
db.upgrade()
freshness.note_rerun()  # what this process keeps in memory is keyed by it (ui/freshness.py)

if rating_link:
    rating = st.navigation([st.Page(rating_page.public_page, title=t("rate.title"),
                                    url_path="rate", default=True)], position="hidden")
    with widgets.when_busy():
        rating.run()
    st.stop()
if progress_link:
    progress = st.navigation([st.Page(progress_page.public_page, title=t("progress.title"),
                                      url_path="progress", default=True)], position="hidden")
    with widgets.when_busy():
        progress.run()
    st.stop()

with widgets.when_busy():
    actor = session.current_actor()
if actor is None:
    with db.session() as s:
        fresh = not users.any_exist(s) and not sites.any_exist(s)
    if fresh:
        pages = [st.Page(setup_view, title=t("setup.title"), icon=":material/flag:",
                         url_path="setup", default=True)]
    else:
        login = st.Page(lambda: session.login_form(land=navigation.landing),
                        title=t("auth.login"), icon=":material/key:", url_path="login",
                        default=True)
        pages = [login, *navigation.placeholders(session.login_form)]
    # Called on every run, logged out too: until it runs, Streamlit serves pages/ directly.
    page = st.navigation(pages, position="hidden")
    st.caption(t("app.title"))
    widgets.language_switch(None)
    if not fresh:
        widgets.demo_banner()
    widgets.show_flash()  # "已创建管理员…，请登录" / "演示数据已载入" after the setup screen
    with widgets.when_busy():
        page.run()
    if not fresh:
        chrome.warm_up()
    st.stop()

if session.must_change_password(actor):
    page = st.navigation([st.Page("pages/account.py", title=t("nav.account"), icon=":material/key:",
                                  url_path="account", default=True)], position="hidden")
else:
    with db.session() as s:
        waiting = order_queries.waiting_count(s, actor=actor)
        reviews = review.waiting_count(s, actor=actor) if allowed(actor.role, Action.REVIEW) else 0
        first = navigation.first_page(s, actor)
    # expanded: a manager has 14 pages, and Streamlit would otherwise fold the last ones
    # (设置, 账号 …) behind "View more", an English link.
    page = st.navigation(navigation.with_home(
        navigation.pages_for(actor, badges={"my_orders.py": waiting, "review.py": reviews}),
        first), expanded=True)

if page.url_path:
    # Not on the hidden home page, which forwards at once: the cookie component must be drawn
    # in a run that finishes, or it never reaches the browser.
    session.issue_cookie_if_due()
with st.sidebar:
    st.markdown(f"**{t('app.title')}**")
    st.text(f"{actor.display_name} · {t('role.' + actor.role.value)}")
widgets.language_switch(actor.id)
if st.sidebar.button(t("auth.logout"), key="logout_button", icon=":material/logout:"):
    session.logout(actor)
widgets.demo_banner()
if page.url_path:  # the hidden home page forwards at once: the message waits for the real page
    widgets.show_flash()
with widgets.when_busy():
    page.run()
