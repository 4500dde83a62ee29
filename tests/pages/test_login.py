"""The first screen of an empty installation, the login form, and the forced password change."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core import db
from models import Role, Site, User
from services import users
from tests.factories import PASSWORD
from tests.pages.conftest import (
    en,
    goto,
    open_app,
    page_alone,
    run,
    shows_no_data,
    submit,
    values,
    zh,
)


def _fill(at, **fields):
    for key, value in fields.items():
        at.text_input(key=key).input(value)


def _users(url) -> list[str]:
    with db.session(url) as s:
        return list(s.exec(select(User.username)))


def _sites(url) -> list[str]:
    with db.session(url) as s:
        return list(s.exec(select(Site.name)))


# --- setup ------------------------------------------------------------------------------------


def test_setup_creates_the_first_manager_and_then_shows_the_login_form(empty_url):
    at = open_app()
    _fill(at, setup_centre="青山镇新时代文明实践所", setup_username="zhang",
          setup_display="张站长", setup_password="a good password", setup_again="a good password")
    submit(at, zh("setup.create"))
    with db.session(empty_url) as s:
        user = users.by_username(s, "zhang")
        assert user is not None and user.role.value == "manager"
        assert s.get(Site, user.site_id).name == "青山镇新时代文明实践所"
    assert "login_username" in [w.key for w in at.text_input]
    assert "setup_username" not in [w.key for w in at.text_input]


def test_setup_with_passwords_that_differ_writes_nothing(empty_url):
    at = open_app()
    _fill(at, setup_centre="青山镇", setup_username="zhang", setup_display="张站长",
          setup_password="a good password", setup_again="another password")
    submit(at, zh("setup.create"))
    assert values(at.error) == [zh("error.password_mismatch")]
    assert _users(empty_url) == [] and _sites(empty_url) == []


def test_setup_with_a_short_password_says_so_in_chinese_and_writes_nothing(empty_url):
    at = open_app()
    _fill(at, setup_centre="青山镇", setup_username="zhang", setup_display="张站长",
          setup_password="short", setup_again="short")
    submit(at, zh("setup.create"))
    assert values(at.error) == [zh("error.password_short", minimum=users.MIN_PASSWORD_CHARS)]
    assert "密码至少需要" in at.error[0].value
    assert _users(empty_url) == [] and _sites(empty_url) == []


# --- login ------------------------------------------------------------------------------------


def _login(at, username, password):
    _fill(at, login_username=username, login_password=password)
    return submit(at, zh("auth.login"))


def test_a_wrong_password_is_refused_with_one_message(world):
    at = _login(open_app(), "mgr", "not the password")
    assert values(at.error) == [zh("error.login_failed")]
    assert "user_id" not in at.session_state
    assert shows_no_data(at)


def test_the_right_password_logs_in_and_opens_the_first_page_of_the_role(world):
    at = _login(open_app(), "mgr", PASSWORD)
    assert at.session_state["user_id"] == world.town.manager.id
    assert values(at.title) == [zh("overview.title")]
    assert len(at.metric) >= 8
    assert "login_password" not in at.session_state  # the password does not stay in the session


def test_logging_in_keeps_the_language_the_user_chose_last_time(world):
    """The user's saved language is applied at login and must survive the language switch that
    was already drawn on the login screen (it still holds 中文 from there)."""
    with db.write_session(world.url) as s:
        users.set_language(s, user_id=world.town.manager.id, language="en")
    at = _login(open_app(), "mgr", PASSWORD)
    with db.session(world.url) as s:
        saved = s.get(User, world.town.manager.id).language
    assert (values(at.title), saved) == ([en("overview.title")], "en")


@pytest.fixture
def newcomer(world):
    """An officer added by the manager with a temporary password."""
    with db.write_session(world.url) as s:
        user, temp = users.create(s, actor=world.town.manager, username="newbie",
                                  display_name="新同事", role=users.Role.officer,
                                  site_id=world.town.station)
    return user.id, temp


def test_a_temporary_password_only_opens_the_account_page_until_it_is_changed(world, newcomer):
    user_id, temp = newcomer
    at = _login(open_app(), "newbie", temp)
    assert at.session_state["user_id"] == user_id
    assert values(at.title) == [zh("account.title")]
    assert values(at.warning) == [zh("account.must_change")]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/orders.py")
    with db.session(world.url) as s:
        actor = users.actor(s, user_id)
    direct = page_alone("orders.py", actor)  # nor through a direct visit on a fresh server
    assert values(direct.title) == [zh("account.title")] and not direct.dataframe

    _fill(at, pw_old=temp, pw_new="my own password", pw_again="my own password")
    submit(at, zh("account.change"))
    assert values(at.success) == [zh("account.changed")]
    with db.session(world.url) as s:
        user = s.get(User, user_id)
        assert not user.must_change_password
        assert users._check("my own password", user.password_hash)

    goto(at, "orders.py")  # now in the officer's menu
    assert values(at.title) == [zh("orders.title")]
    assert at.session_state["user_id"] == user_id  # the change did not log this session out


def test_the_session_state_check_catches_what_does_not_pickle(world):
    """The guard the page tests rely on instead of runner.enforceSerializableSessionState."""
    at = open_app(world.town.manager)
    at.session_state["not_an_id"] = lambda: None
    with pytest.raises(pytest.fail.Exception, match="not_an_id"):
        run(at)


def test_the_login_screen_warns_while_a_demo_account_is_active(world):
    banner = f":material/warning: {zh('demo.banner')}"
    at = open_app()
    assert banner not in values(at.caption)
    with db.write_session(world.url) as s:
        users.create(s, actor=world.town.manager, username="leader", display_name="演示领导",
                     role=Role.leader, site_id=world.town.station, password=users.DEMO_PASSWORD)
    at = open_app()
    assert banner in values(at.caption)
    # slim, and dismissible for the rest of the session
    at.button(key="demo_banner_hide").click()
    run(at)
    assert banner not in values(at.caption)
    run(at)
    assert banner not in values(at.caption)
