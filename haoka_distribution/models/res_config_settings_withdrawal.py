from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    """The company's withdrawal rules in Settings (stored on the company)."""

    _inherit = "res.config.settings"

    haoka_withdrawal_min_amount = fields.Monetary(related="company_id.haoka_withdrawal_min_amount",
                                                  readonly=False, currency_field="currency_id")
    haoka_withdrawal_max_per_day = fields.Monetary(related="company_id.haoka_withdrawal_max_per_day",
                                                   readonly=False, currency_field="currency_id")
    haoka_withdrawal_one_in_flight = fields.Boolean(related="company_id.haoka_withdrawal_one_in_flight",
                                                    readonly=False)
    haoka_withdrawal_interval_days = fields.Integer(related="company_id.haoka_withdrawal_interval_days",
                                                    readonly=False)
    haoka_withdrawal_fee_percent = fields.Float(related="company_id.haoka_withdrawal_fee_percent", readonly=False)
    haoka_withdrawal_fee_min = fields.Monetary(related="company_id.haoka_withdrawal_fee_min", readonly=False,
                                               currency_field="currency_id")
    haoka_withdrawal_fee_max = fields.Monetary(related="company_id.haoka_withdrawal_fee_max", readonly=False,
                                               currency_field="currency_id")
    haoka_withdrawal_fee_account_id = fields.Many2one(related="company_id.haoka_withdrawal_fee_account_id",
                                                      readonly=False)
    haoka_withdrawal_journal_id = fields.Many2one(related="company_id.haoka_withdrawal_journal_id", readonly=False)
    haoka_withholding_method = fields.Selection(related="company_id.haoka_withholding_method", readonly=False)
    haoka_withholding_tax_account_id = fields.Many2one(related="company_id.haoka_withholding_tax_account_id",
                                                       readonly=False)
    haoka_withholding_small_income_limit = fields.Monetary(
        related="company_id.haoka_withholding_small_income_limit", readonly=False,
        currency_field="currency_id")
    haoka_withholding_fixed_deduction = fields.Monetary(
        related="company_id.haoka_withholding_fixed_deduction", readonly=False, currency_field="currency_id")
    haoka_withholding_expense_rate = fields.Float(related="company_id.haoka_withholding_expense_rate",
                                                  readonly=False)
    haoka_withholding_income_rate = fields.Float(related="company_id.haoka_withholding_income_rate", readonly=False)
    haoka_withholding_monthly_deduction = fields.Monetary(
        related="company_id.haoka_withholding_monthly_deduction", readonly=False,
        currency_field="currency_id")
