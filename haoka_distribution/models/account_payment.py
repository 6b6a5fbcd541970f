from odoo import models
from odoo.exceptions import AccessError, UserError

from ..tools.groups import FINANCE_GROUP


class AccountPayment(models.Model):
    """充值: an inbound payment from a distributor (a bank transfer recorded by finance, or an online payment)
    credits its prepaid balance (预存款) once: a wallet entry moves the payment's amount from the receivable
    to the wallet account and is reconciled with the payment."""

    _inherit = "account.payment"

    def action_haoka_wallet_topup(self):
        if not (self.env.su or self.env.user.has_group(FINANCE_GROUP)):
            raise AccessError(self.env._("Only SIM finance (号卡财务) credits top-ups to wallets."))
        for payment in self:
            payment._haoka_wallet_topup()
        return True

    def _haoka_wallet_topup(self):
        """Credit the payment to the distributor's 预存款 (idempotent: one credit per payment)."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        if self.payment_type != "inbound" or self.partner_type != "customer" or not partner.haoka_is_distributor:
            raise UserError(self.env._("Payment %(payment)s is not an inbound payment from a distributor.",
                                       payment=self.display_name))
        if self.state not in ("in_process", "paid") or not self.move_id:
            raise UserError(self.env._("Payment %(payment)s is not confirmed.", payment=self.display_name))
        Transaction = self.env["haoka.wallet.transaction"]
        wallet_type = self.env["haoka.wallet.type"]._haoka_get("prepaid", self.company_id)
        key = f"topup:payment:{self.id}"
        done = Transaction._haoka_by_key(key, self.company_id)
        if done:
            return done
        receivable = self.move_id.line_ids.filtered(
            lambda line: line.account_id == self.destination_account_id and not line.reconciled)
        amount = -sum(receivable.mapped("amount_residual"))
        if self.company_currency_id.compare_amounts(amount, 0) <= 0:
            raise UserError(self.env._("Payment %(payment)s is already matched with invoices: nothing to credit.",
                                       payment=self.display_name))
        tx = Transaction._haoka_post_movement(
            partner, wallet_type, amount, "topup", self.destination_account_id, key=key, source=self,
            ref=self.env._("Top-up %(payment)s", payment=self.name))
        (tx._haoka_counterpart_line() | receivable).reconcile()
        return tx
