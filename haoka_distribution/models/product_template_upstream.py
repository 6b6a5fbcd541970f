from odoo import fields, models


class ProductTemplate(models.Model):
    """A plan fulfilled by an upstream (上游代发): the upstream holds the numbers, ships and activates the card."""

    _inherit = "product.template"

    haoka_upstream_id = fields.Many2one(
        "haoka.upstream", string="Fulfilled by Upstream", index="btree_not_null", ondelete="restrict",
        help="Orders of this plan are pushed to this upstream's order API instead of being served from stock.")
