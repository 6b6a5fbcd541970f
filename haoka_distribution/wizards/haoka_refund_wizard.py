from odoo import api, fields, models

REFUNDABLE_STATES = ("shipped", "delivered", "activated")


class HaokaRefundWizard(models.TransientModel):
    _name = "haoka.refund.wizard"
    _description = "Refund SIM Order"

    order_id = fields.Many2one("sale.order", string="Order", required=True, readonly=True)
    order_card_ids = fields.Many2many("stock.lot", compute="_compute_order_card_ids", string="Order Cards")
    lot_ids = fields.Many2many(
        "stock.lot", string="Cards to Refund", domain="[('id', 'in', order_card_ids)]",
        help="The cards that come back and are refunded; all of them for a full refund.",
    )
    cards_unused = fields.Boolean(
        string="Cards Are Unused",
        help="Unused cards go back on sale (在库); otherwise they go to the quarantine location as returned (已退回).",
    )
    reason = fields.Char(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "sale.order" and self.env.context.get("active_id"):
            order = self.env["sale.order"].browse(self.env.context["active_id"])
            values["order_id"] = order.id
            values["lot_ids"] = [fields.Command.set(order._haoka_refundable_cards().ids)]
        return values

    @api.depends("order_id")
    def _compute_order_card_ids(self):
        for wizard in self:
            wizard.order_card_ids = wizard.order_id._haoka_refundable_cards()

    def action_refund(self):
        self.ensure_one()
        self.order_id._haoka_refund(self.lot_ids, self.reason, self.cards_unused)
        return {"type": "ir.actions.act_window_close"}
