"""Withdrawals (提现): the hold at submission and its release, approval and payment (an outbound payment, the fee
and the withheld tax posted from the 提现中 hold), every rule of the company's Settings with its message,
tax withholding per payment and cumulative (figures computed by hand), the batch payout file and the bank's
return, the yearly withholding ledger, 20 requests submitted in parallel, and access."""

import base64
import threading
import uuid

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user
from odoo.tools import mute_logger

from ..tools import spreadsheet
from .common import HaokaCase, activate_chinese, committed_row_counts, make_distributor, separate_env

NO_MAIL = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True,
           "mail_notrack": True}


def make_bank_account(env, partner, number, holder=None, trusted=True):
    bank = env["res.partner.bank"].create({
        "partner_id": partner.id, "acc_number": number, "acc_holder_name": holder,
        "bank_id": env["res.bank"].create({"name": "中国工商银行北京分行"}).id,
    })
    bank.allow_out_payment = trusted  # the test runs as a user with "Validate bank account"
    return bank


class WithdrawalCase(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        WalletType = cls.env["haoka.wallet.type"]
        cls.commission = WalletType._haoka_get("commission")
        cls.prepaid = WalletType._haoka_get("prepaid")
        cls.hold_account = cls.company.haoka_withdrawal_hold_account_id
        cls.agent = make_distributor(cls.env, "Zhao Min", "940")
        cls.bank = make_bank_account(cls.env, cls.agent, "6222020200112233445", holder="Zhao Min")
        cls.other_account = cls.env["account.account"].search(
            [*cls.env["account.account"]._check_company_domain(cls.company), ("account_type", "=", "expense")],
            limit=1)
        cls.company.write({
            "haoka_withdrawal_min_amount": 0, "haoka_withdrawal_max_per_day": 0,
            "haoka_withdrawal_one_in_flight": False, "haoka_withdrawal_interval_days": 0,
            "haoka_withdrawal_fee_percent": 0, "haoka_withdrawal_fee_min": 0, "haoka_withdrawal_fee_max": 0,
            "haoka_withholding_method": "none",
        })

    def credit(self, amount, partner=None, wallet_type=None):
        return self.env["haoka.wallet.transaction"]._haoka_post_movement(
            partner or self.agent, wallet_type or self.commission, amount, "commission_credit", self.other_account,
            key=uuid.uuid4().hex, reason="test")

    def request(self, amount, partner=None, bank=None, user=None, **vals):
        Withdrawal = self.env["haoka.withdrawal"].with_user(user or self.finance)
        return Withdrawal.create(dict({
            "partner_id": (partner or self.agent).id, "wallet_type_id": self.commission.id, "amount": amount,
            "partner_bank_id": self.bank.id if bank is None else bank.id,
        }, **vals))

    def balance(self, partner=None):
        return (partner or self.agent)._haoka_wallet_balance(self.commission)

    def pay(self, withdrawal):
        withdrawal.with_user(self.finance).action_approve()
        withdrawal.with_user(self.finance).action_pay()
        return withdrawal


class TestWithdrawalFlow(WithdrawalCase):

    def test_submit_holds_then_pay_posts_payment_fee_and_tax(self):
        """Submit holds the amount; paying posts the outbound payment of the net, the fee and the tax.

        Long because every journal line of the whole withdrawal is checked by account in one flow."""
        activate_chinese(self.env)
        self.credit(10000)
        self.company.write({"haoka_withdrawal_fee_percent": 1, "haoka_withdrawal_fee_min": 2,
                            "haoka_withdrawal_fee_max": 50, "haoka_withholding_method": "per_payment"})
        withdrawal = self.request(3000)
        self.assertEqual(withdrawal.state, "draft")
        withdrawal.action_submit()
        # fee 3,000 × 1 % = 30; tax (3,000 − 800) × 20 % = 440; net 3,000 − 30 − 440
        self.assertEqual((withdrawal.state, withdrawal.fee, withdrawal.tax_withheld, withdrawal.net_amount),
                         ("submitted", 30, 440, 2530))
        self.assertEqual(self.balance(), {"balance": 7000, "held": 3000, "available": 7000, "total": 10000})
        hold = withdrawal.transaction_ids.filtered(lambda t: t.kind == "withdrawal_hold")
        self.assertEqual((hold.amount, hold.move_id.state), (-3000, "posted"))

        self.pay(withdrawal)
        self.assertEqual((withdrawal.state, withdrawal.approver_id), ("paid", self.finance))
        payment = withdrawal.payment_id
        self.assertEqual((payment.payment_type, payment.amount, payment.partner_bank_id, payment.partner_id),
                         ("outbound", 2530, self.bank, self.agent))
        self.assertIn(withdrawal.name, payment.memo)
        self.assertEqual(payment.move_id.state, "posted")
        tax_account = self.company.haoka_withholding_tax_account_id
        fee_account = self.company.haoka_withdrawal_fee_account_id
        self.assertEqual((tax_account.account_type, fee_account.account_type), ("liability_current", "income_other"))
        self.assertEqual((tax_account.code, tax_account.with_context(lang="zh_CN").name),
                         ("2221.IIT", "应交税费—个人所得税"))
        # every yuan of the hold leaves the 提现中 account: 2,530 to the bank, 30 to income, 440 to tax payable
        lines = self.env["account.move.line"].search([("move_id", "in", withdrawal.transaction_ids.move_id.ids),
                                                      ("move_id", "!=", hold.move_id.id)])
        by_account = {}
        for line in lines:
            by_account[line.account_id] = by_account.get(line.account_id, 0) + line.balance
        self.assertEqual(by_account, {self.hold_account: 3000, payment.outstanding_account_id: -2530,
                                      fee_account: -30, tax_account: -440})
        self.assertEqual(set(lines.partner_id), {self.agent})
        self.assertEqual(sorted(withdrawal.transaction_ids.mapped("kind")),
                         ["tax_withheld", "withdrawal_fee", "withdrawal_hold", "withdrawal_paid"])
        self.assertEqual(self.balance(), {"balance": 7000, "held": 0, "available": 7000, "total": 7000})
        # the daily check finds every entry on the wallet and 提现中 accounts explained by a movement
        Tx = self.env["haoka.wallet.transaction"]
        problems = Tx._haoka_check_wallet_type(self.prepaid) + Tx._haoka_check_wallet_type(self.commission)
        names = withdrawal.transaction_ids.move_id.mapped("name")
        self.assertEqual([p for p in problems if any(name in p for name in names)], [])

    def test_paid_on_a_company_with_the_chinese_chart(self):
        activate_chinese(self.env)
        company = self.env["res.company"].create({
            "name": "号卡提现测试公司", "country_id": self.env.ref("base.cn").id,
            "currency_id": self.env.ref("base.CNY").id,
            "haoka_withholding_method": "per_payment", "haoka_withdrawal_fee_percent": 0.6,
        })
        self.env["account.chart.template"].try_loading("cn", company, install_demo=False)
        self.env.invalidate_all()
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        chart = env["account.chart.template"].with_company(company)
        commission = env["haoka.wallet.type"]._haoka_get("commission", company)
        env["haoka.wallet.transaction"]._haoka_post_movement(
            self.agent, commission, 5000, "commission_credit", chart.ref("l10n_cn_common_account_1002"), key="cn-wd")
        withdrawal = env["haoka.withdrawal"].create({
            "company_id": company.id, "partner_id": self.agent.id, "wallet_type_id": commission.id, "amount": 3000,
            "partner_bank_id": self.bank.id})
        withdrawal.action_submit()
        withdrawal.action_approve()
        withdrawal.action_pay()
        # fee 3,000 × 0.6 % = 18; tax (3,000 − 800) × 20 % = 440
        payment = withdrawal.payment_id
        self.assertEqual((withdrawal.fee, withdrawal.tax_withheld, payment.amount, payment.currency_id.name),
                         (18, 440, 2542, "CNY"))
        self.assertEqual((payment.company_id, payment.journal_id.company_id, payment.journal_id.type),
                         (company, company, "bank"))
        tax_account = company.haoka_withholding_tax_account_id.with_company(company)
        self.assertEqual((tax_account.code, tax_account.with_context(lang="zh_CN").name, tax_account.company_ids),
                         ("2221.IIT", "应交税费—个人所得税", company))
        self.assertEqual(self.agent._haoka_wallet_balance(commission),
                         {"balance": 2000, "held": 0, "available": 2000, "total": 2000})
        self.assertEqual(self.balance()["balance"], 0)  # the other company's wallet is untouched

    def test_entered_through_the_form(self):
        self.credit(800)
        with Form(self.env["haoka.withdrawal"].with_user(self.finance)) as form:
            form.partner_id = self.agent
            self.assertEqual(form.wallet_type_id, self.commission)  # the company's withdrawable wallet
            form.partner_bank_id = self.bank
            form.amount = 500
        withdrawal = form.record
        self.assertTrue(withdrawal.name.startswith("TX/"))
        withdrawal.action_submit()
        self.assertEqual((withdrawal.state, withdrawal.net_amount), ("submitted", 500))
        # the distributor form opens its withdrawals for finance, not for staff
        button = 'name="%s"' % self.env.ref("haoka_distribution.action_haoka_withdrawals").id
        for user, shown in ((self.finance, True), (self.staff, False)):
            arch = self.env["res.partner"].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
            self.assertEqual(button in arch, shown, user.login)

    def test_reject_cancel_and_failed_payment_give_the_amount_back(self):
        self.credit(500)
        rejected, cancelled, failed = self.request(100), self.request(150), self.request(200)
        (rejected | cancelled | failed).action_submit()
        self.assertEqual(self.balance()["held"], 450)
        with self.assertRaisesRegex(UserError, "reason"):
            rejected.with_user(self.finance).action_reject("  ")
        action = rejected.with_user(self.finance).with_context(haoka_action="reject").action_open_reason()
        self.env["haoka.withdrawal.reason"].with_user(self.finance).with_context(action["context"]).create(
            {"reason": "Account frozen by the bank"}).action_confirm()
        self.assertEqual((rejected.state, rejected.reject_reason), ("rejected", "Account frozen by the bank"))
        cancelled.action_cancel()
        failed.with_user(self.finance).action_approve()
        failed.with_user(self.finance).action_fail("户名不符")
        self.assertEqual((cancelled.state, failed.state, failed.failure_reason), ("cancelled", "failed", "户名不符"))
        self.assertEqual(self.balance(), {"balance": 500, "held": 0, "available": 500, "total": 500})
        # a finished request cannot be released twice
        with self.assertRaises(UserError):
            rejected.with_user(self.finance).action_reject("again")
        with self.assertRaises(UserError):
            failed.with_user(self.finance).action_pay()
        self.assertEqual(self.balance()["balance"], 500)

    def test_only_finance_approves_pays_and_rejects(self):
        self.credit(100)
        withdrawal = self.request(100)
        withdrawal.action_submit()
        for user in (self.manager, self.staff):
            with self.assertRaises(AccessError):
                withdrawal.with_user(user).action_approve()
            with self.assertRaises(AccessError):
                withdrawal.with_user(user).action_reject("no")
        withdrawal.with_user(self.finance).action_approve()
        with self.assertRaises(AccessError):
            withdrawal.with_user(self.manager).action_pay()
        self.assertEqual(withdrawal.state, "approved")
        # a manager reads withdrawals, staff do not
        self.assertEqual(withdrawal.with_user(self.manager).amount, 100)
        with self.assertRaises(AccessError):
            withdrawal.with_user(self.staff).read(["amount"])

    def test_portal_distributor_reads_only_its_own(self):
        self.credit(300)
        other = make_distributor(self.env, "Qian Li", "941")
        self.credit(300, partner=other)
        own = self.request(100)
        theirs = self.request(100, partner=other, bank=make_bank_account(self.env, other, "6222000011112222",
                                                                        holder="Qian Li"))
        portal = new_test_user(self.env, login="haoka_portal_zhao", groups="base.group_portal",
                               partner_id=self.agent.id)
        Withdrawal = self.env["haoka.withdrawal"].with_user(portal)
        self.assertEqual(Withdrawal.search([]), own)
        self.assertEqual(own.with_user(portal).amount, 100)
        with self.assertRaises(AccessError):
            theirs.with_user(portal).read(["amount"])
        with self.assertRaises(AccessError):
            own.with_user(portal).write({"amount": 1})


class TestWithdrawalRules(WithdrawalCase):

    def assertRefused(self, withdrawal, pattern):
        with self.assertRaisesRegex(UserError, pattern):
            withdrawal.action_submit()
        self.assertEqual(withdrawal.state, "draft")

    def test_minimum_and_maximum_per_day(self):
        self.credit(5000)
        self.company.write({"haoka_withdrawal_min_amount": 100, "haoka_withdrawal_max_per_day": 1000})
        self.assertRefused(self.request(99.99), r"Minimum withdrawal: .*99\.99.* minimum of .*100\.00")
        self.request(600).action_submit()
        self.assertRefused(self.request(500), r"Maximum per day: .*600\.00.*500\.00.*1,000\.00")
        self.request(400).action_submit()  # 600 + 400 = 1,000: the maximum itself is allowed
        self.assertEqual(self.balance()["held"], 1000)

    def test_one_request_at_a_time_and_days_between(self):
        self.credit(5000)
        self.company.haoka_withdrawal_one_in_flight = True
        with freeze_time("2026-03-02 10:00:00"):
            first = self.request(100)
            first.action_submit()
            self.assertRefused(self.request(100), "One request at a time: %s" % first.name)
            self.pay(first)
            self.company.haoka_withdrawal_interval_days = 7
            self.assertRefused(self.request(100), r"Days between requests: %s .* 7 days" % first.name)
        with freeze_time("2026-03-09 09:59:00"):
            self.assertRefused(self.request(100), "Days between requests")
        with freeze_time("2026-03-09 10:00:01"):
            second = self.request(100)
            second.action_submit()
            self.assertEqual(second.state, "submitted")

    def test_distributor_real_name_and_status(self):
        self.credit(500)
        self.agent.haoka_distributor_state = "suspended"
        self.assertRefused(self.request(100), "Active distributor: Zhao Min is suspended")
        self.agent.haoka_distributor_state = "active"
        self.agent.sudo().haoka_kyc_state = "rejected"
        self.assertRefused(self.request(100), "Real-name verification: .*not approved")
        not_distributor = self.env["res.partner"].create({"name": "Zhao Min"})
        with self.assertRaises(UserError):
            self.request(100, partner=not_distributor, bank=make_bank_account(
                self.env, not_distributor, "6222999900001111", holder="Zhao Min")).action_submit()

    def test_bank_account_same_name_and_trusted(self):
        self.credit(500)
        stranger = make_bank_account(self.env, self.agent, "6222000000000001", holder="Wang Wu")
        self.assertRefused(self.request(100, bank=stranger),
                           r"Same name.*6222000000000001.*Wang Wu.*Zhao Min")
        untrusted = make_bank_account(self.env, self.agent, "6222000000000002", holder="ZHAO  MIN", trusted=False)
        self.assertRefused(self.request(100, bank=untrusted), "Trusted account: .*6222000000000002")
        # no holder name: the account's partner name is compared (same name, full-width and spaces folded)
        self.agent.sudo().haoka_kyc_name = "Ｚｈａｏ Min"
        no_holder = make_bank_account(self.env, self.agent, "6222000000000003", holder=False)
        withdrawal = self.request(100, bank=no_holder)
        withdrawal.action_submit()
        self.assertEqual(withdrawal.state, "submitted")
        self.assertRefused(self.request(100, bank=self.env["res.partner.bank"]), "Bank account: choose")

    def test_available_balance_and_negative_wallet(self):
        self.credit(300)
        self.assertRefused(self.request(300.01), r"Available balance: .*300\.01.*300\.00")
        self.request(200).action_submit()
        self.assertRefused(self.request(100.01), r"Available balance: .*100\.01.*100\.00")
        self.credit(-150)  # a clawback: the commission balance is now -50
        self.credit(1000, wallet_type=self.prepaid)
        self.assertRefused(self.request(10), r"Negative balance: .*-.?50\.00")

    def test_prepaid_balance_is_not_withdrawable(self):
        self.credit(500, wallet_type=self.prepaid)
        withdrawal = self.request(100, wallet_type_id=self.prepaid.id)
        self.assertRefused(withdrawal, "cannot be withdrawn")

    def test_company_distributor_gives_invoice_no_tax(self):
        self.company.haoka_withholding_method = "per_payment"
        firm = make_distributor(self.env, "深圳号卡科技有限公司", "942")
        firm.is_company = True
        self.credit(50000, partner=firm)
        bank = make_bank_account(self.env, firm, "755900112233", holder="深圳号卡科技有限公司")
        self.assertRefused(self.request(30000, partner=firm, bank=bank), "Invoice: .*发票")
        withdrawal = self.request(30000, partner=firm, bank=bank, invoice_ref="04400231 12345678")
        withdrawal.action_submit()
        self.pay(withdrawal)
        self.assertEqual((withdrawal.tax_withheld, withdrawal.withholding_method, withdrawal.payment_id.amount),
                         (0, "none", 30000))


class TestWithdrawalTax(WithdrawalCase):

    def test_per_payment_counts_the_month_as_one_payment(self):
        self.credit(20000)
        self.company.haoka_withholding_method = "per_payment"
        with freeze_time("2026-03-10"):
            first = self.pay(self._submitted(2000))
            self.assertEqual(first.tax_withheld, 240)  # (2,000 − 800) × 20 %
            # the month's 5,000 together: 5,000 × 80 % × 20 % = 800, less the 240 already withheld
            second = self.pay(self._submitted(3000))
            self.assertEqual((second.tax_withheld, second.tax_taxable), (800 - 240, 4000))
        with freeze_time("2026-04-02"):
            april = self.pay(self._submitted(3000))
            self.assertEqual(april.tax_withheld, 440)  # a new month: (3,000 − 800) × 20 %
            self.assertEqual((april.net_amount, april.payment_id.amount), (2560, 2560))

    def test_cumulative_through_the_year(self):
        self.credit(200000)
        self.company.haoka_withholding_method = "cumulative"
        with freeze_time("2026-03-15"):
            # 20,000 × 80 % − 5,000 × 3 = 1,000 × 3 % = 30
            first = self.pay(self._submitted(20000))
            self.assertEqual((first.tax_taxable, first.tax_rate, first.tax_withheld), (1000, 3, 30))
            # 50,000 × 80 % − 15,000 = 25,000 × 3 % = 750, less 30 = 720
            second = self.pay(self._submitted(30000))
            self.assertEqual(second.tax_withheld, 720)
            # 150,000 × 80 % − 15,000 = 105,000 × 10 % − 2,520 = 7,980, less 750 = 7,230
            third = self.pay(self._submitted(100000))
            self.assertEqual((third.tax_rate, third.tax_quick_deduction, third.tax_withheld), (10, 2520, 7230))
        with freeze_time("2027-01-20"):
            # a new year starts again: 20,000 × 80 % − 5,000 × 1 = 11,000 × 3 % = 330
            self.assertEqual(self.pay(self._submitted(20000)).tax_withheld, 330)

    def test_estimate_at_submission_final_at_payment(self):
        self.credit(20000)
        self.company.haoka_withholding_method = "per_payment"
        with freeze_time("2026-05-05"):
            early, late = self._submitted(3000), self._submitted(3000)
            self.assertEqual((early.tax_withheld, late.tax_withheld), (440, 440))  # each alone
            self.pay(early)
            self.pay(late)
            # paid after it, the second counts the first: 6,000 × 80 % × 20 % = 960, less 440
            self.assertEqual(late.tax_withheld, 960 - 440)

    def test_yearly_withholding_ledger_export(self):
        self.credit(100000)
        self.company.haoka_withholding_method = "cumulative"
        with freeze_time("2026-03-15"):
            self.pay(self._submitted(20000))
            self.pay(self._submitted(30000))
        wizard = self.env["haoka.withholding.ledger"].with_user(self.finance).create({"year": 2026})
        wizard.action_export()
        rows = spreadsheet.read_rows(base64.b64decode(wizard.file), wizard.filename)
        self.assertEqual(rows[0][:4], ["Legal Name", "Distributor", "Withdrawal", "Paid On"])
        self.assertEqual(len(rows), 3)
        self.assertEqual([row[0] for row in rows[1:]], ["Zhao Min", "Zhao Min"])
        self.assertEqual([row[4] for row in rows[1:]], [20000, 30000])  # income
        self.assertEqual([row[9] for row in rows[1:]], [30, 720])  # tax withheld
        self.assertEqual(rows[2][10:12], [50000, 750])  # year to date
        self.assertFalse(self.env["haoka.withholding.ledger"].with_user(self.finance).create(
            {"year": 2025})._haoka_rows())
        with self.assertRaises(AccessError):
            self.env["haoka.withholding.ledger"].with_user(self.manager).create({"year": 2026})

    def _submitted(self, amount):
        withdrawal = self.request(amount)
        withdrawal.action_submit()
        return withdrawal


class TestWithdrawalPayout(WithdrawalCase):

    def test_batch_export_then_paid_and_failed_from_the_return(self):
        self.credit(1000)
        other = make_distributor(self.env, "Sun Hao", "943")
        self.credit(1000, partner=other)
        other_bank = make_bank_account(self.env, other, "0200000012345678901234", holder="Sun Hao")
        first, second = self.request(300), self.request(450.5, partner=other, bank=other_bank)
        draft = self.request(100)
        (first | second).action_submit()
        (first | second).with_user(self.finance).action_approve()
        Payout = self.env["haoka.withdrawal.payout"].with_user(self.finance).with_context(
            active_model="haoka.withdrawal", active_ids=(first | second | draft).ids)
        payout = Payout.create({})
        self.assertEqual(payout.line_ids.withdrawal_id, first | second)  # only approved ones
        payout.action_export()
        rows = spreadsheet.read_rows(base64.b64decode(payout.file), payout.filename)
        self.assertEqual(rows[0], ["户名", "开户行", "账号", "金额", "用途"])
        self.assertEqual(sorted(tuple(row[:4]) for row in rows[1:]), [
            ("Sun Hao", "中国工商银行北京分行", "0200000012345678901234", 450.5),
            ("Zhao Min", "中国工商银行北京分行", "6222020200112233445", 300),
        ])
        self.assertTrue(all(row[4].endswith(name) for row, name in zip(
            sorted(rows[1:], key=lambda r: r[0]), [second.name, first.name], strict=False)))
        self.assertEqual((first.payout_exported, second.payout_exported), (True, True))
        # the bank's return: the second failed
        line = payout.line_ids.filtered(lambda l: l.withdrawal_id == second)
        line.failed = True
        with self.assertRaisesRegex(UserError, "reason"):
            payout.action_apply_return()
        line.failure_reason = "账户已销户"
        payout.action_apply_return()
        self.assertEqual((first.state, second.state, second.failure_reason), ("paid", "failed", "账户已销户"))
        self.assertEqual(first.payment_id.amount, 300)
        self.assertEqual(self.balance(other), {"balance": 1000, "held": 0, "available": 1000, "total": 1000})
        self.assertEqual(self.balance()["balance"], 700)

    def test_payout_needs_approved_withdrawals(self):
        self.credit(100)
        withdrawal = self.request(100)
        with self.assertRaisesRegex(UserError, "approved"):
            self.env["haoka.withdrawal.payout"].with_user(self.finance).with_context(
                active_ids=withdrawal.ids).create({})


class TestWithdrawalRace(WithdrawalCase):

    def test_parallel_submissions_hold_at_most_the_balance(self):
        """20 requests of 100 submitted at once, each in its own transaction, on a balance of 1,000: at most
        1,000 is held (exactly 10 requests, the others refused with the figures or by the lock)."""
        registry = self.env.registry
        rows_before = committed_row_counts(registry)
        ids = {}
        try:
            with separate_env(registry, context=NO_MAIL) as env:
                agent = make_distributor(env, "Race Withdrawal Agent", "944")
                bank = make_bank_account(env, agent, "6222777700001111", holder="Race Withdrawal Agent")
                commission = env["haoka.wallet.type"]._haoka_get("commission")
                seed = env["haoka.wallet.transaction"]._haoka_post_movement(
                    agent, commission, 1000, "commission_credit", env["account.account"].browse(self.other_account.id),
                    key="race-" + uuid.uuid4().hex)
                withdrawals = env["haoka.withdrawal"].create([{
                    "partner_id": agent.id, "wallet_type_id": commission.id, "amount": 100,
                    "partner_bank_id": bank.id} for _i in range(20)])
                ids = {"agent": agent.id, "bank": bank.id, "bank_bank": bank.bank_id.id, "seed": seed.id,
                       "withdrawals": withdrawals.ids, "commission": commission.id}
            results = self._submit_in_parallel(registry, ids["withdrawals"])
            with separate_env(registry) as env:
                agent = env["res.partner"].browse(ids["agent"])
                balance = agent._haoka_wallet_balance(env["haoka.wallet.type"].browse(ids["commission"]))
                submitted = env["haoka.withdrawal"].browse(ids["withdrawals"]).filtered(
                    lambda w: w.state == "submitted")
            self.assertEqual(sorted(results), ["refused"] * 10 + ["submitted"] * 10)
            self.assertEqual((len(submitted), balance["held"], balance["balance"]), (10, 1000, 0))
        finally:
            if ids:
                self._cleanup_race(registry, ids)
        self.assertNoRowsLeft(rows_before)

    def _submit_in_parallel(self, registry, withdrawal_ids):
        from psycopg2.errors import SerializationFailure

        results = []
        barrier = threading.Barrier(len(withdrawal_ids))

        def submit(withdrawal_id):
            barrier.wait()
            for _attempt in range(50):  # Odoo retries a request that hit a serialization failure
                try:
                    with separate_env(registry, context=NO_MAIL) as env:
                        env["haoka.withdrawal"].browse(withdrawal_id).action_submit()
                    results.append("submitted")
                    return
                except SerializationFailure:
                    continue
                except UserError:
                    results.append("refused")
                    return
            results.append("gave up")

        threads = [threading.Thread(target=submit, args=(wid,)) for wid in withdrawal_ids]
        with mute_logger("odoo.sql_db"):  # the serialization failures retried above
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return results

    def _cleanup_race(self, registry, ids):
        with separate_env(registry) as env:
            cr = env.cr
            agent = [ids["agent"]]
            cr.execute("SELECT move_id FROM haoka_wallet_transaction WHERE partner_id = %s AND move_id IS NOT NULL",
                       (ids["agent"],))
            moves = [row[0] for row in cr.fetchall()]
            cr.execute("DELETE FROM haoka_wallet_transaction WHERE partner_id = %s", (ids["agent"],))
            cr.execute("DELETE FROM haoka_wallet WHERE partner_id = %s", (ids["agent"],))
            cr.execute("DELETE FROM haoka_withdrawal WHERE partner_id = %s", (ids["agent"],))
            cr.execute("DELETE FROM account_move_line WHERE move_id = ANY(%s)", (moves,))
            cr.execute("DELETE FROM account_move WHERE id = ANY(%s)", (moves,))
            for model, res_ids in (("account.move", moves), ("res.partner", agent),
                                   ("haoka.withdrawal", ids["withdrawals"]),
                                   ("res.partner.bank", [ids["bank"]])):
                cr.execute("DELETE FROM mail_message WHERE model = %s AND res_id = ANY(%s)", (model, res_ids))
                cr.execute("DELETE FROM mail_followers WHERE res_model = %s AND res_id = ANY(%s)", (model, res_ids))
            cr.execute("DELETE FROM res_partner_bank WHERE id = %s", (ids["bank"],))
            cr.execute("DELETE FROM res_bank WHERE id = %s", (ids["bank_bank"],))
            cr.execute("DELETE FROM res_partner WHERE id = %s", (ids["agent"],))
