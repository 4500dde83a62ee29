"""志愿者名册 from Excel: a valid roster is previewed then imported whole; each kind of bad row
is named by row and column and nothing is written; an already registered phone is reported and
updated only when asked; a 5,000-row roster goes through with progress; the template reads back."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from models import AuditLog, Gender, Volunteer, VolunteerSkill, VolunteerTeam
from services import experts, roster_import, volunteers
from services.errors import Forbidden, Invalid
from tests.services.steps import T0, count
from ui.i18n import words_in

HEAD = list(roster_import.HEADERS)


def xlsx(rows, head=HEAD) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(head)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def skills(session):
    experts.ensure_default_skills(session)
    session.commit()


GOOD = [["李梅", "13900000001", "女", "东村", "宣讲支队", "是", "医疗、心理", "2026-01-05"],
        ["王强", 13900000002, "男", "西村", "宣讲支队，健康支队", "否", "", date(2025, 5, 1)],
        ["赵兰", "13900000003", "女", "青山镇", "", "", "维修", "2024/12/01"]]


def test_a_valid_roster_is_previewed_then_imported(session, town, skills):
    content = xlsx(GOOD)
    shown = roster_import.preview(session, actor=town.manager, content=content, now=T0)
    assert shown.ok and shown.new == 3 and shown.existing == []
    assert count(session, Volunteer) == 3   # the town's own three: a preview writes nothing
    done = roster_import.import_file(session, actor=town.manager, content=content,
                                     update_existing=False, file_name="名册.xlsx", now=T0)
    assert done == {"added": 3, "updated": 0, "skipped": 0}
    wang = session.exec(select(Volunteer).where(Volunteer.phone == "13900000002")).one()
    assert (wang.gender, wang.party_member, wang.registered_on) == (Gender.male, False,
                                                                    date(2025, 5, 1))
    assert set(session.exec(select(VolunteerTeam.team_id)
                            .where(VolunteerTeam.volunteer_id == wang.id))) == {town.team_a,
                                                                               town.team_b}
    li = session.exec(select(Volunteer).where(Volunteer.phone == "13900000001")).one()
    assert len(session.exec(select(VolunteerSkill).where(VolunteerSkill.volunteer_id == li.id))
               .all()) == 2
    assert session.exec(select(AuditLog.detail).where(AuditLog.action == "volunteers.import")
                        ).one() == "added=3 updated=0 skipped=0"


@pytest.mark.parametrize("row, column, key", [
    (["", "13900000009", "女", "东村", "", "否", "", "2026-01-05"], "姓名", "error.required"),
    (["甲", "1390000", "女", "东村", "", "否", "", "2026-01-05"], "手机号", "error.phone_format"),
    (["甲", "13900000009", "F", "东村", "", "否", "", "2026-01-05"], "性别", "error.roster_gender"),
    (["甲", "13900000009", "女", "北村", "", "否", "", "2026-01-05"], "所属站点",
     "error.import_site"),
    (["甲", "13900000009", "女", "东村", "不存在队", "否", "", "2026-01-05"], "志愿服务队",
     "error.roster_team"),
    (["甲", "13900000009", "女", "东村", "", "也许", "", "2026-01-05"], "党员",
     "error.roster_yes_no"),
    (["甲", "13900000009", "女", "东村", "", "否", "算命", "2026-01-05"], "特长",
     "error.roster_skill"),
    (["甲", "13900000009", "女", "东村", "", "否", "", "2026-13-05"], "注册日期",
     "error.import_date"),
    (["甲", "13900000009", "女", "东村", "", "否", "", "2099-01-05"], "注册日期",
     "error.roster_future"),
    (["甲", "13800000000", "女", "东村", "", "否", "", "2026-01-05"], "手机号",
     "error.roster_phone_twice")])
def test_each_bad_row_is_named_and_nothing_is_written(session, town, skills, row, column, key):
    rows = GOOD + [row]
    if key == "error.roster_phone_twice":
        rows = GOOD + [row, row]
    content = xlsx(rows)
    shown = roster_import.preview(session, actor=town.manager, content=content, now=T0)
    assert not shown.ok
    assert [(e.row, e.column, e.key) for e in shown.errors][-1] == (len(rows) + 1, column, key)
    with pytest.raises(Invalid) as err:
        roster_import.import_file(session, actor=town.manager, content=content,
                                  update_existing=True, now=T0)
    assert err.value.key == "error.import_has_errors"
    assert count(session, Volunteer) == 3


def test_a_registered_phone_is_reported_and_updated_only_when_ticked(session, town, skills):
    row = ["志愿者零", "13800000000", "女", "西村", "健康支队", "是", "", "2025-01-01"]
    content = xlsx([row, GOOD[0]])
    shown = roster_import.preview(session, actor=town.manager, content=content, now=T0)
    assert shown.ok and shown.new == 1
    assert shown.existing == [{"row": 2, "phone": "13800000000", "name": "志愿者0"}]
    assert roster_import.import_file(session, actor=town.manager, content=content,
                                     update_existing=False, now=T0) == {
        "added": 1, "updated": 0, "skipped": 1}
    vol = session.get(Volunteer, town.volunteers_a[0])
    assert (vol.name, vol.site_id) == ("志愿者0", town.village_a)
    again = xlsx([row])
    assert roster_import.import_file(session, actor=town.manager, content=again,
                                     update_existing=True, now=T0)["updated"] == 1
    session.refresh(vol)
    assert (vol.name, vol.site_id, vol.party_member) == ("志愿者零", town.village_b, True)


def test_a_phone_registered_by_another_station_cannot_be_updated(session, town, skills):
    volunteers.create(session, actor=town.outsider, name="外镇人", phone="13700000001",
                      gender=Gender.male, site_id=town.other_station)
    shown = roster_import.preview(session, actor=town.manager, now=T0, content=xlsx(
        [["外镇人", "13700000001", "男", "东村", "", "否", "", "2026-01-01"]]))
    assert [e.key for e in shown.errors] == ["error.roster_phone_elsewhere"]


def test_wrong_columns_and_non_spreadsheets_are_refused_before_the_rows(session, town):
    with pytest.raises(Invalid) as err:
        roster_import.preview(session, actor=town.manager, content=xlsx(GOOD, head=HEAD[::-1]))
    assert err.value.key == "error.import_column"
    with pytest.raises(Invalid) as err:
        roster_import.preview(session, actor=town.manager, content=b"name,phone\n")
    assert err.value.key == "error.import_not_xlsx"
    with pytest.raises(Invalid) as err:
        roster_import.preview(session, actor=town.manager, content=b"PK\x03\x04" + b"0" * (
            6 * 1024 * 1024))
    assert err.value.key == "error.import_too_big"
    with pytest.raises(Forbidden):
        roster_import.preview(session, actor=town.officer, content=xlsx(GOOD))


def test_five_thousand_rows_go_through_with_progress(session, town, skills):
    rows = [[f"队员{i}", f"135{i:08d}", "女" if i % 2 else "男", "东村", "宣讲支队", "否",
             "教育", "2026-01-01"] for i in range(5000)]
    content = xlsx(rows)
    seen = []
    shown = roster_import.preview(session, actor=town.manager, content=content, now=T0,
                                  progress=lambda done, total: seen.append((done, total)))
    assert shown.ok and shown.new == 5000
    assert seen[0] == (250, 5000) and seen[-1] == (5000, 5000)
    roster_import.import_file(session, actor=town.manager, content=content,
                              update_existing=False, now=T0)
    assert count(session, Volunteer) == 5003


def test_the_template_reads_back_as_the_format(session, town, skills):
    book = load_workbook(io.BytesIO(roster_import.template(session, actor=town.manager,
                                                           words=words_in("zh"))))
    assert [c.value for c in book.worksheets[0][1]] == HEAD
    lists = list(book.worksheets[1].iter_rows(values_only=True))
    assert "东村" in {r[0] for r in lists} and "医疗" in {r[2] for r in lists}
