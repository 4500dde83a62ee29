"""A deactivated 站 is not offered for a new account, team or volunteer (the services refuse it
too: tests/services/test_sites.py); a row already on it keeps showing its site when edited."""

from __future__ import annotations

from datetime import date

from core import db
from models import Gender
from services import sites, volunteers
from tests.pages.conftest import goto, open_app, run, select_row, table


def _close_west(world) -> int:
    """A volunteer on 西村, then 西村 deactivated; returns the volunteer's id."""
    with db.write_session(world.url) as s:
        vol = volunteers.create(s, actor=world.town.manager, name="西村老志愿者",
                                phone="13955556666", gender=Gender.male,
                                site_id=world.town.village_b, registered_on=date(2025, 2, 1))
        sites.set_active(s, actor=world.town.manager, site_id=world.town.village_b, active=False)
        return vol.id


def _manager_on(world, page):
    return goto(open_app(world.town.manager), page)


def test_the_account_form_offers_active_sites_only(world):
    _close_west(world)
    at = _manager_on(world, "users.py")
    options = at.selectbox(key="user_site_new").options
    assert "东村" in options and "西村" not in options


def test_the_team_form_offers_active_sites_only(world):
    _close_west(world)
    at = _manager_on(world, "teams.py")
    options = at.selectbox(key="team_site_None").options
    assert "东村" in options and "西村" not in options


def test_the_volunteer_form_offers_active_sites_but_an_existing_row_keeps_its_own(world):
    vid = _close_west(world)
    at = _manager_on(world, "volunteers.py")
    options = at.selectbox(key="vol_site_new").options
    assert "东村" in options and "西村" not in options
    names = list(table(at, "vol_table")["name"])
    run(select_row(at, "vol_table", names.index("西村老志愿者")))
    box = at.selectbox(key=f"vol_site_{vid}")
    assert box.value == world.town.village_b and "西村" in box.options
