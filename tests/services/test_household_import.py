"""Households from Excel, the survey import's way: a valid file is registered whole; a bad cell,
a household already registered or twice in the file, a wrong header or a non-spreadsheet is
refused with row and column named, and nothing is written. The audit line names no one."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from models import AuditAction, AuditLog, Household, HouseholdTagLink
from services import household_import, households
from services.errors import Forbidden, Invalid
from services.households import HouseholdInput
from ui.i18n import words_in

HEAD = list(household_import.HEADERS)
GOOD = [
    ["东村", "王大伯", "东村一组 3 号", "13900000001", 3, "空巢老人、低保", ""],
    ["东村", "李婶", "东村二组 8 号", None, 2, "", "儿子在外务工"],
    ["西村", "赵家", "西村 12 号", 13900000002, 5, "留守儿童", None],
]


def xlsx(rows, head=HEAD) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(head)
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _count(session):
    return len(session.exec(select(Household)).all())


def test_a_valid_file_registers_every_household_with_its_tags(session, town):
    result = household_import.import_file(session, actor=town.manager, content=xlsx(GOOD),
                                          file_name="户.xlsx")
    assert result.households == 3 and _count(session) == 3
    wang = session.exec(select(Household).where(Household.head_name == "王大伯")).one()
    assert len(session.exec(select(HouseholdTagLink)
                            .where(HouseholdTagLink.household_id == wang.id)).all()) == 2
    zhao = session.exec(select(Household).where(Household.head_name == "赵家")).one()
    assert zhao.phone == "13900000002" and zhao.site_id == town.village_b
    log = session.exec(select(AuditLog).where(
        AuditLog.action == AuditAction.households_import.value)).one()
    assert "13900000001" not in log.detail + log.target and "王大伯" not in log.detail


@pytest.mark.parametrize("cells, column, key", [
    ({0: "南村"}, "村（站）", "error.import_site"),
    ({1: ""}, "户主姓名", "error.required"),
    ({2: None}, "住址", "error.required"),
    ({3: "123"}, "联系电话", "error.phone_format"),
    ({4: 0}, "家庭人口", "error.number_range"),
    ({4: "三"}, "家庭人口", "error.number"),
    ({5: "外星人"}, "标签", "error.import_tag"),
])
def test_each_bad_cell_is_named_and_nothing_is_written(session, town, cells, column, key):
    bad = list(GOOD[0])
    for i, v in cells.items():
        bad[i] = v
    content = xlsx([bad, GOOD[1]])
    preview = household_import.preview(session, actor=town.manager, content=content)
    assert [(e.row, e.column, e.key) for e in preview.errors] == [(2, column, key)]
    with pytest.raises(Invalid) as err:
        household_import.import_file(session, actor=town.manager, content=content)
    assert err.value.key == "error.import_has_errors"
    assert _count(session) == 0


def test_two_bad_cells_of_one_row_are_both_named(session, town):
    bad = ["东村", "", "", "1", 3, "", ""]
    preview = household_import.preview(session, actor=town.manager, content=xlsx([bad]))
    assert {e.column for e in preview.errors} == {"户主姓名", "住址", "联系电话"}


def test_a_household_twice_in_the_file_or_already_registered_is_a_bad_row(session, town):
    households.create(session, actor=town.manager, raw=HouseholdInput(
        site_id=town.village_b, head_name="赵家", address="西村 12 号", people=5))
    preview = household_import.preview(session, actor=town.manager,
                                       content=xlsx([*GOOD, GOOD[0]]))
    assert sorted((e.row, e.key) for e in preview.errors) == [
        (4, "error.household_taken"), (5, "error.import_household_twice")]


def test_a_wrong_header_or_a_non_spreadsheet_is_refused(session, town):
    with pytest.raises(Invalid) as err:
        household_import.preview(session, actor=town.manager,
                                 content=xlsx(GOOD, head=["村", *HEAD[1:]]))
    assert err.value.key == "error.import_column"
    with pytest.raises(Invalid) as err:
        household_import.preview(session, actor=town.manager, content=b"name,phone\n")
    assert err.value.key == "error.import_not_xlsx"


def test_a_village_of_another_station_is_not_found(session, town):
    preview = household_import.preview(session, actor=town.outsider, content=xlsx(GOOD[:1]))
    assert [e.key for e in preview.errors] == ["error.import_site"]


def test_only_managers_import(session, town):
    with pytest.raises(Forbidden):
        household_import.preview(session, actor=town.officer, content=xlsx(GOOD))


def test_the_template_has_the_header_and_the_lists(session, town):
    content = household_import.template(session, actor=town.manager, words=words_in("zh"))
    book = load_workbook(io.BytesIO(content), read_only=True)
    first = next(book.worksheets[0].iter_rows(values_only=True))
    assert list(first) == HEAD
    values = {v for row in book.worksheets[1].iter_rows(values_only=True) for v in row}
    assert {"东村", "西村", "空巢老人"} <= values
