from odoo import api, fields, models
from odoo.tools import float_compare


class SaleOrderLine(models.Model):
    """退款 on the order lines: a refunded card (or the premium of a refunded number) is neither invoiced
    again nor left "to invoice" once its credit note takes it off the invoiced quantity."""

    _inherit = "sale.order.line"

    haoka_refunded_qty = fields.Float(
        string="Refunded Quantity", copy=False, readonly=True, digits="Product Unit of Measure",
        help="Cards of this line refunded (returned and credited): they are not to be invoiced any more.",
    )

    def _haoka_invoiceable_qty(self):
        """The quantity Odoo would invoice (ordered or delivered, by the invoice policy) less the refunds."""
        self.ensure_one()
        base = self.product_uom_qty if self.product_id.invoice_policy == "order" else self.qty_delivered
        return max(base - self.haoka_refunded_qty, 0)

    @api.depends("haoka_refunded_qty")
    def _compute_qty_to_invoice(self):
        super()._compute_qty_to_invoice()
        for line in self.filtered(lambda ln: ln.haoka_refunded_qty and ln.state == "sale"
                                  and ln.product_id.invoice_policy == "order"):
            line.qty_to_invoice = line._haoka_invoiceable_qty() - line.qty_invoiced

    @api.depends("haoka_refunded_qty")
    def _compute_invoice_status(self):
        """A line whose cards were invoiced except those refunded is invoiced, not 'nothing to invoice'."""
        super()._compute_invoice_status()
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        for line in self.filtered(lambda ln: ln.haoka_refunded_qty and ln.invoice_status == "no"
                                  and ln.state == "sale" and ln.qty_invoiced > 0):
            if float_compare(line.qty_invoiced, line._haoka_invoiceable_qty(), precision_digits=precision) >= 0:
                line.invoice_status = "invoiced"

    @api.depends("haoka_refunded_qty")
    def _compute_untaxed_amount_to_invoice(self):
        super()._compute_untaxed_amount_to_invoice()
        for line in self.filtered(lambda ln: ln.haoka_refunded_qty and ln.state == "sale"
                                  and ln.product_id.invoice_policy == "order"):
            refunded = line.price_reduce_taxexcl * line.haoka_refunded_qty
            line.untaxed_amount_to_invoice = max(line.untaxed_amount_to_invoice - refunded, 0)

    @api.depends("haoka_refunded_qty")
    def _compute_amount_to_invoice(self):
        super()._compute_amount_to_invoice()
        for line in self.filtered(lambda ln: ln.haoka_refunded_qty and ln.product_uom_qty
                                  and ln.product_id.invoice_policy == "order"):
            unit_price_total = line.price_total / line.product_uom_qty
            line.amount_to_invoice = max(line.amount_to_invoice - unit_price_total * line.haoka_refunded_qty, 0)
