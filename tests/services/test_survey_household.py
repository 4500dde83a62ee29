"""A survey names the registered household it was about: on the form (surveys.record) and in the
import's 登记户 column, checked like the other columns; bad names change nothing."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import Household, Need, Survey
from services import exports, households, survey_import, surveys
from services.errors import Invalid, NotFound, Problems
from services.households import HouseholdInput
from tests.services.steps import T0, count
from tests.services.test_survey_import import HEAD, xlsx
from ui.i18n import words_in

NEED = [surveys.NeedInput(category_id=None, priority="hear", text="想听防诈骗讲座")]


def _household(session, town, head="王大伯", address="东村一组 3 号", site=None):
    return households.create(session, actor=town.officer, raw=HouseholdInput(
        site_id=site or town.village_a, head_name=head, address=address, people=3))


def _need(town):
    return [surveys.NeedInput(category_id=town.category, priority="hear", text="想听防诈骗讲座")]


def _record(session, town, **overrides):
    args = {"actor": town.officer, "site_id": town.village_a, "surveyed_on": T0.date(),
            "respondent": "", "people_covered": 3, "needs": _need(town), "now": T0}
    args.update(overrides)
    return surveys.record(session, **args)


def _nothing(session):
    assert (count(session, Survey), count(session, Need)) == (0, 0)


def test_a_survey_of_a_registered_household_is_kept_with_it_and_named_by_its_head(session,
                                                                                  town):
    h = _household(session, town)
    survey = _record(session, town, household_id=h.id)
    assert (survey.household_id, survey.respondent) == (h.id, "王大伯")
    said = _record(session, town, household_id=h.id, respondent="王大伯的儿子")
    assert (said.household_id, said.respondent) == (h.id, "王大伯的儿子")


def test_without_a_household_the_respondent_is_still_required(session, town):
    with pytest.raises(Exception) as err:
        _record(session, town)
    assert err.value.key == "error.required"
    _nothing(session)


def test_a_household_of_another_village_or_gone_is_refused_and_nothing_is_written(session,
                                                                                 town):
    west = _household(session, town, head="赵大妈", site=town.village_b)
    with pytest.raises(Invalid) as err:
        _record(session, town, household_id=west.id, respondent="赵大妈")
    assert err.value.key == "error.survey_household.site"
    gone = _household(session, town, head="钱大爷")
    households.update(session, actor=town.officer, household_id=gone.id, active=False,
                      raw=HouseholdInput(site_id=town.village_a, head_name="钱大爷",
                                         address="东村一组 3 号", people=3))
    with pytest.raises(Problems) as err:
        _record(session, town, household_id=gone.id, people_covered=0)
    assert {p.key for p in err.value.problems} >= {"error.survey_household.gone",
                                                   "error.number_range"}
    _nothing(session)


def test_another_sites_household_is_not_told_of(session, town):
    h = _household(session, town)
    with pytest.raises(NotFound):
        _record(session, town, actor=town.outsider, site_id=town.other_station,
                household_id=h.id)
    with pytest.raises(NotFound):
        _record(session, town, household_id=10_000)
    _nothing(session)


# --- the import's 登记户 column ------------------------------------------------------------------


def test_the_import_links_rows_to_households_by_head_and_groups_them(session, town):
    h = _household(session, town)
    rows = [
        ["东村", "2026-03-01", "", 3, "理论宣讲", "", "想听防诈骗讲座", "最想听", "王大伯"],
        ["东村", "2026-03-01", "", 3, "理论宣讲", "", "想看电影", "最想看", "王大伯"],
        ["东村", "2026-03-01", "李大娘家", 3, "理论宣讲", "", "想听讲座", "最想听", ""],
    ]
    shown = survey_import.preview(session, actor=town.manager, content=xlsx(rows), now=T0)
    assert shown.ok and (shown.surveys, shown.needs) == (2, 3)
    survey_import.import_file(session, actor=town.manager, content=xlsx(rows), now=T0)
    got = sorted(session.exec(select(Survey.respondent, Survey.household_id)).all(),
                 key=lambda r: r[0])
    assert got == sorted([("王大伯", h.id), ("李大娘家", None)], key=lambda r: r[0])
    # The export carries the household's head (not its address or phone) in the same column.
    book = exports.export_surveys(session, actor=town.manager, words=words_in("zh"))
    sheet = load_workbook(io.BytesIO(book)).active
    header = [c.value for c in sheet[1]]
    column = header.index("登记户（户主）")
    heads = sorted(str(r[column].value or "") for r in sheet.iter_rows(min_row=2))
    assert heads == ["", "王大伯", "王大伯"]


@pytest.mark.parametrize("head,key", [
    ("张三", "error.survey_household.unknown"),
    ("王大伯", "error.survey_household.ambiguous"),
])
def test_an_unknown_or_ambiguous_household_is_named_by_row_and_column(session, town, head,
                                                                      key):
    _household(session, town)
    _household(session, town, address="东村二组 8 号")  # a second 王大伯 in 东村
    rows = [["东村", "2026-03-01", "", 3, "理论宣讲", "", "讲座", "最想听", head]]
    shown = survey_import.preview(session, actor=town.manager, content=xlsx(rows), now=T0)
    assert [(e.row, e.column, e.key) for e in shown.errors] == [(2, "登记户（户主）", key)]
    with pytest.raises(Invalid):
        survey_import.import_file(session, actor=town.manager, content=xlsx(rows), now=T0)
    session.rollback()
    _nothing(session)


def test_a_household_of_another_village_is_unknown_there(session, town):
    _household(session, town, head="赵大妈", site=town.village_b)
    rows = [["东村", "2026-03-01", "", 3, "理论宣讲", "", "讲座", "最想听", "赵大妈"]]
    shown = survey_import.preview(session, actor=town.manager, content=xlsx(rows), now=T0)
    assert [e.key for e in shown.errors] == ["error.survey_household.unknown"]


def test_a_file_from_the_old_template_without_the_column_is_still_read(session, town):
    rows = [["东村", "2026-03-01", "李家", 3, "理论宣讲", "", "讲座", "最想听"]]
    shown = survey_import.preview(session, actor=town.manager,
                                  content=xlsx(rows, head=HEAD[:8]), now=T0)
    assert shown.ok and shown.surveys == 1
    assert count(session, Household) == 0
