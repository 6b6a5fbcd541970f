from odoo import fields, models
from odoo.exceptions import UserError

#: accounts made for a company that has none chosen in Settings: field → (code, type, names (en_US, zh_CN))
PAYOUT_ACCOUNTS = {
    "haoka_withdrawal_fee_account_id": ("6051.HK", "income_other", ("Withdrawal Fee Income", "提现手续费收入")),
    "haoka_withholding_tax_account_id": ("2221.IIT", "liability_current",
                                         ("Individual Income Tax Withheld", "应交税费—个人所得税")),
}


class HaokaWithdrawal(models.Model):
    """已打款: the outbound payment of the net amount to the distributor's bank account, the fee to income and
    the withheld tax to 应交税费—个人所得税, all three taken from the 提现中 hold; and the exports (bank
    payout file, yearly withholding ledger)."""

    _inherit = "haoka.withdrawal"

    def action_pay(self):
        """Mark approved withdrawals paid (the bank made the transfers): one payment each, in request order so
        that each one's tax counts those paid before it."""
        self._haoka_check_finance(self.env._("pays"))
        self._haoka_check_state(("approved",), self.env._("paid"))
        self._haoka_lock_rows()
        self._haoka_check_state(("approved",), self.env._("paid"))
        for withdrawal in self.sorted(lambda w: (w.submit_date or fields.Datetime.now(), w.id)):
            withdrawal.sudo()._haoka_pay()
        return True

    def _haoka_pay(self):
        self.ensure_one()
        self._haoka_check_bank_account()
        self._haoka_compute_deductions()
        payment = self._haoka_create_payment()
        Transaction = self.env["haoka.wallet.transaction"]
        hold = self.company_id.haoka_withdrawal_hold_account_id
        Transaction.create({
            "kind": "withdrawal_paid", "amount": -self.net_amount, "partner_id": self.partner_id.id,
            "wallet_type_id": self.wallet_type_id.id, "company_id": self.company_id.id, "state": "posted",
            "move_id": payment.move_id.id, "idempotency_key": self._haoka_hold_key("paid"),
            "source_ref": f"{self._name},{self.id}", "counterpart_account_id": payment.outstanding_account_id.id,
            "reason": payment.memo,
            "balance_after": self.partner_id._haoka_wallet_balance(self.wallet_type_id)["balance"],
        })
        for kind, amount, field in (("withdrawal_fee", self.fee, "haoka_withdrawal_fee_account_id"),
                                    ("tax_withheld", self.tax_withheld, "haoka_withholding_tax_account_id")):
            if not self.currency_id.is_zero(amount):
                Transaction._haoka_post_movement(
                    self.partner_id, self.wallet_type_id, -amount, kind, self._haoka_payout_account(field),
                    key=self._haoka_hold_key(kind), source=self, wallet_account=hold,
                    ref=self._haoka_payout_label(kind))
        self.write({"state": "paid", "paid_date": fields.Date.context_today(self), "payment_id": payment.id})

    def _haoka_payout_label(self, kind):
        _ = self.env._
        return {"withdrawal_fee": _("Withdrawal %(name)s: fee", name=self.name),
                "tax_withheld": _("Withdrawal %(name)s: individual income tax withheld", name=self.name),
                "withdrawal_paid": _("Withdrawal %(name)s", name=self.name)}[kind]

    def _haoka_create_payment(self):
        """The posted outbound payment of the net amount, from the hold account to the bank account."""
        payment = self.env["account.payment"].with_company(self.company_id).create({
            "payment_type": "outbound",
            "partner_type": "supplier",
            "partner_id": self.partner_id.id,
            "partner_bank_id": self.partner_bank_id.id,
            "amount": self.net_amount,
            "currency_id": self.currency_id.id,
            "journal_id": self._haoka_payout_journal().id,
            "date": fields.Date.context_today(self),
            "memo": self._haoka_payout_label("withdrawal_paid"),
            "destination_account_id": self.company_id.haoka_withdrawal_hold_account_id.id,
        })
        payment.action_post()
        return payment

    def _haoka_payout_journal(self):
        company = self.company_id
        journal = company.haoka_withdrawal_journal_id or self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        if not journal:
            raise UserError(self.env._("Company %(company)s has no bank journal to pay withdrawals from: choose one "
                                       "in Settings.", company=company.name))
        return journal

    def _haoka_payout_account(self, field):
        """The company's account ``field`` (fee income or withheld tax), made and kept in Settings if empty."""
        company = self.company_id.sudo()
        if company[field]:
            return company[field]
        code, account_type, names = PAYOUT_ACCOUNTS[field]
        Account = self.env["account.account"].sudo().with_company(company)
        account = Account.search([*Account._check_company_domain(company), ("code", "=", code)], limit=1)
        if not account:
            account = Account.create({"code": code, "name": names[0], "account_type": account_type,
                                      "company_ids": [fields.Command.set(company.ids)]})
            if "zh_CN" in dict(self.env["res.lang"].get_installed()):
                account.update_field_translations("name", {"zh_CN": names[1]})
        company[field] = account
        return account
