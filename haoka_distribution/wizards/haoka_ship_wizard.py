from odoo import api, fields, models
from odoo.exceptions import UserError


class HaokaShipWizard(models.TransientModel):
    _name = "haoka.ship.wizard"
    _description = "Ship SIM Orders"

    courier_id = fields.Many2one(
        "haoka.courier", string="Courier", required=True,
        default=lambda self: self.env["haoka.courier"].search([], limit=1),
    )
    line_ids = fields.One2many("haoka.ship.wizard.line", "wizard_id", string="Orders")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "sale.order" and context.get("active_ids"):
            orders = self.env["sale.order"].browse(context["active_ids"])
            not_ready = orders.filtered(lambda o: o.haoka_fulfilment_state != "to_ship")
            if not_ready:
                raise UserError(self.env._(
                    "Only orders waiting to be shipped can be shipped: %(orders)s.",
                    orders=", ".join(not_ready.mapped("name")),
                ))
            values["line_ids"] = [fields.Command.create({"order_id": order.id}) for order in orders]
        return values

    def action_ship(self):
        self.ensure_one()
        missing = self.line_ids.filtered(lambda line: not (line.tracking_ref or "").strip())
        if missing:
            raise UserError(self.env._(
                "Enter the tracking number of %(orders)s.", orders=", ".join(missing.order_id.mapped("name"))
            ))
        for line in self.line_ids:
            line.order_id._haoka_ship(self.courier_id, line.tracking_ref.strip())
        return {"type": "ir.actions.act_window_close"}


class HaokaShipWizardLine(models.TransientModel):
    _name = "haoka.ship.wizard.line"
    _description = "Ship SIM Orders: Order"

    wizard_id = fields.Many2one("haoka.ship.wizard", required=True, ondelete="cascade")
    order_id = fields.Many2one("sale.order", string="Order", required=True, readonly=True)
    partner_id = fields.Many2one(related="order_id.partner_shipping_id", string="Deliver To")
    card_numbers = fields.Char(compute="_compute_card_numbers", string="Cards")
    tracking_ref = fields.Char(string="Tracking Number")

    @api.depends("order_id")
    def _compute_card_numbers(self):
        for line in self:
            cards = line.order_id._haoka_sim_lines().haoka_lot_ids
            numbers = cards[:10].mapped(lambda c: c.msisdn or c.name)
            line.card_numbers = ", ".join(numbers) + (" (+%d)" % (len(cards) - 10) if len(cards) > 10 else "")
