"""Who reaches which page: the role's menu, the guard on every page, and the logged-out visitor."""

from __future__ import annotations

import pytest

from services.permissions import allowed
from tests.pages.conftest import en, goto, open_app, page_alone, shows_no_data, values, zh
from ui.navigation import PAGES

ROLES = ("manager", "officer", "lead_a", "leader")
FORBIDDEN = "您没有权限进行此操作。"


def _title_key(spec) -> str:
    return spec.file.removesuffix(".py") + ".title"


def test_the_forbidden_message_is_the_one_the_guard_shows():
    assert zh("error.forbidden") == FORBIDDEN


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.file.removesuffix(".py"))
@pytest.mark.parametrize("who", ROLES)
def test_every_role_sees_its_pages_and_not_the_others(world, who, spec):
    actor = getattr(world.town, who)
    at = open_app(actor)
    if allowed(actor.role, spec.action):
        goto(at, spec.file)
        assert values(at.title) == [zh(_title_key(spec))]
        assert FORBIDDEN not in values(at.error)
    else:
        # Not in the role's navigation at all ...
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{spec.file}")
        # ... and a direct visit to the file before the first st.navigation on a fresh server
        # (when Streamlit serves pages/ by itself) is routed through app.py like any other:
        # the role's own pages and logout button, never this page.
        alone = page_alone(spec.file, actor)
        assert zh(_title_key(spec)) not in values(alone.title)
        assert [b.key for b in alone.sidebar.button] == ["logout_button"]


@pytest.mark.parametrize("who, first_title", [("manager", "overview.title"),
                                              ("officer", "orders.title"),
                                              ("lead_a", "my_orders.title"),
                                              ("leader", "overview.title")])
def test_each_role_lands_on_the_first_page_of_its_menu(world, who, first_title):
    at = open_app(getattr(world.town, who))
    assert values(at.title) == [zh(first_title)]
    assert [b.key for b in at.sidebar.button] == ["logout_button"]


def test_logged_out_the_app_shows_the_login_form(world):
    at = open_app()
    assert [w.key for w in at.text_input] == ["login_username", "login_password"]
    assert [b.label for b in at.get("form_submit_button")] == [zh("auth.login")]
    assert shows_no_data(at)


def test_on_an_empty_database_the_app_shows_the_setup_screen(empty_url):
    at = open_app()
    assert zh("setup.title") in values(at.title)
    assert "setup_username" in [w.key for w in at.text_input]
    assert "login_username" not in [w.key for w in at.text_input]


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.file.removesuffix(".py"))
def test_a_page_visited_directly_while_logged_out_asks_for_a_login_and_shows_no_data(world, spec):
    at = page_alone(spec.file)  # routed through app.py: its login form, which lands here
    assert [w.key for w in at.text_input] == ["login_username", "login_password"]
    assert shows_no_data(at) and not at.error


def test_a_deactivated_user_is_logged_out_on_the_next_run(world):
    from core import db
    from services import users

    at = open_app(world.town.officer)
    assert values(at.title) == [zh("orders.title")]
    with db.write_session(world.url) as s:
        users.set_active(s, actor=world.town.manager, user_id=world.town.officer.id, active=False)
    at.run()
    assert "login_username" in [w.key for w in at.text_input]
    assert "user_id" not in at.session_state


def test_logout_forgets_the_user_and_shows_the_login_form(world):
    at = open_app(world.town.manager)
    at.button(key="logout_button").click()
    at.run()
    assert not at.exception
    assert "user_id" not in at.session_state
    assert "login_username" in [w.key for w in at.text_input]


def test_the_interface_is_chinese_by_default_and_english_when_chosen(world):
    chinese = open_app(world.town.manager)
    assert values(chinese.title) == [zh("overview.title")]
    english = open_app(world.town.manager, lang="en")
    assert values(english.title) == [en("overview.title")]
    assert en("overview.title") != zh("overview.title")


def test_the_language_switch_changes_the_titles_and_remembers_the_choice(world):
    from core import db
    from models import User

    at = open_app(world.town.manager)
    at.segmented_control(key="lang_switch").set_value("en")
    at.run()
    assert not at.exception
    assert values(at.title) == [en("overview.title")]
    assert at.session_state["lang"] == "en"
    with db.session(world.url) as s:
        assert s.get(User, world.town.manager.id).language == "en"
    goto(at, "dispatch.py")
    assert values(at.title) == [en("dispatch.title")]


def test_the_login_screen_can_be_switched_to_english(world):
    at = open_app()
    at.segmented_control(key="lang_switch").set_value("en")
    at.run()
    assert not at.exception
    assert [b.label for b in at.get("form_submit_button")] == [en("auth.login")]
