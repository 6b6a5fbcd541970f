from odoo import models
from odoo.exceptions import AccessError, UserError

from ..tools.groups import FINANCE_GROUP, MANAGER_GROUP


class AccountMove(models.Model):
    """Customer invoices paid from a distributor's balances, and credit notes paying the wallet back."""

    _inherit = "account.move"

    def _haoka_wallet_partner(self, partner=None):
        partner = (partner or self.commercial_partner_id).commercial_partner_id
        if not partner.haoka_is_distributor:
            raise UserError(self.env._("%(partner)s is not a distributor: invoice %(invoice)s cannot be paid from a "
                                       "wallet.", partner=partner.display_name, invoice=self.display_name))
        return partner

    def action_haoka_pay_from_wallet(self):
        """Button: pay the invoice from its distributor's balances (预存款 first, then 佣金余额)."""
        user = self.env.user
        if not (self.env.su or user.has_group(FINANCE_GROUP) or user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only SIM finance (号卡财务) and managers pay invoices from wallets."))
        for invoice in self:
            invoice.sudo()._haoka_pay_from_wallet()
        return True

    def _haoka_pay_from_wallet(self, wallet_types=None, partner=None):
        """Pay this posted customer invoice's amount due from ``partner``'s balances (default: the invoice's
        customer), taking ``wallet_types`` in their order (default: the spendable types, 预存款 first, then
        佣金余额). All or nothing: the wallets are locked, and when they do not cover the amount due a
        UserError gives the figures. Each wallet entry is reconciled with the invoice."""
        self.ensure_one()
        if self.move_type != "out_invoice" or self.state != "posted":
            raise UserError(self.env._("Only a posted customer invoice is paid from a wallet (%(invoice)s).",
                                       invoice=self.display_name))
        partner = self._haoka_wallet_partner(partner)
        wallet_types = wallet_types or self.env["haoka.wallet.type"].sudo().search(
            [("company_id", "=", self.company_id.id), ("spendable", "=", True)])
        for wallet_type in wallet_types.sorted("id"):  # one order of locks for everyone: no deadlock
            partner._haoka_wallet_lock(wallet_type)
        self.invalidate_recordset(["amount_residual"])
        receivable = self.line_ids.filtered(lambda line: line.account_type == "asset_receivable"
                                            and not line.reconciled)
        due = self.amount_residual
        currency = self.company_currency_id
        if currency.is_zero(due):
            raise UserError(self.env._("Invoice %(invoice)s is already paid.", invoice=self.display_name))
        plan = self._haoka_wallet_payment_plan(partner, wallet_types, due)
        return self._haoka_post_wallet_payments(partner, plan, receivable)

    def _haoka_wallet_payment_plan(self, partner, wallet_types, due):
        """``[(wallet type, amount)]`` taking ``due`` from ``partner``'s wallets in their order; a UserError
        with every balance when they do not cover it."""
        currency = self.company_currency_id
        plan, remaining = [], due
        for wallet_type in wallet_types:
            available = partner._haoka_wallet_balance(wallet_type)["available"]
            take = min(available, remaining)
            if currency.compare_amounts(take, 0) > 0:
                plan.append((wallet_type, take))
                remaining = currency.round(remaining - take)
        if currency.compare_amounts(remaining, 0) > 0:
            raise UserError(self.env._(
                "The balances of %(partner)s (%(balances)s) do not cover the %(due)s due on %(invoice)s.",
                partner=partner.display_name, due=currency.format(due), invoice=self.display_name,
                balances=", ".join(f"{t.name} {currency.format(partner._haoka_wallet_balance(t)['available'])}"
                                   for t in wallet_types)))
        return plan

    def _haoka_post_wallet_payments(self, partner, plan, receivable):
        """Post one wallet movement per ``(wallet type, amount)`` of ``plan`` and reconcile each with the
        invoice's open receivable lines; returns the movements."""
        Transaction = self.env["haoka.wallet.transaction"]
        transactions = Transaction
        for wallet_type, take in plan:
            count = Transaction.sudo().search_count([("source_ref", "=", f"account.move,{self.id}"),
                                                     ("wallet_type_id", "=", wallet_type.id),
                                                     ("kind", "=", "order_payment")])
            tx = Transaction._haoka_post_movement(
                partner, wallet_type, -take, "order_payment", receivable.account_id[:1],
                key=f"order_payment:{self.id}:{wallet_type.id}:{count}", source=self,
                partner_for_counterpart=self.commercial_partner_id,
                ref=self.env._("Payment of %(invoice)s", invoice=self.name))
            (tx._haoka_counterpart_line() | receivable.filtered(lambda line: not line.reconciled)).reconcile()
            transactions |= tx
        return transactions

    def _haoka_wallet_refund(self, credit_note):
        """Credit back to the wallets what they paid of this invoice, up to ``credit_note``'s amount (the
        most recent wallet payment first), reconciled with the credit note; returns the movements."""
        self.ensure_one()
        Transaction = self.env["haoka.wallet.transaction"].sudo()
        payments = Transaction.search([("source_ref", "=", f"account.move,{self.id}"), ("state", "=", "posted"),
                                       ("kind", "=", "order_payment")], order="id desc")
        if not payments:
            return Transaction
        refunded = Transaction.search([("source_ref", "=", f"account.move,{self.id}"), ("state", "=", "posted"),
                                       ("kind", "=", "order_refund")])
        currency = self.company_currency_id
        remaining = credit_note.amount_residual
        credit_lines = credit_note.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        movements = Transaction
        for wallet_type in payments.wallet_type_id:
            paid = -sum(tx.amount for tx in payments if tx.wallet_type_id == wallet_type)
            back = sum(tx.amount for tx in refunded if tx.wallet_type_id == wallet_type)
            give = min(currency.round(paid - back), remaining)
            if currency.compare_amounts(give, 0) <= 0:
                continue
            tx = Transaction._haoka_post_movement(
                payments.partner_id[:1], wallet_type, give, "order_refund", credit_lines.account_id[:1],
                key=f"order_refund:{credit_note.id}:{wallet_type.id}", source=self,
                partner_for_counterpart=credit_note.commercial_partner_id,
                ref=self.env._("Refund %(credit_note)s of %(invoice)s", credit_note=credit_note.name,
                               invoice=self.name))
            (tx._haoka_counterpart_line() | credit_lines.filtered(lambda line: not line.reconciled)).reconcile()
            remaining = currency.round(remaining - give)
            movements |= tx
        return movements
