from odoo import fields, models


class AccountMoveLine(models.Model):
    """The SIM plan a journal item is about when its product does not say it: a commission bill's line (its
    product is 佣金) names the plan whose commissions it bills, for the finance views (收支明细, 经营报表)."""

    _inherit = "account.move.line"

    haoka_plan_id = fields.Many2one("product.template", string="SIM Plan", index="btree_not_null", copy=False,
                                    readonly=True, domain=[("is_sim_card", "=", True)])
