from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import sim


class SaleOrderLine(models.Model):
    """Lines of a plan fulfilled by an upstream take no card from stock and make no delivery: the upstream
    ships. Their number is chosen from the upstream's pool (选号) and held there while the quotation is open, when
    the upstream's API holds numbers; it is released when changed, when the line goes or the order is cancelled,
    and when the hold expires."""

    _inherit = "sale.order.line"

    haoka_upstream_number = fields.Char(
        string="Chosen Number (Upstream)", copy=False,
        help="The number chosen from the upstream's pool, sent with the order (plans fulfilled by an upstream).")
    haoka_upstream_hold_ref = fields.Char(string="Upstream Hold", copy=False, readonly=True,
                                          help="The upstream's id of the hold on the chosen number.")
    haoka_upstream_hold_until = fields.Datetime(string="Upstream Hold Until", copy=False, readonly=True)
    haoka_upstream_pool = fields.Boolean(related="product_id.product_tmpl_id.haoka_upstream_id.pool_search",
                                         string="Upstream Number Pool")

    def _haoka_upstream_lines(self):
        return self.filtered(lambda line: line.product_id.product_tmpl_id.haoka_upstream_id)

    def _haoka_lock_and_assign_cards(self):
        return super(SaleOrderLine, self - self._haoka_upstream_lines())._haoka_lock_and_assign_cards()

    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        return super(SaleOrderLine, self - self._haoka_upstream_lines())._action_launch_stock_rule(
            previous_product_uom_qty=previous_product_uom_qty)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("haoka_upstream_number"):
                vals["haoka_upstream_number"] = sim.normalize_msisdn(vals["haoka_upstream_number"])
        lines = super().create(vals_list)
        lines.filtered("haoka_upstream_number")._haoka_upstream_hold({})
        return lines

    def write(self, vals):
        if "haoka_upstream_number" not in vals or self.env.context.get("haoka_no_hold"):
            return super().write(vals)
        if vals["haoka_upstream_number"]:
            vals = dict(vals, haoka_upstream_number=sim.normalize_msisdn(vals["haoka_upstream_number"]))
        before = {line.id: (line.haoka_upstream_number, line.haoka_upstream_hold_ref) for line in self}
        result = super().write(vals)
        self._haoka_upstream_hold(before)
        return result

    def unlink(self):
        self._haoka_upstream_release()
        return super().unlink()

    def _haoka_upstream_hold(self, before):
        """Hold each line's new number upstream and release the one it replaces (``before``: line id → (number,
        hold)). A number the upstream refuses to hold is an error naming it and the upstream's reason."""
        for line in self._haoka_upstream_lines().filtered(lambda l: l.order_id.state in ("draft", "sent")):
            source = line.product_id.product_tmpl_id.haoka_upstream_id.sudo()
            old_number, old_hold = before.get(line.id, (False, False))
            if old_number == line.haoka_upstream_number or not source.pool_holds:
                continue
            if old_hold:
                source._pool_release(old_number, line.order_id.name)
            values = {"haoka_upstream_hold_ref": False, "haoka_upstream_hold_until": False}
            if line.haoka_upstream_number:
                minutes = line.order_id.company_id.haoka_hold_minutes or 30
                values = {"haoka_upstream_hold_ref": source._pool_hold(line.haoka_upstream_number,
                                                                       line.order_id.name, minutes),
                          "haoka_upstream_hold_until": fields.Datetime.now() + timedelta(minutes=minutes)}
            line.with_context(haoka_no_hold=True).sudo().write(values)

    def _haoka_upstream_release(self, clear=False):
        """Release the numbers these lines hold upstream (and forget them on the lines when ``clear``)."""
        held = self.filtered("haoka_upstream_hold_ref")
        for line in held:
            line.product_id.product_tmpl_id.haoka_upstream_id.sudo()._pool_release(
                line.haoka_upstream_number, line.order_id.name)
        values = {"haoka_upstream_hold_ref": False, "haoka_upstream_hold_until": False}
        if clear:
            values["haoka_upstream_number"] = False
        held.with_context(haoka_no_hold=True).sudo().write(values)
        return held

    def action_haoka_choose_upstream_number(self):
        """选号 in the upstream's pool for this line (a wizard searching the upstream's API)."""
        self.ensure_one()
        if not self._haoka_upstream_lines() or not self.haoka_upstream_pool:
            raise UserError(self.env._("Plan %(plan)s is not fulfilled by an upstream with a number pool.",
                                       plan=self.product_id.display_name))
        wizard = self.env["haoka.upstream.number.choose"].create({"line_id": self.id})
        return wizard._reopen()
