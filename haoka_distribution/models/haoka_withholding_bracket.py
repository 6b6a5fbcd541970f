from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import withholding

WITHHOLDING_METHODS = [("per_payment", "Per Payment (劳务报酬)"), ("cumulative", "Cumulative (累计预扣法)")]


class HaokaWithholdingBracket(models.Model):
    """One row of a tax table used to withhold individual income tax on commission withdrawals: 预扣率表二
    for the per-payment method, 预扣率表一 for the cumulative method. Shipped as data, edited by 号卡财务 when
    the law changes."""

    _name = "haoka.withholding.bracket"
    _description = "Withholding Tax Bracket"
    _order = "method, upper_limit_is_open, upper_limit"

    method = fields.Selection(WITHHOLDING_METHODS, required=True, index=True)
    upper_limit = fields.Float(
        string="Taxable Income up to", digits=(16, 2),
        help="The bracket holds taxable income up to this amount (inclusive); 0 for the last, open-ended bracket.",
    )
    upper_limit_is_open = fields.Boolean(compute="_compute_upper_limit_is_open", store=True, string="Open-ended")
    rate = fields.Float(string="Rate (%)", digits=(5, 2), required=True)
    quick_deduction = fields.Float(string="Quick Deduction", digits=(16, 2))

    _sql_constraints = [
        ("rate_range", "CHECK (rate >= 0 AND rate <= 100)", "A tax rate lies between 0 and 100 %."),
        ("upper_limit_positive", "CHECK (upper_limit >= 0)", "An upper limit cannot be negative."),
        ("quick_deduction_positive", "CHECK (quick_deduction >= 0)", "A quick deduction cannot be negative."),
    ]

    @api.depends("upper_limit")
    def _compute_upper_limit_is_open(self):
        for bracket in self:
            bracket.upper_limit_is_open = not bracket.upper_limit

    @api.constrains("method", "upper_limit")
    def _check_table(self):
        """At most one open-ended bracket and distinct limits per method (a table being entered may still
        lack its open-ended bracket: :meth:`_haoka_table` says so when tax is computed)."""
        for method in set(self.mapped("method")):
            rows = self.sudo().search([("method", "=", method)])
            limits = rows.mapped("upper_limit")
            if len(limits) != len(set(limits)):
                label = dict(self._fields["method"]._description_selection(self.env))[method]
                raise ValidationError(self.env._(
                    "The tax table %(method)s has two brackets with the same upper limit (0 is the open-ended "
                    "bracket, of which there is one).", method=label))

    @api.model
    def _haoka_table(self, method):
        """The brackets of ``method`` as :class:`tools.withholding.Bracket`, ordered; a clear error when the
        table is empty or lacks its open-ended bracket."""
        rows = self.sudo().search([("method", "=", method)])
        try:
            return withholding.check_brackets([
                withholding.Bracket(row.upper_limit or None, row.rate, row.quick_deduction) for row in rows
            ])
        except withholding.BracketError:
            label = dict(self._fields["method"]._description_selection(self.env))[method]
            raise UserError(self.env._(
                "The tax table %(method)s needs exactly one open-ended bracket (upper limit 0): see Finance › "
                "Withholding Tax Brackets.", method=label)) from None
