"""Spreadsheets built to hurt: a bomb refused before parsing, a far-away cell that costs nothing,
and XML that breaks below <dimension> refused as unreadable, not raised as a traceback."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from services import survey_import, xlsx
from services.errors import Invalid
from tests.services.steps import T0

HEAD = list(survey_import.HEADERS)
ROW = ["东村", "2026-03-01", "李大娘家", 3, "理论宣讲", "", "想听防诈骗讲座", "最想听"]


def book(rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def rewrite(content: bytes, part: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, change(data) if info.filename == part else data)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def never_parsed(monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("parsed a file that should have been refused first")

    monkeypatch.setattr("openpyxl.load_workbook", never)


def test_a_small_file_unpacking_to_49_mb_is_refused_before_it_is_parsed(monkeypatch):
    padding = b"<!--" + b" " * (49 * 1024 * 1024) + b"-->"
    bomb = rewrite(book([HEAD, ROW]), SHEET, lambda xml: xml.replace(b"<sheetData>",
                                                                     padding + b"<sheetData>"))
    assert len(bomb) < 200 * 1024
    never_parsed(monkeypatch)
    with pytest.raises(Invalid) as err:
        xlsx.check_file(bomb)
    assert err.value.key == "error.import_too_big"


def test_one_part_over_its_limit_is_refused_even_when_the_whole_is_small(monkeypatch):
    padding = b"<!--" + b" " * (xlsx.MAX_PART + 1) + b"-->"
    content = rewrite(book([HEAD, ROW]), "xl/styles.xml", lambda xml: xml + padding)
    never_parsed(monkeypatch)
    with pytest.raises(Invalid) as err:
        xlsx.check_file(content)
    assert err.value.key == "error.import_too_big"


def _far_cell(xml: bytes) -> bytes:
    """Each row gets one more cell, at column ZZZ (openpyxl writes a row's cells in order, so
    it goes last)."""
    return re.sub(rb'(<row r="(\d+)".*?)</row>',
                  lambda m: m.group(1) + b'<c r="ZZZ' + m.group(2)
                  + b'" t="inlineStr"><is><t>x</t></is></c></row>', xml, flags=re.S)


def test_a_cell_at_column_zzz_is_not_read_and_rows_stay_nine_columns_wide():
    content = rewrite(book([HEAD] + [ROW] * 2000), SHEET, _far_cell)
    assert b'r="ZZZ2001"' in zipfile.ZipFile(io.BytesIO(content)).read(SHEET)
    got = xlsx.first_sheet_rows(content, max_rows=survey_import.MAX_ROWS,
                                columns=len(HEAD) + 1)
    assert len(got) == 2001 and {len(r) for r in got} == {len(HEAD) + 1}


@pytest.mark.parametrize("change", [
    # a control character inside a formula: not allowed in XML 1.0
    lambda xml: xml.replace(b"</row>", b'<c r="B9"><f>SUM(\x01A1)</f><v>1</v></c></row>', 1),
    # broken XML below the <dimension> the workbook is opened with
    lambda xml: xml.replace(b"</sheetData>", b"<row r=\"9\"><c r=\"A9\"><v>1</c></sheetData>"),
], ids=["control character in a formula", "bad XML below dimension"])
def test_a_sheet_that_breaks_while_being_read_is_refused_as_unreadable(session, town, change):
    content = rewrite(book([HEAD, ROW, ROW]), SHEET, change)
    with pytest.raises(Invalid) as err:
        survey_import.preview(session, actor=town.manager, content=content, now=T0)
    assert err.value.key == "error.import_unreadable"
