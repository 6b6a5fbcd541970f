from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    haoka_has_sim = fields.Boolean(compute="_compute_haoka_has_sim", string="Has SIM Lines")

    @api.depends("order_line.product_id")
    def _compute_haoka_has_sim(self):
        for order in self:
            order.haoka_has_sim = any(order.order_line.mapped("product_id.is_sim_card"))

    def _haoka_sim_lines(self):
        return self.order_line.filtered(lambda line: line.product_id.is_sim_card and not line.display_type)

    def action_confirm(self):
        sim_lines = self._haoka_sim_lines()
        if sim_lines:
            sim_lines._haoka_lock_and_assign_cards()
        result = super().action_confirm()
        if sim_lines:
            sim_lines._haoka_reserve_on_delivery()
        return result

    def _action_cancel(self):
        cards = self._haoka_sim_lines().haoka_lot_ids.filtered(lambda c: c.card_state in ("reserved", "sold"))
        result = super()._action_cancel()
        cards.sudo().with_context(tracking_disable=True).write(
            {"card_state": "available", "haoka_hold_line_id": False, "haoka_hold_until": False}
        )
        return result

    @api.model
    def _cron_haoka_release_holds(self):
        """Cards held on quotations past their hold time go back on sale and leave the quotation."""
        Lot = self.env["stock.lot"].sudo()
        expired = Lot.search([
            ("card_state", "=", "reserved"), ("haoka_hold_until", "<", fields.Datetime.now()),
            ("haoka_hold_line_id.order_id.state", "in", ("draft", "sent")),
        ])
        for line, cards in expired.grouped("haoka_hold_line_id").items():
            line.with_context(haoka_no_hold=True).haoka_lot_ids -= cards
            line.order_id.message_post(body=self.env._(
                "Hold expired: number(s) %(numbers)s went back on sale.",
                numbers=", ".join(cards.mapped(lambda c: c.msisdn or c.name)),
            ))
            line._haoka_sync_premium_lines()
        expired.with_context(tracking_disable=True).write(
            {"card_state": "available", "haoka_hold_line_id": False, "haoka_hold_until": False}
        )
        return len(expired)
