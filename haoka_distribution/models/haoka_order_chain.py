from odoo import fields, models


class HaokaOrderChain(models.Model):
    """The distributor chain of an order as it was at confirmation: moving a distributor later never
    changes past commissions."""

    _name = "haoka.order.chain"
    _description = "Order Distributor Chain"
    _order = "order_id, tier"

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade", index=True)
    tier = fields.Integer(required=True, help="0 = the selling distributor, 1 = its upline, ...")
    distributor_id = fields.Many2one("res.partner", string="Distributor", required=True, ondelete="restrict",
                                     index=True)
    level = fields.Integer(string="Level at Order", help="The distributor's level when the order was confirmed.")
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)

    _sql_constraints = [("order_tier_uniq", "unique(order_id, tier)", "One distributor per tier of an order.")]
