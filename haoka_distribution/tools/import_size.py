"""How many rows a card file has, cheaply (without reading every cell): decides whether the import runs in
the background (``haoka.card.import.job``). No ORM."""

import io
import posixpath
import re
import zipfile

from . import spreadsheet

_FIRST_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br(?:elationships)?:id="([^"]+)"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?[A-Z]*(\d+)"')


def estimate_rows(content, filename=""):
    """The number of rows of the first sheet (header and blank rows included)."""
    if not content:
        return 0
    try:
        kind = spreadsheet.detect_kind(content, filename)
    except spreadsheet.SpreadsheetError:
        return 0  # not a spreadsheet: the import itself says so
    if kind == "csv":
        return content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
    if kind == "xls":
        import xlrd

        return xlrd.open_workbook(file_contents=content, on_demand=True).sheet_by_index(0).nrows
    try:
        rows = _xlsx_dimension_rows(content)
    except (zipfile.BadZipFile, KeyError, ValueError, AttributeError):
        return 0  # an unreadable file: the import itself reports it
    if rows:
        return rows
    try:  # no <dimension> (e.g. a streamed export): the sheet's height, without making Python rows
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        return sheet.end[0] + 1 if sheet.height else 0
    except ImportError:  # pragma: no cover - calamine is in requirements.txt
        return len(spreadsheet.read_rows(content, filename))
    except Exception:  # noqa: BLE001 - an unreadable sheet: the import itself reports it
        return 0


def _xlsx_dimension_rows(content):
    """The last row of the first sheet's ``<dimension>`` (written by Excel, WPS and openpyxl), read from the
    head of the sheet's XML; None when it has none. (openpyxl's read-only sheet parses the whole sheet when
    the dimension is missing.)"""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_id = _FIRST_SHEET.search(archive.read("xl/workbook.xml")).group(1).decode()
        relations = archive.read("xl/_rels/workbook.xml.rels").decode()
        match = re.search(r'<Relationship\b(?=[^>]*\bId="%s")[^>]*\bTarget="([^"]+)"' % re.escape(sheet_id),
                          relations)
        target = match.group(1)
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
        with archive.open(path) as sheet:
            head = sheet.read(8192)
    match = _DIMENSION.search(head)
    return int(match.group(1)) if match else None
