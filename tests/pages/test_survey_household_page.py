"""The 需求调查 form's household picker: the chosen village's registered households, the survey
kept with the one chosen (its head as the respondent when none is typed), and the picker
starting empty again."""

from __future__ import annotations

from sqlmodel import select

from core import db
from models import Survey
from services import households
from services.households import HouseholdInput
from tests.pages.conftest import goto, open_app, run, values, zh


def _household(world, head, site):
    with db.write_session(world.url) as s:
        return households.create(s, actor=world.town.officer, raw=HouseholdInput(
            site_id=site, head_name=head, address="一组 3 号", people=3)).id


def _form(world):
    at = goto(open_app(world.town.officer), "surveys.py")
    at.selectbox(key="sv_site_0").set_value(world.town.village_a)
    return run(at)


def test_the_officer_picks_a_registered_household_and_the_survey_is_kept_with_it(world):
    east = _household(world, "王大伯", world.town.village_a)
    _household(world, "赵大妈", world.town.village_b)
    at = _form(world)
    picker = at.selectbox(key=f"sv_household_0_{world.town.village_a}")
    assert picker.value is None and picker.options == ["王大伯 · 一组 3 号"]  # 东村's only
    picker.set_value(east)
    run(at)
    at.text_input(key="sv_text_0_0").input("想听防诈骗讲座")
    at.button(key="sv_save").click()
    run(at)
    assert values(at.success) == [zh("surveys.recorded", needs=1)]
    with db.session(world.url) as s:
        survey = s.exec(select(Survey)).one()
    assert (survey.household_id, survey.respondent, survey.site_id) == (
        east, "王大伯", world.town.village_a)
    assert at.selectbox(key=f"sv_household_1_{world.town.village_a}").value is None


def test_a_village_without_households_says_so_and_surveys_as_before(world):
    at = _form(world)
    assert zh("survey_household.none_registered") in [c.value for c in at.caption]
    at.text_input(key="sv_resp_0").input("东村敬老院")
    at.text_input(key="sv_text_0_0").input("想听讲座")
    at.button(key="sv_save").click()
    run(at)
    with db.session(world.url) as s:
        assert s.exec(select(Survey.household_id, Survey.respondent)).all() == [
            (None, "东村敬老院")]
