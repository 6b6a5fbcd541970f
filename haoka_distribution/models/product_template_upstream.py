from odoo import fields, models
from odoo.exceptions import UserError


class ProductTemplate(models.Model):
    """A plan fulfilled by an upstream (上游代发): the upstream holds the numbers, ships and activates the card."""

    _inherit = "product.template"

    haoka_upstream_id = fields.Many2one(
        "haoka.upstream", string="Fulfilled by Upstream", index="btree_not_null", ondelete="restrict",
        help="Orders of this plan are pushed to this upstream's order API instead of being served from stock.")
    haoka_upstream_income = fields.Monetary(
        string="Upstream Commission per Card", currency_field="currency_id",
        help="What the upstream or carrier pays us for each card of this plan activated: the amount settlement "
        "statements are reconciled against.")

    def _haoka_pool_numbers(self, digits, mode, limit):
        """``(numbers, error)`` of a number search in the pool of the upstream fulfilling this plan (the portal's
        选号): the numbers found, or no numbers and the reason the upstream could not answer."""
        self.ensure_one()
        source = self.sudo().haoka_upstream_id
        try:
            return source._pool_search(digits, mode, limit), None
        except UserError as error:
            return [], error.args[0]
