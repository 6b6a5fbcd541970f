"""Bank payout files (批量代发) and other small finance workbooks, written with the project's streaming .xlsx
writer (no ORM): account numbers as text cells (never a number that loses digits), amounts as number cells."""

import io
from dataclasses import dataclass

from .xlsx_stream import StreamingXlsx

#: the columns Chinese banks' 批量代发 templates ask for, in their order; kept in Chinese whatever the
#: user's language, as the bank reads them
PAYOUT_HEADERS = ("户名", "开户行", "账号", "金额", "用途")
PAYOUT_WIDTHS = (20, 30, 26, 14, 30)


@dataclass(frozen=True)
class PayoutLine:
    holder: str
    bank: str
    account: str
    amount: float
    purpose: str


def write_xlsx(sheet_name, headers, rows, widths=None):
    """The bytes of a one-sheet workbook: a bold header row, then ``rows`` (str, date, number or None)."""
    buffer = io.BytesIO()
    with StreamingXlsx(buffer, sheet_name, widths) as book:
        book.header(list(headers))
        for row in rows:
            book.row(list(row))
    return buffer.getvalue()


def payout_xlsx(lines, sheet_name="批量代发"):
    """The bank payout workbook of ``lines`` (:class:`PayoutLine`), one transfer a row."""
    return write_xlsx(
        sheet_name, PAYOUT_HEADERS,
        ([line.holder, line.bank or None, line.account, round(line.amount, 2), line.purpose] for line in lines),
        PAYOUT_WIDTHS,
    )
