"""站点 from the screens: add, rename, move and deactivate 所/站 within one's subtree, and a
list of villages from Excel, all or nothing."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import select

from core import db
from models import AuditLog, Gender, Role, Site, SiteLevel, Team, TeamTier, User, Volunteer
from services import orders, sites, teams, users, volunteers
from services.errors import Duplicate, Forbidden, Invalid, NotFound, Problems
from tests.factories import place


def _site(session, name) -> Site:
    return session.exec(select(Site).where(Site.name == name)).one()


def _names(db_url) -> set[str]:
    with db.session(db_url) as s:
        return set(s.exec(select(Site.name)))


def test_a_village_added_under_the_station_is_a_zhan_with_its_path(session, town):
    site = sites.add(session, actor=town.manager, name=" 南村 ", parent_id=town.station)
    station = session.get(Site, town.station)
    assert (site.name, site.level, site.path) == ("南村", SiteLevel.point,
                                                  f"{station.path}{site.id}/")
    assert session.exec(select(AuditLog).where(AuditLog.action == "site.create")).one()


def test_adding_lists_every_problem_at_once(session, town):
    with pytest.raises(Problems) as err:
        sites.add(session, actor=town.manager, name="", parent_id=None)
    assert [p.key for p in err.value.problems] == ["error.required", "error.choose"]


def test_a_name_taken_under_the_same_station_is_refused(session, town):
    with pytest.raises(Duplicate):
        sites.add(session, actor=town.manager, name="东村", parent_id=town.station)


def test_a_village_cannot_have_villages_below_it(session, town):
    with pytest.raises(Invalid) as err:
        sites.add(session, actor=town.manager, name="小组", parent_id=town.village_a)
    assert err.value.key == "error.site_no_children"


def test_a_manager_cannot_add_under_another_towns_station(session, town):
    with pytest.raises(NotFound):
        sites.add(session, actor=town.manager, name="外村", parent_id=town.other_station)


def test_officers_cannot_change_sites(session, town):
    with pytest.raises(Forbidden):
        sites.add(session, actor=town.officer, name="南村", parent_id=town.station)


def test_renaming_keeps_the_site_and_refuses_a_siblings_name(session, town):
    sites.rename(session, actor=town.manager, site_id=town.village_a, name="东村社区")
    assert session.get(Site, town.village_a).name == "东村社区"
    with pytest.raises(Duplicate):
        sites.rename(session, actor=town.manager, site_id=town.village_b, name="东村社区")


def test_moving_a_village_to_another_station_moves_its_path(session, town):
    boss = users.to_actor(session, users.by_username(session, "boss"))  # the county manager
    sites.move(session, actor=boss, site_id=town.village_a, parent_id=town.other_station)
    village, other = session.get(Site, town.village_a), session.get(Site, town.other_station)
    assert (village.parent_id, village.path) == (other.id, f"{other.path}{village.id}/")
    with pytest.raises(Invalid):  # a 站 goes under a 所, not under another 站
        sites.move(session, actor=boss, site_id=town.village_b, parent_id=town.village_a)


def test_a_site_with_open_orders_cannot_be_deactivated_and_the_count_is_given(session, town):
    place(session, town, title="一张", site_id=town.village_a)
    place(session, town, title="两张", site_id=town.village_a)
    with pytest.raises(Invalid) as err:
        sites.set_active(session, actor=town.manager, site_id=town.village_a, active=False)
    assert (err.value.key, err.value.params["count"]) == ("error.site_open_orders", 2)
    assert session.get(Site, town.village_a).active


def test_a_deactivated_village_takes_no_new_order_and_can_come_back(session, town):
    sites.set_active(session, actor=town.manager, site_id=town.village_b, active=False)
    with pytest.raises(Invalid) as err:
        orders.place(session, actor=town.officer, site_id=town.village_b,
                     category_id=town.category, title="新需求", source="phone")
    assert err.value.key == "error.site_inactive"
    sites.set_active(session, actor=town.manager, site_id=town.village_b, active=True)
    assert orders.place(session, actor=town.officer, site_id=town.village_b,
                        category_id=town.category, title="新需求", source="phone").id


def test_a_station_with_active_villages_or_ones_own_site_cannot_be_deactivated(session, town):
    with pytest.raises(Invalid) as err:
        sites.set_active(session, actor=town.manager, site_id=town.station, active=False)
    assert err.value.key == "error.site_own"


def test_the_tree_counts_open_orders_at_and_below_each_site(session, town):
    place(session, town, title="东村的", site_id=town.village_a)
    rows = {r["name"]: r for r in sites.tree(session, actor=town.manager)}
    assert rows["东村"]["open_orders"] == 1 and rows["西村"]["open_orders"] == 0
    assert rows["青山镇"]["open_orders"] == 1 and rows["青山镇"]["depth"] == 0
    assert rows["东村"]["depth"] == 1 and "绿水镇" not in rows


# --- import -------------------------------------------------------------------------------------


def _file(rows, *, title: str | None = None, head=sites.HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells("A1:B1")
    sheet.append(list(head))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_list_of_villages_is_imported_with_the_one_station_by_default(session, town, db_url):
    content = _file([("南村", ""), ("北村", "青山镇")], title="青山镇村（社区）名单")
    result = sites.import_villages(session, actor=town.manager, content=content, file_name="a")
    assert len(result.clean) == 2
    assert {"南村", "北村"} <= _names(db_url)
    assert _site(session, "北村").parent_id == town.station


def test_one_bad_row_imports_nothing_and_names_each_bad_cell(session, town, db_url):
    content = _file([("南村", ""), ("东村", ""), ("", ""), ("北村", "不存在镇"), ("南村", ""),
                     ("长" * 61, "")])
    result = sites.preview_villages(session, actor=town.manager, content=content)
    assert [(e.row, e.column, e.key) for e in result.errors] == [
        (3, "村（站）名称", "error.site_name_taken"),
        (5, "所属所", "error.import_station_missing"),
        (6, "村（站）名称", "error.import_site_twice"),
        (7, "村（站）名称", "error.site_name")]
    with pytest.raises(Invalid) as err:
        sites.import_villages(session, actor=town.manager, content=content)
    assert err.value.key == "error.import_has_errors"
    assert "南村" not in _names(db_url)


def test_a_file_with_the_wrong_header_is_refused(session, town):
    with pytest.raises(Invalid) as err:
        sites.preview_villages(session, actor=town.manager,
                               content=_file([("南村", "")], head=("村名", "所")))
    assert err.value.key == "error.import_column"


def test_the_template_reads_back_as_an_empty_file(session, town):
    with pytest.raises(Invalid) as err:
        sites.preview_villages(session, actor=town.manager, content=sites.template())
    assert err.value.key == "error.import_empty"


# --- a deactivated 站 takes no new account, team or volunteer -----------------------------------


def _close_village_b(session, town):
    sites.set_active(session, actor=town.manager, site_id=town.village_b, active=False)


def _refused(call) -> None:
    with pytest.raises(Invalid) as err:
        call()
    assert (err.value.key, err.value.params["name"]) == ("inactive_site.refused", "西村")


def test_no_new_account_team_or_volunteer_on_a_deactivated_village(session, town):
    assert session.get(Site, town.village_b).name == "西村"
    _close_village_b(session, town)
    before = {m: session.exec(select(func.count()).select_from(m)).one()
              for m in (User, Team, Volunteer)}
    _refused(lambda: users.create(session, actor=town.manager, username="xicun_off",
                                  display_name="西村文明实践员", role=Role.officer,
                                  site_id=town.village_b))
    _refused(lambda: teams.create(session, actor=town.manager, name="西村小分队",
                                  tier=TeamTier.corps, site_id=town.village_b,
                                  category_ids=(town.category,)))
    _refused(lambda: volunteers.create(session, actor=town.manager, name="西村人",
                                       phone="13800001111", gender=Gender.male,
                                       site_id=town.village_b))
    session.rollback()
    assert before == {m: session.exec(select(func.count()).select_from(m)).one()
                      for m in (User, Team, Volunteer)}


def test_the_refusal_comes_with_the_forms_other_problems(session, town):
    _close_village_b(session, town)
    with pytest.raises(Problems) as err:
        volunteers.create(session, actor=town.manager, name="", phone="123",
                          gender=Gender.male, site_id=town.village_b)
    assert "inactive_site.refused" in {p.key for p in err.value.problems}


def test_a_row_already_on_a_deactivated_village_keeps_its_site_when_edited(session, town):
    vol = volunteers.create(session, actor=town.manager, name="老西村", phone="13800002222",
                            gender=Gender.female, site_id=town.village_b)
    user, _ = users.create(session, actor=town.manager, username="xicun_old",
                           display_name="老站员", role=Role.officer, site_id=town.village_b)
    team = teams.create(session, actor=town.manager, name="西村老队", tier=TeamTier.corps,
                        site_id=town.village_b, category_ids=(town.category,))
    _close_village_b(session, town)
    volunteers.update(session, actor=town.manager, volunteer_id=vol.id, name="老西村人",
                      phone="13800002222", gender=Gender.female, site_id=town.village_b,
                      party_member=False, skills="", team_ids=(), active=True)
    users.update(session, actor=town.manager, user_id=user.id, display_name="老站员二",
                 role=Role.officer, site_id=town.village_b)
    teams.update(session, actor=town.manager, team_id=team.id, name="西村老队", tier=TeamTier.corps,
                 site_id=town.village_b, parent_id=None, category_ids=(town.category,),
                 lead_name="", phone="")
    assert (session.get(Volunteer, vol.id).name, session.get(User, user.id).display_name) == (
        "老西村人", "老站员二")


def test_a_row_cannot_move_onto_a_deactivated_village(session, town):
    vol = volunteers.create(session, actor=town.manager, name="东村人", phone="13800003333",
                            gender=Gender.male, site_id=town.village_a)
    _close_village_b(session, town)
    _refused(lambda: volunteers.update(
        session, actor=town.manager, volunteer_id=vol.id, name="东村人", phone="13800003333",
        gender=Gender.male, site_id=town.village_b, party_member=False, skills="", team_ids=(),
        active=True))
    _refused(lambda: users.update(session, actor=town.manager, user_id=town.officer.id,
                                  display_name="OFF", role=Role.officer, site_id=town.village_b))
    _refused(lambda: teams.update(
        session, actor=town.manager, team_id=town.team_a, name="宣讲队", tier=TeamTier.corps,
        site_id=town.village_b, parent_id=None, category_ids=(town.category,), lead_name="",
        phone=""))
    session.rollback()
    assert session.get(Volunteer, vol.id).site_id == town.village_a
