"""Reading card files made by hand: .xlsx, .xls and .csv (UTF-8 with or without BOM, GBK/GB18030),
finding the header row under title rows, mapping columns by their Chinese or English aliases, and
parsing the values people type (no ORM)."""

import csv
import datetime
import functools
import io
import re
import unicodedata

#: target field -> header aliases (compared after :func:`header_key`)
COLUMN_ALIASES = {
    "iccid": ["iccid", "卡号", "sim卡号", "iccid(卡号)", "iccid卡号", "iccid号", "sim卡iccid", "iccid号码"],
    "msisdn": ["号码", "手机号", "手机号码", "msisdn", "电话号码", "phone", "number", "phonenumber"],
    "puk": ["密码", "puk", "puk码", "puk1"],
    "pin": ["pin", "pin码", "pin1"],
    "plan": ["套餐", "套餐名称", "套餐类型", "plan", "planname", "资费"],
    "carrier": ["运营商", "carrier", "网络"],
    "expiry": ["有效期", "有效期至", "到期日", "到期日期", "expiry", "expirydate", "expiration", "失效日期"],
}
TARGETS = list(COLUMN_ALIASES)
FOOTER_WORDS = ("合计", "总计", "共计", "小计", "总数", "total", "sum")
HEADER_SCAN_ROWS = 30


class SpreadsheetError(ValueError):
    """The file cannot be read as a card spreadsheet; the message says why."""


def header_key(value):
    return _header_key(str(value or ""))


@functools.lru_cache(maxsize=4096)  # the same few names, once per row of a big file
def _header_key(text):
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s_\-:：]+", "", text)


_ALIAS_INDEX = {header_key(alias): target for target, aliases in COLUMN_ALIASES.items() for alias in aliases}


def detect_kind(content, filename=""):
    if content[:4] == b"PK\x03\x04":
        return "xlsx"
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if b"\x00" in content[:4096]:
        raise SpreadsheetError("not_spreadsheet")
    return "csv"


def decode_text(content):
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("encoding")


class SheetRows:
    """The rows of a sheet read by calamine, produced again on each pass instead of kept as Python lists: a
    file of a million cards is read twice (its plans counted, then its rows checked and written) with a few
    thousand rows alive at a time. Rows are lists of values from column A and row 1, as ``to_python`` gives
    them. ``len``, iteration, and indexing or slicing of the first rows (the header's search) are supported.

    The sheet itself stays in calamine's memory (Rust: about 60 bytes a cell) while the rows are read."""

    HEAD = 64

    def __init__(self, sheet):
        self._sheet = sheet
        self._length = sheet.end[0] + 1 if sheet.height else 0
        self._head = [row for _index, row in zip(range(self.HEAD), self, strict=False)]

    def __len__(self):
        return self._length

    def __iter__(self):
        if not self._length:  # an empty sheet (calamine has no start cell to give)
            return
        pad = [""] * self._sheet.start[1]
        for row in self._sheet.iter_rows():
            yield pad + row if pad else row

    def __getitem__(self, index):
        if isinstance(index, slice):
            if (index.stop is None or index.stop > self.HEAD) and self._length > self.HEAD:
                raise IndexError("only the first %s rows of a sheet can be sliced" % self.HEAD)
            return self._head[index]
        if index < 0 or (index >= self.HEAD and self._length > self.HEAD):
            raise IndexError("only the first %s rows of a sheet can be indexed" % self.HEAD)
        return self._head[index]


def _read_xlsx(content):
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - openpyxl is the fallback reader
        CalamineWorkbook = None
    if CalamineWorkbook is not None:
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
            return SheetRows(workbook.get_sheet_by_index(0))
        except Exception as error:
            raise SpreadsheetError("not_spreadsheet") from error
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        raise SpreadsheetError("not_spreadsheet") from error
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _read_xls(content):
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=content)
    except Exception as error:
        raise SpreadsheetError("not_spreadsheet") from error
    sheet = book.sheet_by_index(0)
    rows = []
    for index in range(sheet.nrows):
        row = []
        for cell in sheet.row(index):
            if cell.ctype == xlrd.XL_CELL_DATE:
                row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                row.append(None)
            else:
                row.append(cell.value)
        rows.append(row)
    return rows


def _read_csv(content):
    text = decode_text(content)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def read_rows(content, filename=""):
    """All rows of the first sheet as lists of Python values (str, int, float, date, datetime, None)."""
    rows = stream_rows(content, filename)
    return rows if isinstance(rows, list) else list(rows)


def stream_rows(content, filename=""):
    """The rows of the first sheet as :func:`read_rows` gives them, but for an .xlsx a :class:`SheetRows`
    (produced again on each pass, not kept): what a file of a million rows needs."""
    if not content:
        raise SpreadsheetError("empty")
    kind = detect_kind(content, filename)
    reader = {"xlsx": _read_xlsx, "xls": _read_xls, "csv": _read_csv}[kind]
    return reader(content)


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def find_header(rows, aliases=None, required="iccid"):
    """``(row_index, {column_index: target})`` of the first row, among the first rows, that names the
    ``required`` column and at least one other known column; ``(None, {})`` when there is none.
    ``aliases`` (target -> header aliases) replaces the card file's :data:`COLUMN_ALIASES`."""
    index_of = _ALIAS_INDEX if aliases is None else {
        header_key(alias): target for target, names in aliases.items() for alias in names}
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        mapping = {}
        for column, value in enumerate(row):
            target = index_of.get(header_key(value))
            if target and target not in mapping.values():
                mapping[column] = target
        if required in mapping.values() and len(mapping) >= 2:
            return index, mapping
    return None, {}


def is_footer(row):
    for value in row:
        if is_blank(value):
            continue
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.lstrip()[:1].isdigit()):
            return False  # a card's row (no footer word starts with a digit)
        text = header_key(value)
        return any(text.startswith(word) for word in FOOTER_WORDS)
    return False


def cell_text(value):
    """A cell as text; integral floats lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


_SCIENTIFIC = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)


def iccid_lost_digits(value):
    """True when the ICCID arrived as a number (Excel keeps 15 significant digits, so it is damaged)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and bool(_SCIENTIFIC.match(value.strip()))


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(value):
    """A date from a date cell, an Excel serial number or a typed string; ``None`` when unreadable."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel serials up to 9999-12-31
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        return None
    return _parse_text_date(str(value or ""))


@functools.lru_cache(maxsize=4096)  # a report repeats the same few days on thousands of rows
def _parse_text_date(text):
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _EXCEL_EPOCH + datetime.timedelta(days=int(float(text)))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def text_cell(sheet, value):
    """A write-only openpyxl cell that Excel shows as text: never a formula (values starting with
    ``=``, ``+``, ``-``, ``@``), never a number that would lose digits (ICCIDs)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value="" if value is None or value is False else str(value))
    cell.data_type = "s"
    return cell
