"""Withdrawal money rules without the ORM: the fee (a percentage clamped to a minimum and a maximum) and
individual income tax withheld on commission paid to individuals (劳务报酬), per payment (预扣率表二) or
cumulatively for platform workers (累计预扣法, 预扣率表一). Rates, brackets and thresholds are data passed in
by the caller (the ``haoka.withholding.bracket`` records and the company's settings).

Amounts are computed in ``Decimal`` and returned as floats rounded to the fen (0.01, half up)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
HUNDRED = Decimal(100)


def _dec(value):
    return Decimal(str(value or 0))


def _fen(value):
    return float(Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Bracket:
    """Taxable income up to ``upper`` (``None``: no limit) is taxed at ``rate`` % less ``quick_deduction``."""

    upper: float | None
    rate: float
    quick_deduction: float = 0.0


@dataclass(frozen=True)
class Withholding:
    """How a tax was found: the taxable income, the bracket's rate and quick deduction, and the tax due now."""

    taxable: float
    rate: float
    quick_deduction: float
    tax: float


class BracketError(ValueError):
    """The brackets given cannot tax an amount (none given, or unordered limits)."""


def check_brackets(brackets):
    """The brackets ordered by their upper limit, the open-ended one last; :class:`BracketError` when there
    are none, more than one open-ended, or none open-ended."""
    brackets = sorted(brackets, key=lambda b: (b.upper is None, b.upper or 0))
    if not brackets:
        raise BracketError("no brackets")
    if sum(1 for b in brackets if b.upper is None) != 1:
        raise BracketError("exactly one bracket must be open-ended (no upper limit)")
    return brackets


def bracket_for(taxable, brackets):
    """The bracket whose range holds ``taxable`` (upper limits inclusive)."""
    taxable = _dec(taxable)
    for bracket in check_brackets(brackets):
        if bracket.upper is None or taxable <= _dec(bracket.upper):
            return bracket
    raise BracketError("no bracket for %s" % taxable)  # unreachable: check_brackets keeps an open one


def tax_on(taxable, brackets):
    """``taxable × rate − quick deduction`` of the bracket holding ``taxable`` (never below zero)."""
    taxable = max(_dec(taxable), Decimal(0))
    bracket = bracket_for(taxable, brackets)
    tax = max(taxable * _dec(bracket.rate) / HUNDRED - _dec(bracket.quick_deduction), Decimal(0))
    return Withholding(_fen(taxable), bracket.rate, bracket.quick_deduction, _fen(tax))


def per_payment_tax(income, brackets, small_income_limit=4000, fixed_deduction=800, expense_rate=20):
    """劳务报酬 withheld per payment (预扣率表二): an income up to ``small_income_limit`` is taxable less
    ``fixed_deduction``, a larger one less ``expense_rate`` %; the taxable income is taxed by ``brackets``."""
    income = max(_dec(income), Decimal(0))
    if income <= _dec(small_income_limit):
        taxable = max(income - _dec(fixed_deduction), Decimal(0))
    else:
        taxable = income * (HUNDRED - _dec(expense_rate)) / HUNDRED
    return tax_on(taxable, brackets)


def cumulative_tax(cumulative_income, months, withheld_before, brackets, income_rate=80, monthly_deduction=5000):
    """累计预扣法: the year's income so far (this payment included) × ``income_rate`` % less
    ``monthly_deduction`` × ``months`` is taxed by the cumulative ``brackets``; the tax due now is that less
    the tax ``withheld_before`` this year (never below zero: an overpayment waits for the annual filing)."""
    taxable = _dec(cumulative_income) * _dec(income_rate) / HUNDRED - _dec(monthly_deduction) * int(months)
    result = tax_on(max(taxable, Decimal(0)), brackets)
    due = max(_dec(result.tax) - _dec(withheld_before), Decimal(0))
    return Withholding(result.taxable, result.rate, result.quick_deduction, _fen(due))


def fee(amount, percent, minimum=0, maximum=0):
    """``amount × percent %`` raised to ``minimum`` and lowered to ``maximum`` (0: no maximum), never more
    than the amount itself; no fee when the percentage and the minimum are zero."""
    amount = max(_dec(amount), Decimal(0))
    value = amount * _dec(percent) / HUNDRED
    value = max(value, _dec(minimum))
    if _dec(maximum) > 0:
        value = min(value, _dec(maximum))
    return _fen(min(value, amount))
