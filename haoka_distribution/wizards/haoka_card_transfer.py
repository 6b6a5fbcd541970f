from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import sim


class HaokaCardTransfer(models.TransientModel):
    _name = "haoka.card.transfer"
    _inherit = ["haoka.selected.cards"]
    _description = "Transfer SIM Cards"

    selection = fields.Selection(
        [("selected", "Selected cards"), ("domain", "All cards matching the filters"), ("range", "ICCID range")],
        default="selected", required=True,
    )
    lot_ids = fields.Many2many("stock.lot", string="Cards", domain=[("is_sim_card", "=", True)])
    domain = fields.Char(readonly=True)
    iccid_from = fields.Char(string="From ICCID")
    iccid_to = fields.Char(string="To ICCID")
    location_dest_id = fields.Many2one(
        "stock.location", string="Destination", required=True, domain=[("usage", "=", "internal")],
        help="Another warehouse, or a distributor's consignment location.",
    )
    note = fields.Char(string="Reference")
    card_count = fields.Integer(compute="_compute_cards", string="Cards to Transfer")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_domain"):
            values["domain"] = repr(self.env.context["active_domain"])
        return values

    def _cards(self):
        Lot = self.env["stock.lot"]
        if self.selection == "selected":
            return self.lot_ids.filtered("is_sim_card")
        if self.selection == "domain":
            from odoo.tools.safe_eval import safe_eval

            domain = safe_eval(self.domain or "[]")
            return Lot.search(domain + [("is_sim_card", "=", True), ("card_state", "=", "available")])
        low, high = sim.normalize_iccid(self.iccid_from or ""), sim.normalize_iccid(self.iccid_to or "")
        if not (low and high):
            raise UserError(self.env._("Give the first and the last ICCID of the range."))
        if low > high:
            low, high = high, low
        return Lot.search([
            ("is_sim_card", "=", True), ("name", ">=", low), ("name", "<=", high), ("card_state", "=", "available")
        ])

    @api.depends("selection", "lot_ids", "iccid_from", "iccid_to", "domain")
    def _compute_cards(self):
        for wizard in self:
            try:
                wizard.card_count = len(wizard._cards())
            except UserError:
                wizard.card_count = 0

    def action_transfer(self):
        self.ensure_one()
        cards = self._cards()
        if not cards:
            raise UserError(self.env._("No available card to transfer."))
        pickings = self.env["haoka.stock.bulk"]._transfer(cards, self.location_dest_id, self.note)
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.action_picking_tree_all")
        action.update({"domain": [("id", "in", pickings.ids)], "context": {}})
        if len(pickings) == 1:
            action.update({"view_mode": "form", "res_id": pickings.id, "views": [(False, "form")]})
        return action
