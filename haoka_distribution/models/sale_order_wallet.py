from odoo import models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    """An order placed by or for a distributor, paid from its balances."""

    _inherit = "sale.order"

    def _haoka_pay_from_wallet(self, wallet_types=None, partner=None):
        """Invoice the confirmed order when it has no posted invoice yet, then pay its open invoices from
        ``partner``'s balances (default: the order's customer) in the order of ``wallet_types``."""
        self.ensure_one()
        if self.state != "sale":
            raise UserError(self.env._("Order %(order)s is not confirmed.", order=self.name))
        invoices = self.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state != "cancel")
        if not invoices:
            invoices = self._create_invoices()
        invoices.filtered(lambda m: m.state == "draft").action_post()
        transactions = self.env["haoka.wallet.transaction"]
        for invoice in invoices.filtered(lambda m: m.payment_state not in ("paid", "in_payment")):
            transactions |= invoice._haoka_pay_from_wallet(wallet_types, partner=partner)
        return transactions
