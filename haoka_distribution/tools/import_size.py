"""How many rows a card file has, cheaply (without reading every cell): decides whether the import runs in
the background (``haoka.card.import.job``). No ORM."""

import io

from . import spreadsheet


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
    import openpyxl

    try:
        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        rows = sheet.max_row  # the sheet's <dimension>, written by Excel, WPS and openpyxl
    except Exception:  # noqa: BLE001 - an unreadable file: the import itself reports it
        return 0
    if rows:
        return rows
    try:  # no <dimension> (e.g. a streamed export): the sheet's height, without making Python rows
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        return sheet.end[0] + 1 if sheet.height else 0
    except ImportError:  # pragma: no cover - calamine is in requirements.txt
        return len(spreadsheet.read_rows(content, filename))
