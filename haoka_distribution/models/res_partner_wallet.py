from collections import Counter, defaultdict
from contextlib import contextmanager

from odoo import fields, models

from ..tools.groups import COMMISSION_GROUPS


class ResPartner(models.Model):
    """A distributor's wallets: the lock around a balance's read-check-write, and its balances read from
    the general ledger."""

    _inherit = "res.partner"

    haoka_wallet_ids = fields.One2many("haoka.wallet", "partner_id", string="Wallets", groups=COMMISSION_GROUPS)
    haoka_wallet_total = fields.Monetary(compute="_compute_haoka_wallet_total", string="Wallet Balance",
                                         currency_field="haoka_currency_id", groups=COMMISSION_GROUPS)

    def _compute_haoka_wallet_total(self):
        types = self.env["haoka.wallet.type"].search([("company_id", "=", self.env.company.id)])
        for partner in self:
            partner.haoka_wallet_total = sum(
                partner._haoka_wallet_balance(wallet_type)["balance"] for wallet_type in types
            ) if partner.haoka_is_distributor and partner.id else 0.0

    def _haoka_wallet_lock(self, wallet_type):
        """Lock this distributor's wallet of ``wallet_type`` until the transaction ends (every
        read-check-write of a balance takes it first); returns the ``haoka.wallet`` row."""
        self.ensure_one()
        wallet = self.env["haoka.wallet"].sudo()._haoka_row(self.commercial_partner_id, wallet_type)
        wallet._haoka_lock()
        return wallet

    def _haoka_wallet_balance(self, wallet_type):
        """``dict(balance=, held=, available=, total=)`` of this distributor's ``wallet_type``, from the
        posted journal items:

        - ``balance``: -sum of the items on the type's account for the distributor (a withdrawal's hold has
          already moved its amount out of it); negative after a clawback larger than the balance;
        - ``held``: withdrawals in flight, -sum of the items on the company's hold account (提现中) for the
          distributor in entries of this type's movements;
        - ``available``: what may be spent or withdrawn now (= ``balance``; negative blocks withdrawals);
        - ``total``: ``balance + held``, what the company owes the distributor on this type.
        Read under :meth:`_haoka_wallet_lock` when the figure decides a movement."""
        self.ensure_one()
        partner = self.commercial_partner_id
        company = wallet_type.company_id
        Wallet = self.env["haoka.wallet"]
        balance = Wallet._haoka_ledger_sum(partner.id, wallet_type.account_id.id, company.id)
        hold_account = company.sudo().haoka_withdrawal_hold_account_id
        held = Wallet._haoka_held_sum(partner, wallet_type, hold_account) if hold_account else 0.0
        currency = company.currency_id
        balance, held = currency.round(balance), currency.round(held)
        return {"balance": balance, "held": held, "available": balance, "total": currency.round(balance + held)}

    def action_haoka_open_wallets(self):
        self.ensure_one()
        for wallet_type in self.env["haoka.wallet.type"].search([("company_id", "=", self.env.company.id)]):
            self.env["haoka.wallet"].sudo()._haoka_row(self.commercial_partner_id, wallet_type)
        action = self.env["ir.actions.act_window"]._for_xml_id("haoka_distribution.action_haoka_wallet")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    # ------------------------------------------------------------------ customer/supplier ranks in bulk

    def _increase_rank(self, field, n=1):
        """Within :meth:`_haoka_ranks_in_bulk`, count the increase instead of running it: posting a wallet
        entry of a thousand distributors' payables raises each one's supplier rank by a statement of its own
        (and a savepoint around it, three statements a distributor)."""
        pending = self.env.context.get("haoka_defer_ranks") and self.env.cr.cache.get("haoka_pending_ranks")
        if pending is None or not self.ids:
            return super()._increase_rank(field, n)
        for partner_id in self.ids:
            pending[field][partner_id] += n
        return None

    @contextmanager
    def _haoka_ranks_in_bulk(self):
        """Defer the rank increases of the records posted inside (with context ``haoka_defer_ranks``) and run
        them at the end with Odoo's own ``_increase_rank``, one call per field and increase: the partners'
        ranks end as Odoo leaves them (like Odoo, an increase is skipped when another transaction holds the
        rows: ranks only order the partners in pickers)."""
        cache = self.env.cr.cache
        if cache.get("haoka_pending_ranks") is not None:  # nested: the outer block runs them
            yield
            return
        pending = cache["haoka_pending_ranks"] = defaultdict(Counter)
        try:
            yield
        finally:
            del cache["haoka_pending_ranks"]
        for field, increases in pending.items():
            by_increase = defaultdict(list)
            for partner_id, increase in increases.items():
                by_increase[increase].append(partner_id)
            for increase, partner_ids in by_increase.items():
                self.browse(partner_ids)._increase_rank(field, increase)

