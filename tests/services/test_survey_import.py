"""Surveys from Excel: a valid file is imported whole; a bad row, a wrong column, an oversized
or non-spreadsheet file is refused with the row and column named, and nothing is written."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from models import AuditAction, AuditLog, Need, Survey
from services import catalog, survey_import
from services.errors import Forbidden, Invalid
from tests.services.steps import T0, count
from ui.i18n import words_in

ZH = words_in("zh")

HEAD = list(survey_import.HEADERS)
GOOD = [
    ["东村", "2026-03-01", "李大娘家", 3, "理论宣讲", "", "想听防诈骗讲座", "最想听"],
    ["东村", datetime(2026, 3, 1), "李大娘家", 3, "健康促进与体育服务", "", "量血压", "最想要"],
    ["西村", date(2026, 2, 20), "西村敬老院", 30, "理论宣讲", "防诈骗讲座", "", "最想看"],
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


@pytest.fixture
def menu_item(session, town):
    return catalog.create_item(session, actor=town.manager, title="防诈骗讲座",
                               category_id=town.category)


def nothing_written(session):
    assert (count(session, Survey), count(session, Need)) == (0, 0)


def test_a_valid_file_is_previewed_then_imported_as_two_surveys_with_three_needs(
        session, town, menu_item):
    content = xlsx(GOOD)
    shown = survey_import.preview(session, actor=town.manager, content=content, now=T0)
    assert shown.ok and (shown.surveys, shown.needs) == (2, 3)
    assert [r["row"] for r in shown.rows] == [2, 3, 4]
    nothing_written(session)  # a preview writes nothing

    survey_import.import_file(session, actor=town.manager, content=content, file_name="三月.xlsx",
                          now=T0)
    saved = session.exec(select(Survey).order_by(Survey.id)).all()
    assert [(s.site_id, s.surveyed_on, s.respondent, s.people_covered) for s in saved] == [
        (town.village_a, date(2026, 3, 1), "李大娘家", 3),
        (town.village_b, date(2026, 2, 20), "西村敬老院", 30)]
    lines = session.exec(select(Need).order_by(Need.id)).all()
    assert [(n.survey_id, n.text, n.priority.value, n.item_id) for n in lines] == [
        (saved[0].id, "想听防诈骗讲座", "hear", None), (saved[0].id, "量血压", "get", None),
        (saved[1].id, "", "see", menu_item.id)]
    audit = session.exec(select(AuditLog)
                         .where(AuditLog.action == AuditAction.surveys_import)).one()
    assert (audit.actor_id, audit.target, audit.detail) == (town.manager.id, "三月.xlsx",
                                                            "surveys=2 needs=3")


@pytest.mark.parametrize("column,value,header,key", [
    (0, "南村", "村（站）", "error.import_site"),
    (0, "", "村（站）", "error.required"),
    (1, "2026-02-30", "调查日期", "error.import_date"),
    (1, "下周一", "调查日期", "error.import_date"),
    (1, "2026-03-05", "调查日期", "error.survey_date_future"),
    (2, "", "受访对象", "error.required"),
    (3, 0, "覆盖人数", "error.number_range"),
    (3, "三", "覆盖人数", "error.number"),
    (4, "法律服务", "服务类别", "error.import_category"),
    (5, "不存在的项目", "服务项目", "error.import_item"),
    (6, "", "需求内容", "error.required"),
    (7, "最想玩", "需求类型", "error.import_priority"),
])
def test_each_kind_of_bad_row_is_named_by_row_and_column_and_nothing_is_written(
        session, town, menu_item, column, value, header, key):
    rows = [list(r) for r in GOOD]
    rows[1][column] = value
    rows[1][5] = "" if column != 5 else value
    content = xlsx(rows)
    shown = survey_import.preview(session, actor=town.manager, content=content, now=T0)
    assert not shown.ok
    assert [(e.row, e.column, e.key) for e in shown.errors] == [(3, header, key)]
    with pytest.raises(Invalid) as err:
        survey_import.import_file(session, actor=town.manager, content=content, now=T0)
    assert err.value.key == "error.import_has_errors"
    session.rollback()
    nothing_written(session)


def test_a_village_outside_the_managers_sites_is_unknown(session, town):
    rows = [["东村", "2026-03-01", "李家", 3, "理论宣讲", "", "讲座", "最想听"]]
    shown = survey_import.preview(session, actor=town.outsider, content=xlsx(rows), now=T0)
    assert [(e.row, e.column, e.key) for e in shown.errors] == [
        (2, "村（站）", "error.import_site")]


@pytest.mark.parametrize("head,column,found", [
    (HEAD[:2] + ["受访人"] + HEAD[3:], "C", "受访人"),
    (HEAD[:7], "H", ""),
    (HEAD + ["备注"], "J", "备注"),
    (HEAD[:8] + ["备注"], "I", "备注"),   # the household column, misnamed
])
def test_a_wrong_column_refuses_the_whole_file_naming_the_column(session, town, head, column,
                                                                 found):
    with pytest.raises(Invalid) as err:
        survey_import.preview(session, actor=town.manager, content=xlsx(GOOD[:1], head=head),
                              now=T0)
    assert err.value.key == "error.import_column"
    assert (err.value.params["column"], err.value.params["found"]) == (column, found)


def test_a_50_mb_file_is_refused_before_it_is_read(session, town, monkeypatch):
    def never(_content):
        raise AssertionError("parsed an oversized file")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    big = b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024)
    for call in (survey_import.preview, survey_import.import_file):
        with pytest.raises(Invalid) as err:
            call(session, actor=town.manager, content=big, now=T0)
        assert (err.value.key, err.value.params["maximum"]) == ("error.import_too_big", 5)
    nothing_written(session)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("content,key", [
    ("村（站）,调查日期\n东村,2026-03-01\n".encode(), "error.import_not_xlsx"),   # a CSV
    (b"%PDF-1.7\n", "error.import_not_xlsx"),
    (b"PK\x03\x04 not really a zip", "error.import_not_xlsx"),
    (zipped({"word/document.xml": b"<w/>"}), "error.import_not_xlsx"),               # a .docx
    (zipped({"xl/workbook.xml": b"<broken"}), "error.import_unreadable"),
    (zipped({"xl/workbook.xml": b"<a/>", "big.bin": b"\0" * (60 * 1024 * 1024)}),
     "error.import_too_big"),                                                       # a zip bomb
    (xlsx([]), "error.import_empty"),
])
def test_a_file_that_is_not_a_usable_spreadsheet_is_refused(session, town, content, key):
    with pytest.raises(Invalid) as err:
        survey_import.import_file(session, actor=town.manager, content=content, now=T0)
    assert err.value.key == key
    nothing_written(session)


def test_only_managers_import(session, town):
    with pytest.raises(Forbidden):
        survey_import.preview(session, actor=town.officer, content=xlsx(GOOD), now=T0)


def test_the_template_has_the_import_header_and_imports_nothing_as_it_is(session, town):
    content = survey_import.template(session, actor=town.manager, words=ZH)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEAD
    with pytest.raises(Invalid) as err:
        survey_import.preview(session, actor=town.manager, content=content, now=T0)
    assert err.value.key == "error.import_empty"


def test_an_officers_sheet_with_a_merged_title_row_and_handwritten_dates_imports(
        session, town, menu_item):
    """The most common shape of an officer's sheet: a merged title above the header, dates
    as 2026年3月1日 and counts as 12人."""
    book = Workbook()
    sheet = book.active
    sheet.append(["青山镇群众需求调查表（2026年3月）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEAD))
    sheet.append(HEAD)
    sheet.append(["东村", "2026年3月1日", "李大娘家", "3人", "理论宣讲", "", "想听防诈骗讲座",
                  "最想听"])
    sheet.append(["西村", "2026 年 2 月 20 日", "西村敬老院", "12 人", "理论宣讲", "防诈骗讲座", "",
                  "最想看"])
    sheet.append(["西村", "2026年2月30日", "王家", "十二人", "理论宣讲", "", "修路", "最想要"])
    buffer = io.BytesIO()
    book.save(buffer)
    shown = survey_import.preview(session, actor=town.manager, content=buffer.getvalue(), now=T0)
    assert [r["row"] for r in shown.rows] == [3, 4, 5]  # Excel's own row numbers
    # the impossible date and the count in words are still refused, by row and column
    assert [(e.row, e.column, e.key) for e in shown.errors] == [
        (5, "调查日期", "error.import_date"), (5, "覆盖人数", "error.number")]

    good = io.BytesIO()
    sheet.delete_rows(5)
    book.save(good)
    survey_import.import_file(session, actor=town.manager, content=good.getvalue(), now=T0)
    saved = session.exec(select(Survey).order_by(Survey.id)).all()
    assert [(s.surveyed_on, s.people_covered) for s in saved] == [(date(2026, 3, 1), 3),
                                                                   (date(2026, 2, 20), 12)]
