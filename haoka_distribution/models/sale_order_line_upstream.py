from odoo import fields, models


class SaleOrderLine(models.Model):
    """Lines of a plan fulfilled by an upstream take no card from stock and make no delivery: the upstream
    ships."""

    _inherit = "sale.order.line"

    haoka_upstream_number = fields.Char(
        string="Chosen Number (Upstream)", copy=False,
        help="The number chosen from the upstream's pool, sent with the order (plans fulfilled by an upstream).")

    def _haoka_upstream_lines(self):
        return self.filtered(lambda line: line.product_id.product_tmpl_id.haoka_upstream_id)

    def _haoka_lock_and_assign_cards(self):
        return super(SaleOrderLine, self - self._haoka_upstream_lines())._haoka_lock_and_assign_cards()

    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        return super(SaleOrderLine, self - self._haoka_upstream_lines())._action_launch_stock_rule(
            previous_product_uom_qty=previous_product_uom_qty)
