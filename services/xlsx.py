"""Excel files in and out, safely, for every import and export.

Reading, in this order, so that a bad file costs nothing: the size (before anything is read),
the zip signature and the unpacked size of an .xlsx, all parts and each part (a small file can
unpack to gigabytes), then the first sheet through openpyxl (XML through defusedxml) in
read-only mode, up to a number of rows and columns.

Writing: xlsxwriter with strings_to_formulas, strings_to_urls and strings_to_numbers off, and
user text written with write_string, so a cell typed as "=HYPERLINK(...)" stays text in Excel.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import xlsxwriter

from services.errors import Invalid
from services.figures import half_up

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 5 * 1024 * 1024          # refused before parsing
MAX_UNPACKED = 20 * 1024 * 1024      # what the zip may unpack to, all parts together
# What one part may unpack to. openpyxl parses the styles, shared strings and sheet whole
# (about 0.6 s per MB here), so this bounds the time a refusal can take; a 2,000-row survey
# sheet with 500-character needs is about 3 MB.
MAX_PART = 8 * 1024 * 1024


# --- reading ---------------------------------------------------------------------------------


def check_file(content: bytes) -> None:
    """Refuse what is too big or not an .xlsx, before it is parsed."""
    if len(content) > MAX_BYTES:
        raise Invalid("error.import_too_big", maximum=MAX_BYTES // (1024 * 1024),
                      size=half_up(len(content) / (1024 * 1024), 1))
    if not content.startswith(b"PK\x03\x04"):
        raise Invalid("error.import_not_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            sizes = [i.file_size for i in archive.infolist()]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Invalid("error.import_not_xlsx") from None
    if "xl/workbook.xml" not in names:
        raise Invalid("error.import_not_xlsx")
    # The sizes the archive declares; openpyxl's reader stops at them (zipfile checks them
    # while unpacking), so a lying header cannot unpack more.
    if sum(sizes) > MAX_UNPACKED or max(sizes, default=0) > MAX_PART:
        raise Invalid("error.import_too_big", maximum=MAX_BYTES // (1024 * 1024),
                      size=half_up(sum(sizes) / (1024 * 1024), 1))


def first_sheet_rows(content: bytes, *, max_rows: int, columns: int) -> list[tuple]:
    """The first sheet's first `columns` columns, as values, header included; more than
    max_rows below the header is refused.

    Only those columns are read: openpyxl pads every row to its last cell, so one cell at
    column ZZZ in 2,000 rows would cost 36 million empty cells (seconds and hundreds of MB).
    Columns beyond are never looked at, so the caller asks for one more than it expects, to see
    a stray cell there. The rows are parsed inside the same guard as the workbook: bad XML or a
    control character below <dimension> only shows while iterating."""
    from openpyxl import load_workbook

    check_file(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — whatever a broken file raises, it is unreadable
        raise Invalid("error.import_unreadable") from None
    try:
        rows = []
        for row in book.worksheets[0].iter_rows(max_col=columns, values_only=True):
            if len(rows) > max_rows + 1:
                raise Invalid("error.import_too_many_rows", maximum=max_rows)
            rows.append(tuple(row))
        return rows
    except Invalid:
        raise
    except Exception:  # noqa: BLE001 — a sheet that fails while being read is unreadable too
        raise Invalid("error.import_unreadable") from None
    finally:
        book.close()


def check_header(row: tuple, headers: tuple[str, ...]) -> None:
    """Refuse a first row that is not exactly these headers (trailing blank cells aside),
    naming the first column that differs."""
    found = [("" if v is None else str(v).strip()) for v in row]
    while found and not found[-1]:
        found.pop()
    for i, expected in enumerate(headers):
        got = found[i] if i < len(found) else ""
        if got != expected:
            raise Invalid("error.import_column", column=column_letter(i), expected=expected,
                          found=got)
    if len(found) > len(headers):
        raise Invalid("error.import_column", column=column_letter(len(headers)), expected="",
                      found=found[len(headers)])
TITLE_ROWS = 5  # how far below the top a header row is looked for


def header_row(rows: list[tuple], headers: tuple[str, ...]) -> int:
    """The index of the header row: the first of the top rows whose first cell is the first
    header. People put a (often merged) title such as "青山镇需求调查表" above the header; those
    rows are skipped rather than refused. With no such row, 0: the header check then names what
    the first row holds."""
    for index, row in enumerate(rows[:TITLE_ROWS]):
        first = row[0] if row else None
        if isinstance(first, str) and first.strip() == headers[0]:
            return index
    return 0


def column_letter(index: int) -> str:
    """Excel's name of a 0-based column: 0 → A, 26 → AA."""
    return xlsxwriter.utility.xl_col_to_name(index)


# --- writing ---------------------------------------------------------------------------------


def workbook(buffer: io.BytesIO):
    """A workbook that never turns text into formulas, links or numbers, and its header format."""
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    return book, book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})


DATE_FORMAT = "yyyy-mm-dd"
WIDE_COLUMNS = 7  # a sheet this wide prints landscape, fitted to the page width


def write_cell(sheet, row: int, col: int, value, date_format=None) -> None:
    """Numbers as numbers, dates as date cells (so Excel/WPS filter and sort them by date),
    everything else as text; a yes/no must be worded by the caller."""
    if isinstance(value, bool):
        raise TypeError("word a yes/no before writing it")
    if value is None or value == "":
        sheet.write_blank(row, col, None)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    elif isinstance(value, date):
        # a local date (or naive local datetime): Excel refuses time-zone-aware ones
        moment = value if isinstance(value, datetime) else datetime(value.year, value.month,
                                                                    value.day)
        if moment.tzinfo is not None:
            raise TypeError("convert to local naive time before writing a datetime")
        sheet.write_datetime(row, col, moment, date_format)
    else:  # user text: never a formula
        sheet.write_string(row, col, str(value))


def write_sheet(book, bold, name: str, headers, rows, widths) -> None:
    """One sheet: a bold, frozen header row, then the rows. A wide sheet prints landscape and
    fitted to the page width, with the header repeated on every page."""
    sheet = book.add_worksheet(name)
    dates = book.add_format({"num_format": DATE_FORMAT})
    for c, h in enumerate(headers):
        sheet.write_string(0, c, h, bold)
        sheet.set_column(c, c, widths[c] if c < len(widths) else 14)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            write_cell(sheet, r, c, value, dates)
    sheet.freeze_panes(1, 0)
    sheet.repeat_rows(0)
    if len(headers) >= WIDE_COLUMNS:
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
    sheet.set_paper(9)  # A4
