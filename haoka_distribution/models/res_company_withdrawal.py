from odoo import fields, models

from .haoka_withholding_bracket import WITHHOLDING_METHODS


class ResCompany(models.Model):
    """Each company's withdrawal (提现) rules, fee and tax withholding, shown in Settings."""

    _inherit = "res.company"

    haoka_withdrawal_min_amount = fields.Monetary(
        string="Minimum Withdrawal", currency_field="currency_id",
        help="A withdrawal request below this amount is refused (0: no minimum).",
    )
    haoka_withdrawal_max_per_day = fields.Monetary(
        string="Maximum per Day", currency_field="currency_id",
        help="The most a distributor may request in one day, all requests together (0: no maximum).",
    )
    haoka_withdrawal_one_in_flight = fields.Boolean(
        string="One Request at a Time",
        help="A distributor cannot submit a request while another one is submitted or approved and not yet paid.",
    )
    haoka_withdrawal_interval_days = fields.Integer(
        string="Days between Requests",
        help="At least this many days between two requests of a distributor (0: no wait).",
    )
    haoka_withdrawal_fee_percent = fields.Float(
        string="Withdrawal Fee (%)", digits=(5, 2), help="Fee kept on each withdrawal, as a percentage.",
    )
    haoka_withdrawal_fee_min = fields.Monetary(string="Minimum Fee", currency_field="currency_id")
    haoka_withdrawal_fee_max = fields.Monetary(
        string="Maximum Fee", currency_field="currency_id", help="0: no maximum.",
    )
    haoka_withdrawal_fee_account_id = fields.Many2one(
        "account.account", string="Withdrawal Fee Income Account", check_company=True,
        help="Credited with the fees kept on withdrawals; created when the first fee is posted if empty.",
    )
    haoka_withdrawal_journal_id = fields.Many2one(
        "account.journal", string="Withdrawal Payment Journal", check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
        help="The bank journal withdrawals are paid from (the company's first bank journal if empty).",
    )
    haoka_withholding_method = fields.Selection(
        [("none", "None")] + WITHHOLDING_METHODS, string="Tax Withholding", default="none", required=True,
        help="Individual income tax withheld on commission withdrawn by individual distributors (劳务报酬). "
        "Company distributors give the reference of their invoice instead.",
    )
    haoka_withholding_tax_account_id = fields.Many2one(
        "account.account", string="Withheld Tax Account", check_company=True,
        help="应交税费—个人所得税: credited with the tax withheld; created when the first tax is posted if empty.",
    )
    haoka_withholding_small_income_limit = fields.Monetary(
        string="Small Income Limit", currency_field="currency_id", default=4000,
        help="Per payment: an income up to this amount is taxable less a fixed deduction, above it less a "
        "percentage.",
    )
    haoka_withholding_fixed_deduction = fields.Monetary(
        string="Fixed Deduction", currency_field="currency_id", default=800,
    )
    haoka_withholding_expense_rate = fields.Float(
        string="Expense Deduction (%)", digits=(5, 2), default=20,
        help="Per payment: the share of an income above the small income limit that is not taxable.",
    )
    haoka_withholding_income_rate = fields.Float(
        string="Taxable Share of Income (%)", digits=(5, 2), default=80,
        help="Cumulative: the share of the year's income that counts as income (收入额).",
    )
    haoka_withholding_monthly_deduction = fields.Monetary(
        string="Monthly Deduction", currency_field="currency_id", default=5000,
        help="Cumulative: deducted for each month of the year so far (累计减除费用).",
    )
