from odoo import fields, models


class HaokaCardCarrierEvent(models.TransientModel):
    """Record what the carrier reported about sold cards (激活, 首充, 销户), by hand or from its report."""

    _name = "haoka.card.carrier.event"
    _inherit = ["haoka.selected.cards"]
    _description = "Record Carrier Report"

    lot_ids = fields.Many2many("stock.lot", string="Cards", domain=[("is_sim_card", "=", True)], required=True)
    event = fields.Selection(
        [("activation", "Activated (激活)"), ("first_topup", "First top-up (首充)"), ("closure", "Closed (销户)")],
        string="Report", required=True, default="activation",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    amount = fields.Monetary(string="Top-up Amount", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)

    def action_apply(self):
        self.ensure_one()
        self.lot_ids._haoka_record_carrier_event(self.event, self.date, self.amount)
        return {"type": "ir.actions.act_window_close"}
