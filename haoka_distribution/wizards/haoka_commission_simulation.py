from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.haoka_commission_rule import TRIGGERS


class HaokaCommissionSimulation(models.TransientModel):
    """模拟佣金: what each distributor of the chain would earn under each trigger, before anything is
    confirmed."""

    _name = "haoka.commission.simulation"
    _description = "Simulate Commission Payout"

    order_id = fields.Many2one("sale.order", string="Quotation", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", string="Plan", domain=[("is_sim_card", "=", True)])
    distributor_id = fields.Many2one("res.partner", string="Selling Distributor",
                                     domain=[("haoka_is_distributor", "=", True)])
    quantity = fields.Integer(default=1)
    line_ids = fields.One2many("haoka.commission.simulation.line", "simulation_id", string="Payout", readonly=True)
    total = fields.Monetary(compute="_compute_total", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)

    @api.depends("line_ids.amount")
    def _compute_total(self):
        for simulation in self:
            simulation.total = sum(simulation.line_ids.mapped("amount"))

    def _rows(self):
        """(distributor, tier, level, trigger, rule, amount) for the quotation or the plan."""
        Rule = self.env["haoka.commission.rule"].sudo()
        Line = self.env["haoka.commission.line"]
        rules = Rule.search([("company_id", "=", self.env.company.id)])
        day = fields.Date.context_today(self)
        if self.order_id:
            distributor = self.order_id.haoka_distributor_id
            sales = [(line.product_id, int(line.product_uom_qty), line.price_subtotal)
                     for line in self.order_id._haoka_sim_lines()]
        else:
            distributor = self.distributor_id
            product = self.product_tmpl_id.product_variant_id
            sales = [(product, self.quantity, product.lst_price * self.quantity)]
        if not distributor:
            raise UserError(self.env._("Choose the selling distributor to simulate its chain's commissions."))
        rows = []
        for tier, partner in enumerate(distributor._haoka_chain()):
            for product, quantity, base in sales:
                best = Rule._best_rules(product, partner, partner.haoka_distributor_level, tier, day,
                                        self.env.company, rules)
                for trigger, rule in best.items():
                    amount = Line._rule_amount(rule, quantity, base)
                    rows.append({"distributor_id": partner.id, "tier": tier, "trigger": trigger, "rule_id": rule.id,
                                 "product_id": product.id, "amount": amount,
                                 "payable": partner._haoka_earns_commission()})
        return rows

    def action_simulate(self):
        self.ensure_one()
        self.line_ids = [fields.Command.clear()] + [fields.Command.create(row) for row in self._rows()]
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
            "target": "new", "name": self.env._("Simulate Payout"),
        }


class HaokaCommissionSimulationLine(models.TransientModel):
    _name = "haoka.commission.simulation.line"
    _description = "Simulate Commission Payout: Line"
    _order = "tier, trigger"

    simulation_id = fields.Many2one("haoka.commission.simulation", required=True, ondelete="cascade")
    distributor_id = fields.Many2one("res.partner", string="Distributor")
    tier = fields.Integer()
    trigger = fields.Selection(TRIGGERS)
    rule_id = fields.Many2one("haoka.commission.rule", string="Rule")
    product_id = fields.Many2one("product.product", string="Plan")
    amount = fields.Float(digits=(16, 2))
    payable = fields.Boolean(help="False when the distributor is not verified or is suspended: it would earn nothing.")
