import re
import unicodedata
from datetime import datetime, time, timedelta

import pytz

from odoo import fields, models
from odoo.exceptions import UserError

from ..tools import withholding


def name_key(name):
    """A name as compared for 同名: full-width folded, without spaces or middle dots, case-insensitive."""
    text = unicodedata.normalize("NFKC", name or "")
    return re.sub(r"[\s·•・.]+", "", text).casefold()


class HaokaWithdrawal(models.Model):
    """The rules a withdrawal must meet when submitted (the company's Settings, the distributor, its bank
    account and balance), each refusal naming the rule and the figures; and the submission itself."""

    _inherit = "haoka.withdrawal"

    def _haoka_submit(self):
        """Check, lock the wallet, check again what depends on other requests and the balance, hold."""
        self.ensure_one()
        self.check_access("write")
        self._haoka_check_state(("draft",), self.env._("submitted"))
        self._haoka_check_distributor()
        self._haoka_check_bank_account()
        self._haoka_check_amount_rules()
        self.partner_id.commercial_partner_id._haoka_wallet_lock(self.wallet_type_id)
        self._haoka_check_other_requests()
        self._haoka_check_balance()
        self.sudo()._haoka_compute_deductions()
        self.env["haoka.wallet.transaction"]._haoka_post_movement(
            self.partner_id, self.wallet_type_id, -self.amount, "withdrawal_hold",
            self.company_id.haoka_withdrawal_hold_account_id, key=self._haoka_hold_key("hold"), source=self,
            ref=self.env._("Withdrawal %(name)s held", name=self.name),
        )
        self.sudo().write({"state": "submitted", "submit_date": fields.Datetime.now()})

    def _haoka_money(self, amount):
        return self.currency_id.format(amount)

    def _haoka_check_distributor(self):
        partner = self.partner_id
        _ = self.env._
        if partner != partner.commercial_partner_id or not partner.haoka_is_distributor:
            raise UserError(_("%(partner)s is not a distributor: only distributors withdraw.",
                              partner=partner.display_name))
        if partner.haoka_kyc_state != "approved":
            raise UserError(_("Real-name verification: %(partner)s's real-name verification is not approved "
                              "(实名认证未通过); withdrawals need it.", partner=partner.display_name))
        if partner.haoka_distributor_state != "active":
            raise UserError(_("Active distributor: %(partner)s is suspended and cannot withdraw.",
                              partner=partner.display_name))
        if not self.wallet_type_id.withdrawable:
            raise UserError(_("%(wallet)s cannot be withdrawn.", wallet=self.wallet_type_id.name))
        if partner.is_company and not (self.invoice_ref or "").strip():
            raise UserError(_("Invoice: %(partner)s is a company; give the number of the invoice (发票) it issued "
                              "for this amount.", partner=partner.display_name))

    def _haoka_check_bank_account(self):
        bank, partner = self.partner_bank_id, self.partner_id
        _ = self.env._
        if not bank:
            raise UserError(_("Bank account: choose the bank account to pay %(name)s to.", name=self.name))
        if bank.partner_id.commercial_partner_id != partner:
            raise UserError(_("Bank account: %(account)s is not %(partner)s's account.",
                              account=bank.display_name, partner=partner.display_name))
        holder = bank.acc_holder_name or bank.partner_id.name
        if name_key(holder) != name_key(partner.haoka_kyc_name):
            raise UserError(_("Same name (同名): the account %(account)s is held by %(holder)s, not by the "
                              "verified legal name %(legal)s.", account=bank.acc_number, holder=holder,
                              legal=partner.haoka_kyc_name or "-"))
        if not bank.allow_out_payment:
            raise UserError(_("Trusted account: the account %(account)s has not been verified for outbound "
                              "payments yet (Accounting › bank account › Send Money).", account=bank.acc_number))

    def _haoka_check_amount_rules(self):
        company = self.company_id
        minimum = company.haoka_withdrawal_min_amount
        if minimum and self.currency_id.compare_amounts(self.amount, minimum) < 0:
            raise UserError(self.env._("Minimum withdrawal: %(amount)s is below the minimum of %(minimum)s.",
                                       amount=self._haoka_money(self.amount), minimum=self._haoka_money(minimum)))

    def _haoka_day_bounds(self):
        """The current day in the user's time zone (China when unset), as naive UTC datetimes."""
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "Asia/Shanghai")
        today = datetime.now(tz).date()
        start = tz.localize(datetime.combine(today, time())).astimezone(pytz.utc).replace(tzinfo=None)
        return start, start + timedelta(days=1)

    def _haoka_other_requests(self, domain):
        return self.sudo().search([
            ("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id),
            ("id", "!=", self.id), *domain])

    def _haoka_check_other_requests(self):
        """The rules that count the distributor's other requests (checked under the wallet lock)."""
        company, _ = self.company_id, self.env._
        if company.haoka_withdrawal_one_in_flight:
            other = self._haoka_other_requests([("state", "in", ("submitted", "approved"))])[:1]
            if other:
                raise UserError(_("One request at a time: %(other)s (%(amount)s) is not paid yet.",
                                  other=other.name, amount=self._haoka_money(other.amount)))
        maximum = company.haoka_withdrawal_max_per_day
        if maximum:
            start, end = self._haoka_day_bounds()
            today = sum(self._haoka_other_requests([
                ("state", "in", ("submitted", "approved", "paid")),
                ("submit_date", ">=", start), ("submit_date", "<", end)]).mapped("amount"))
            if self.currency_id.compare_amounts(today + self.amount, maximum) > 0:
                raise UserError(_("Maximum per day: %(today)s already requested today plus %(amount)s exceeds "
                                  "%(maximum)s.", today=self._haoka_money(today),
                                  amount=self._haoka_money(self.amount), maximum=self._haoka_money(maximum)))
        days = company.haoka_withdrawal_interval_days
        if days:
            last = self._haoka_other_requests([("state", "in", ("submitted", "approved", "paid")),
                                               ("submit_date", "!=", False)]).sorted("submit_date")[-1:]
            if last and last.submit_date + timedelta(days=days) > fields.Datetime.now():
                raise UserError(_("Days between requests: %(other)s was submitted on %(date)s; the next request "
                                  "is possible %(days)s days later, from %(next)s.", other=last.name,
                                  date=self._haoka_local(last.submit_date), days=days,
                                  next=self._haoka_local(last.submit_date + timedelta(days=days))))

    def _haoka_local(self, moment):
        return fields.Datetime.context_timestamp(self, moment).strftime("%Y-%m-%d %H:%M")

    def _haoka_check_balance(self):
        """No negative wallet of the company (a clawback not yet recovered) and enough available."""
        partner, _ = self.partner_id, self.env._
        for wallet_type in self.env["haoka.wallet.type"].sudo().search([("company_id", "=", self.company_id.id)]):
            balance = partner.sudo()._haoka_wallet_balance(wallet_type)["balance"]
            if self.currency_id.compare_amounts(balance, 0) < 0:
                raise UserError(_("Negative balance: %(wallet)s is %(balance)s; withdrawals wait until it is "
                                  "positive again.", wallet=wallet_type.name, balance=self._haoka_money(balance)))
        available = partner.sudo()._haoka_wallet_balance(self.wallet_type_id)["available"]
        if self.currency_id.compare_amounts(available, self.amount) < 0:
            raise UserError(_("Available balance: %(amount)s requested, %(available)s available in %(wallet)s.",
                              amount=self._haoka_money(self.amount), available=self._haoka_money(available),
                              wallet=self.wallet_type_id.name))

    # ------------------------------------------------------------------ fee and tax

    def _haoka_compute_deductions(self):
        """The fee and the tax to withhold, from the company's settings and the distributor's year: an
        estimate when submitted, final when paid (the tax counts the withdrawals paid before)."""
        company = self.company_id
        fee = withholding.fee(self.amount, company.haoka_withdrawal_fee_percent, company.haoka_withdrawal_fee_min,
                              company.haoka_withdrawal_fee_max)
        method = "none" if self.partner_id.is_company else company.haoka_withholding_method
        result = self._haoka_withholding(method) if method != "none" else None
        tax = result.tax if result else 0.0
        if self.currency_id.compare_amounts(fee + tax, self.amount) >= 0:
            raise UserError(self.env._("Net amount: the fee %(fee)s and the tax %(tax)s leave nothing of %(amount)s.",
                                       fee=self._haoka_money(fee), tax=self._haoka_money(tax),
                                       amount=self._haoka_money(self.amount)))
        self.write({
            "fee": fee, "tax_withheld": tax, "withholding_method": method,
            "tax_taxable": result.taxable if result else 0.0, "tax_rate": result.rate if result else 0.0,
            "tax_quick_deduction": result.quick_deduction if result else 0.0,
        })

    def _haoka_paid_this(self, period_start):
        """(income, tax) of the distributor's withdrawals paid by the company since ``period_start``."""
        paid = self._haoka_other_requests([("state", "=", "paid"), ("paid_date", ">=", period_start)])
        return sum(paid.mapped("amount")), sum(paid.mapped("tax_withheld"))

    def _haoka_withholding(self, method):
        """The tax to withhold on this withdrawal (:class:`tools.withholding.Withholding`).

        Per payment: 劳务报酬 of one month from one payer counts as one payment (属于同一项目连续性收入的，以一个
        月内取得的收入为一次), so the month's earlier paid withdrawals are added and their tax deducted;
        splitting a month's income does not lower the tax. Cumulative: the year's income so far and the
        months of the year up to the current one."""
        company = self.company_id
        brackets = self.env["haoka.withholding.bracket"]._haoka_table(method)
        today = fields.Date.context_today(self)
        if method == "per_payment":
            income, withheld = self._haoka_paid_this(today.replace(day=1))
            result = withholding.per_payment_tax(
                income + self.amount, brackets, company.haoka_withholding_small_income_limit,
                company.haoka_withholding_fixed_deduction, company.haoka_withholding_expense_rate)
            return withholding.Withholding(result.taxable, result.rate, result.quick_deduction,
                                           max(round(result.tax - withheld, 2), 0.0))
        income, withheld = self._haoka_paid_this(today.replace(month=1, day=1))
        return withholding.cumulative_tax(
            income + self.amount, today.month, withheld, brackets, company.haoka_withholding_income_rate,
            company.haoka_withholding_monthly_deduction)
