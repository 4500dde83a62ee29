"""Exports to Excel: user text stays text (never a formula), the words are the reader's, and
every export is audited."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import AuditAction, AuditLog
from services import catalog, exports, needs, survey_import, surveys
from services.errors import Invalid
from services.surveys import NeedInput
from tests.services.steps import T0
from ui.i18n import words_in

ZH, EN = words_in("zh"), words_in("en")


def _sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def test_the_survey_export_writes_user_text_as_text_never_a_formula(session, town):
    evil = '=HYPERLINK("http://evil.example","点我")'
    surveys.record(session, actor=town.officer, site_id=town.village_a,
                   surveyed_on=date(2026, 3, 1), respondent="+1 王家", people_covered=2,
                   needs=[NeedInput(category_id=town.category, priority="hear", text=evil)],
                   now=T0)
    content = exports.export_surveys(session, actor=town.manager, words=ZH)
    assert "<f>" not in _sheet_xml(content)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    values = [c.value for c in sheet[2]]
    assert values[:8] == ["东村", datetime(2026, 3, 1), "+1 王家", 2, "理论宣讲", None, evil,
                          "最想听"]
    # a real date cell, so Excel/WPS filter and sort it by date (text dates do neither)
    assert sheet.cell(2, 2).is_date and sheet.cell(2, 2).number_format == "yyyy-mm-dd"
    assert values[8] is None  # no registered household (登记户)
    assert values[10:] == ["待处理", None]
    assert session.exec(select(AuditLog.detail)
                        .where(AuditLog.action == AuditAction.surveys_export)).one() == "rows=1"
    # the export's own columns (officer, state, order) are not part of an import
    with pytest.raises(Invalid) as err:
        survey_import.preview(session, actor=town.manager, content=content, now=T0)
    assert (err.value.key, err.value.params["column"]) == ("error.import_column", "J")


def test_the_menu_export_has_the_figures_and_flags(session, town):
    catalog.create_item(session, actor=town.manager, title="=1+1", category_id=town.category)
    content = exports.export_menu(session, actor=town.leader, words=ZH)
    assert "<f>" not in _sheet_xml(content)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["服务类别", "服务项目", "状态"]
    assert [c.value for c in sheet[2]][:3] == ["理论宣讲", "=1+1", "在用"]
    assert needs.heat(session, actor=town.leader).empty


def test_an_english_reader_gets_english_words_and_the_import_format_stays(session, town):
    surveys.record(session, actor=town.officer, site_id=town.village_a,
                   surveyed_on=date(2026, 3, 1), respondent="王家", people_covered=2,
                   needs=[NeedInput(category_id=town.category, priority="see", text="看电影")],
                   now=T0)
    sheet = load_workbook(io.BytesIO(
        exports.export_surveys(session, actor=town.manager, words=EN))).worksheets[0]
    head = [c.value for c in sheet[1]]
    assert head[:9] == list(survey_import.HEADERS)      # the file format
    assert head[9:] == [EN("export.officer"), EN("export.state"), EN("export.order_code")]
    assert [c.value for c in sheet[2]][7:11] == ["最想看", None, "OFF", EN("need_state.open")]
    catalog.create_item(session, actor=town.manager, title="电影下乡", category_id=town.category)
    menu_sheet = load_workbook(io.BytesIO(
        exports.export_menu(session, actor=town.leader, words=EN))).worksheets[0]
    assert menu_sheet.title == EN("menu.title")
    assert [c.value for c in menu_sheet[1]][:3] == ["Service category", "Service item", "Status"]
    assert [c.value for c in menu_sheet[2]][2] == EN("menu.active")


def test_the_template_speaks_the_readers_language_around_the_chinese_format(session, town):
    book = load_workbook(io.BytesIO(survey_import.template(session, actor=town.manager,
                                                           words=EN)))
    assert [c.value for c in book.worksheets[0][1]] == list(survey_import.HEADERS)
    assert book.sheetnames == [survey_import.SHEET, EN("survey_template.lists_sheet"),
                               EN("survey_template.notes_sheet")]
    notes = [row[0].value for row in book[EN("survey_template.notes_sheet")].iter_rows()]
    assert notes[3] == EN("survey_template.note_4", priorities="最想听、最想看、最想要")
    assert "5 MB" in notes[4] and "2000" in notes[4]


def test_a_wide_export_prints_landscape_fitted_to_the_page_width(session, town):
    content = exports.export_menu(session, actor=town.leader, words=ZH)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # one page wide (1 is the default, which the file leaves out), as many pages tall as needed
    assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"  # the header on every printed page
