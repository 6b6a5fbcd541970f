from odoo import fields, models
from odoo.exceptions import UserError


class HaokaSettlementWizard(models.TransientModel):
    _name = "haoka.settlement.wizard"
    _description = "Prepare Commission Settlements"

    date_to = fields.Date(
        string="Period End", required=True, default=fields.Date.context_today,
        help="Settles the commissions payable now whose trigger was reached by this day. 次月返 commissions "
             "become payable only after their assessment window (次月底), so today never pays them early.",
    )
    distributor_ids = fields.Many2many(
        "res.partner", string="Distributors", domain=[("haoka_is_distributor", "=", True)],
        help="Leave empty to settle every distributor.",
    )

    def action_prepare(self):
        self.ensure_one()
        settlements = self.env["haoka.commission.settlement"]._prepare(self.date_to, self.distributor_ids or None)
        if not settlements:
            raise UserError(self.env._("No eligible commission to settle up to %(date)s.", date=self.date_to))
        action = self.env["ir.actions.act_window"]._for_xml_id("haoka_distribution.action_haoka_settlements")
        action["domain"] = [("id", "in", settlements.ids)]
        return action
