"""The page list. Each page names the Action that guards it, so the menu a role sees and the guard
on the page come from the same PERMISSIONS table and cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core import db
from services import getting_started
from services.permissions import Action, Actor, allowed
from ui import session
from ui.i18n import t


@dataclass(frozen=True)
class PageSpec:
    file: str        # under pages/
    title_key: str
    icon: str
    action: Action
    section: str     # title key of the menu section


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview.py", "nav.overview", ":material/dashboard:", Action.VIEW_OVERVIEW,
             "nav.section_read"),
    PageSpec("satisfaction.py", "nav.satisfaction", ":material/sentiment_satisfied:",
             Action.VIEW_SATISFACTION, "nav.section_read"),
    PageSpec("evaluation.py", "nav.evaluation", ":material/leaderboard:",
             Action.VIEW_EVALUATION, "nav.section_read"),
    PageSpec("orders.py", "nav.orders", ":material/list_alt:", Action.VIEW_ORDERS,
             "nav.section_work"),
    PageSpec("surveys.py", "nav.surveys", ":material/assignment:", Action.RECORD_SURVEY,
             "nav.section_work"),
    PageSpec("needs.py", "nav.needs", ":material/grid_view:", Action.VIEW_NEEDS,
             "nav.section_work"),
    PageSpec("dispatch.py", "nav.dispatch", ":material/send:", Action.DISPATCH, "nav.section_work"),
    PageSpec("review.py", "nav.review", ":material/fact_check:", Action.REVIEW,
             "nav.section_work"),
    PageSpec("my_orders.py", "nav.my_orders", ":material/assignment_ind:", Action.WORK_ORDERS,
             "nav.section_work"),
    PageSpec("ratings.py", "nav.ratings", ":material/star:", Action.RATE, "nav.section_work"),
    PageSpec("escalation.py", "nav.escalation", ":material/campaign:", Action.VIEW_ESCALATION,
             "nav.section_work"),
    PageSpec("campaigns.py", "nav.campaigns", ":material/flag:", Action.VIEW_CAMPAIGNS,
             "nav.section_work"),
    PageSpec("follow_ups.py", "nav.follow_ups", ":material/phone_in_talk:", Action.FOLLOW_UP,
             "nav.section_work"),
    PageSpec("households.py", "nav.households", ":material/home:", Action.VIEW_HOUSEHOLDS,
             "nav.section_work"),
    PageSpec("contacts.py", "nav.contacts", ":material/diversity_3:", Action.VIEW_HOUSEHOLDS,
             "nav.section_work"),
    PageSpec("duty.py", "nav.duty", ":material/event_available:", Action.VIEW_ROTA,
             "nav.section_work"),
    PageSpec("menu.py", "nav.menu", ":material/restaurant_menu:", Action.VIEW_MENU,
             "nav.section_manage"),
    PageSpec("projects.py", "nav.projects", ":material/savings:",
             Action.VIEW_PROJECTS, "nav.section_manage"),
    PageSpec("start.py", "nav.start", ":material/checklist:", Action.MANAGE_SITES,
             "nav.section_manage"),
    PageSpec("sites.py", "nav.sites", ":material/account_tree:", Action.MANAGE_SITES,
             "nav.section_manage"),
    PageSpec("teams.py", "nav.teams", ":material/groups:", Action.MANAGE_TEAMS,
             "nav.section_manage"),
    PageSpec("volunteers.py", "nav.volunteers", ":material/volunteer_activism:",
             Action.MANAGE_VOLUNTEERS, "nav.section_manage"),
    PageSpec("points_store.py", "points_store.nav", ":material/storefront:", Action.MANAGE_POINTS,
             "nav.section_manage"),
    PageSpec("certificates.py", "certificates.nav", ":material/workspace_premium:",
             Action.ISSUE_CERTIFICATES, "nav.section_manage"),
    PageSpec("users.py", "nav.users", ":material/manage_accounts:", Action.MANAGE_USERS,
             "nav.section_manage"),
    PageSpec("settings.py", "nav.settings", ":material/settings:", Action.MANAGE_SETTINGS,
             "nav.section_manage"),
    PageSpec("account.py", "nav.account", ":material/key:", Action.CHANGE_OWN_PASSWORD,
             "nav.section_me"),
)


def url_path(spec: PageSpec) -> str:
    return spec.file.removesuffix(".py")


def pages_for(actor: Actor, badges: dict[str, int] | None = None) -> dict[str, list]:
    """st.navigation's sections for a role; badges add a count after a page title."""
    sections: dict[str, list] = {}
    for spec in PAGES:
        if not allowed(actor.role, spec.action):
            continue
        title = t(spec.title_key)
        count = (badges or {}).get(spec.file)
        if count:
            title = f"{title} ({count})"
        page = st.Page(f"pages/{spec.file}", title=title, icon=spec.icon,
                       url_path=url_path(spec))
        sections.setdefault(t(spec.section), []).append(page)
    return sections


def first_page(s, actor: Actor) -> str:
    """The url_path a signed-in user whose password is settled starts on: the getting-started
    checklist of a new town, else the first page of the role's menu."""
    if getting_started.lands_here(s, actor=actor):
        return "start"
    return url_path(next(spec for spec in PAGES if allowed(actor.role, spec.action)))


def landing(actor: Actor) -> str:
    """The url_path of the first screen a login lands on: 账号 while the password must be
    changed, else `first_page` — the page the hidden home page forwards to (app.py, with_home)."""
    if session.must_change_password(actor):
        return "account"
    with db.session() as s:
        return first_page(s, actor)


def with_home(sections: dict[str, list], first: str) -> dict[str, list]:
    """Add a hidden default page that forwards to the page whose url_path is `first`
    (`first_page`'s answer).

    Streamlit serves the default page only at "/", never at its own url_path, so a real page
    that is default could not be deep-linked. The hidden home page takes that role instead.
    """
    pages = [p for ps in sections.values() for p in ps]
    target = next((p for p in pages if p.url_path == first), pages[0])

    def home() -> None:
        st.switch_page(target)

    sections = {k: list(v) for k, v in sections.items()}
    key = next(iter(sections))
    sections[key].insert(0, st.Page(home, title=target.title, url_path="home", default=True,
                                    visibility="hidden"))
    return sections


def placeholders(view) -> list:
    """Logged out: every page URL shows the login form, so a deep link logs in and lands there."""
    return [st.Page(view, title=t(spec.title_key), icon=spec.icon, url_path=url_path(spec))
            for spec in PAGES]
