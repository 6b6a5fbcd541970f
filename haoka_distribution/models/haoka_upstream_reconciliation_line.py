from odoo import api, fields, models

from .haoka_upstream_reconciliation import CATEGORIES


class HaokaUpstreamReconciliationLine(models.Model):
    """One card of a reconciliation: what we expected, what the upstream paid, and the verdict."""

    _name = "haoka.upstream.reconciliation.line"
    _description = "Upstream Settlement Reconciliation Line"
    _order = "category, reference"

    reconciliation_id = fields.Many2one("haoka.upstream.reconciliation", required=True, ondelete="cascade",
                                        index=True)
    lot_id = fields.Many2one("stock.lot", string="Card", ondelete="set null")
    reference = fields.Char(string="Card Reference", help="The card as the statement names it (or its ICCID).")
    category = fields.Selection(CATEGORIES, required=True)
    currency_id = fields.Many2one(related="reconciliation_id.currency_id")
    expected_amount = fields.Monetary(string="Expected")
    paid_amount = fields.Monetary(string="Paid")
    difference = fields.Monetary(compute="_compute_difference", store=True)
    row_numbers = fields.Char(string="Statement Rows")

    @api.depends("expected_amount", "paid_amount")
    def _compute_difference(self):
        for line in self:
            line.difference = line.paid_amount - line.expected_amount
