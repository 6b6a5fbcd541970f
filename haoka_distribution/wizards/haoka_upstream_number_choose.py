import re

from odoo import fields, models

RESULTS_MAX = 20


class HaokaUpstreamNumberChoose(models.TransientModel):
    """选号 for a line of a plan fulfilled by an upstream: searches the upstream's number pool through its API
    (by tail or substring, as the local 选号) and writes the chosen number on the line, which holds it upstream."""

    _name = "haoka.upstream.number.choose"
    _description = "Choose a Number in the Upstream's Pool"

    line_id = fields.Many2one("sale.order.line", required=True, ondelete="cascade", readonly=True)
    upstream_id = fields.Many2one(related="line_id.product_id.product_tmpl_id.haoka_upstream_id", string="Upstream")
    digits = fields.Char(string="Number digits")
    mode = fields.Selection([("tail", "Ends with"), ("contains", "Contains")], default="tail", required=True,
                            string="Match")
    choice_ids = fields.One2many("haoka.upstream.number.choice", "wizard_id", string="Numbers", readonly=True)
    searched = fields.Boolean(readonly=True)

    def action_search(self):
        """Ask the upstream (or its cached answer) and list the numbers."""
        self.ensure_one()
        digits = re.sub(r"\D", "", self.digits or "")[:11]
        numbers = self.line_id.product_id.product_tmpl_id.haoka_upstream_id.sudo()._pool_search(
            digits, self.mode, RESULTS_MAX)
        self.write({"searched": True, "choice_ids": [fields.Command.clear()] + [
            fields.Command.create({"number": number}) for number in numbers]})
        return self._reopen()

    def _reopen(self):
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "new", "name": self.env._("Choose a Number (%(upstream)s)",
                                                    upstream=self.upstream_id.sudo().name)}


class HaokaUpstreamNumberChoice(models.TransientModel):
    _name = "haoka.upstream.number.choice"
    _description = "Number Found in the Upstream's Pool"

    wizard_id = fields.Many2one("haoka.upstream.number.choose", required=True, ondelete="cascade")
    number = fields.Char(required=True, readonly=True)

    def action_choose(self):
        """This number on the line (held upstream when the upstream holds numbers)."""
        self.ensure_one()
        self.wizard_id.line_id.haoka_upstream_number = self.number
        return {"type": "ir.actions.act_window_close"}
