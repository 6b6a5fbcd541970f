from odoo import fields, models
from odoo.exceptions import UserError


class HaokaCardVoid(models.TransientModel):
    _name = "haoka.card.void"
    _inherit = ["haoka.selected.cards"]
    _description = "Void SIM Cards"

    lot_ids = fields.Many2many("stock.lot", string="Cards", domain=[("is_sim_card", "=", True)])
    reason = fields.Char(required=True, help="Why the cards are voided: damaged, lost, ...")
    scrap_reason_tag_ids = fields.Many2many("stock.scrap.reason.tag", string="Scrap Reasons")

    def action_void(self):
        """作废: cards in stock leave it through Odoo's scrap (one scrap per card, with the reason);
        every card becomes void and the reason is logged on it."""
        self.ensure_one()
        cards = self.lot_ids.filtered("is_sim_card")
        blocked = cards.filtered(lambda card: card.card_state not in ("available", "expired", "returned"))
        if blocked:
            raise UserError(self.env._(
                "Only cards in stock, expired or returned can be voided: %(cards)s.",
                cards=", ".join(blocked[:10].mapped("name")),
            ))
        quants = self.env["stock.quant"].search([
            ("lot_id", "in", cards.ids), ("quantity", ">", 0), ("location_id.usage", "=", "internal")
        ])
        scraps = self.env["stock.scrap"].create([{
            "product_id": quant.product_id.id,
            "lot_id": quant.lot_id.id,
            "scrap_qty": 1,
            "location_id": quant.location_id.id,
            "origin": self.reason,
            "scrap_reason_tag_ids": [fields.Command.set(self.scrap_reason_tag_ids.ids)],
            "company_id": quant.company_id.id or self.env.company.id,
        } for quant in quants])
        scraps.do_scrap()
        cards.action_void()
        for card in cards:
            card.message_post(body=self.env._("Voided: %(reason)s", reason=self.reason))
        return {"type": "ir.actions.act_window_close"}
