"""分销商对账单 without the ORM: a wallet's section of a statement (opening balance, each movement with its
running balance, totals in and out, closing balance) built from the journal items' signed amounts, and the
statement as an .xlsx (one sheet, a section per wallet type) written by the project's streaming writer."""

import io
from dataclasses import dataclass, field

from .xlsx_stream import StreamingXlsx

#: column widths of the sheet: date, kind, document, journal entry, description, in, out, balance
WIDTHS = (12, 16, 22, 22, 36, 14, 14, 16)


@dataclass(frozen=True)
class Movement:
    """A journal item on the wallet account, in business words; ``amount`` is signed (+ into the wallet)."""

    date: object
    kind: str
    document: str
    entry: str
    description: str
    amount: float


@dataclass(frozen=True)
class Line:
    movement: Movement
    amount_in: float
    amount_out: float
    balance: float


@dataclass
class Section:
    """One wallet type over the period: ``closing == opening + total_in - total_out`` (rounded)."""

    name: str
    opening: float
    lines: list = field(default_factory=list)
    total_in: float = 0.0
    total_out: float = 0.0
    closing: float = 0.0


def build_section(name, opening, movements, digits=2):
    """The :class:`Section` of ``movements`` (in date order) after ``opening``, every figure rounded to
    ``digits`` decimals, the running balance carried line by line."""
    balance = round(opening, digits)
    section = Section(name=name, opening=balance)
    total_in = total_out = 0.0
    for movement in movements:
        amount = round(movement.amount, digits)
        balance = round(balance + amount, digits)
        amount_in, amount_out = (amount, 0.0) if amount >= 0 else (0.0, -amount)
        total_in += amount_in
        total_out += amount_out
        section.lines.append(Line(movement, amount_in, amount_out, balance))
    section.total_in, section.total_out = round(total_in, digits), round(total_out, digits)
    section.closing = balance
    return section


@dataclass(frozen=True)
class Labels:
    """The words of the sheet, in the reader's language (given by the caller)."""

    title: str
    headings: tuple  # date, kind, document, journal entry, description, in, out, balance
    opening: str
    total: str
    closing: str


def statement_xlsx(sheet_name, labels, info, sections):
    """The bytes of the statement workbook: the title, ``info`` rows ((label, value) pairs: distributor,
    period, currency...), then per :class:`Section` its name, opening balance, headings, one row per
    movement, totals and closing balance, a blank row between sections. Amounts are number cells."""
    buffer = io.BytesIO()
    with StreamingXlsx(buffer, sheet_name, WIDTHS) as book:
        book.header([labels.title])
        for label, value in info:
            book.row([label, value])
        for section in sections:
            book.row([])
            book.header([section.name])
            book.row([labels.opening, None, None, None, None, None, None, section.opening])
            book.header(list(labels.headings))
            for line in section.lines:
                movement = line.movement
                book.row([movement.date, movement.kind, movement.document or None, movement.entry or None,
                          movement.description or None, line.amount_in or None, line.amount_out or None,
                          line.balance])
            book.row([labels.total, None, None, None, None, section.total_in, section.total_out, None])
            book.row([labels.closing, None, None, None, None, None, None, section.closing])
    return buffer.getvalue()


def format_amount(amount, digits=2):
    """``1234.5`` → ``'1,234.50'`` (the figures of the printed statement; the currency is named once above)."""
    return f"{amount:,.{digits}f}"
