"""我的钱包, 充值 and 提现 in the portal over real HTTP: the figures a distributor sees, another distributor's
movement and withdrawal answering 404, CSRF, amounts refused, a withdrawal submitted from the portal holding
its amount, cancelling it, and a suspended distributor who reads but cannot withdraw."""

import re
import uuid

from lxml import html

from odoo import Command
from odoo.tests.common import JsonRpcException

from .test_portal import PortalCase
from .test_withdrawal import make_bank_account


class PortalWalletCase(PortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        WalletType = cls.env["haoka.wallet.type"]
        cls.commission_wallet = WalletType._haoka_get("commission")
        cls.prepaid_wallet = WalletType._haoka_get("prepaid")
        cls.expense = cls.env["account.account"].search(
            [*cls.env["account.account"]._check_company_domain(cls.env.company), ("account_type", "=", "expense")],
            limit=1)
        cls.env.company.write({
            "haoka_withdrawal_min_amount": 0, "haoka_withdrawal_max_per_day": 0,
            "haoka_withdrawal_one_in_flight": False, "haoka_withdrawal_interval_days": 0,
            "haoka_withdrawal_fee_percent": 2, "haoka_withdrawal_fee_min": 0, "haoka_withdrawal_fee_max": 0,
            "haoka_withholding_method": "none",
        })
        cls.bank_a = make_bank_account(cls.env, cls.seller, "6222020200112233001", holder=cls.seller.haoka_kyc_name)
        cls.bank_b = make_bank_account(cls.env, cls.other, "6222020200112233002", holder=cls.other.haoka_kyc_name)

    def credit(self, partner, wallet_type, amount):
        return self.env["haoka.wallet.transaction"]._haoka_post_movement(
            partner, wallet_type, amount, "commission_credit", self.expense, key=uuid.uuid4().hex, reason="test")

    def post(self, url, data, csrf_url):
        return self.url_open(url, data=dict(data, csrf_token=self.csrf_from(csrf_url)))

    def withdrawal_of(self, partner):
        return self.env["haoka.withdrawal"].search([("partner_id", "=", partner.id)])


class TestPortalWallet(PortalWalletCase):
    def test_wallet_page_and_home_tiles_show_the_figures(self):
        self.credit(self.seller, self.commission_wallet, 300)
        self.credit(self.seller, self.commission_wallet, 21.5)
        self.credit(self.seller, self.prepaid_wallet, 40)
        self.authenticate("portal_a", "portal_a")
        page = self.url_open("/my/wallet")
        self.assertEqual(page.status_code, 200)
        self.assertEqual(len(re.findall(r'class="o_haoka_balance"', page.text)), 2)
        self.assertIn("321.50", page.text)
        running = [re.sub(r"[^\d.]", "", node.text_content())
                   for node in html.fromstring(page.text).xpath("//*[hasclass('o_haoka_balance_after')]")]
        self.assertEqual(running, ["40.00", "321.50", "300.00"])
        home = self.url_open("/my").text
        self.assertIn("Available to Withdraw", home)
        self.assertIn("321.50", home)
        self.assertIn("40.00", home)

    def test_pages_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["haoka_distribution"], ["zh_CN"])
        self.env.registry.clear_cache()
        self.user_a.lang = "zh_CN"
        self.authenticate("portal_a", "portal_a", lang="zh_CN")
        for url, words in (("/my/wallet", ("我的钱包", "可用", "充值")),
                           ("/my/withdrawals/new", ("申请提现", "查看手续费")),
                           ("/my", ("可提现", "我的钱包", "提现"))):
            page = self.url_open(url).text
            for word in words:
                self.assertIn(word, page, url)
        response = self.post("/my/withdrawals/new", {"amount": "1.234"}, "/my/withdrawals/new")
        self.assertIn("的小数超过两位", response.text)

    def test_ledger_is_paginated(self):
        for _index in range(25):
            self.credit(self.seller, self.commission_wallet, 1)
        self.authenticate("portal_a", "portal_a")
        first = self.url_open("/my/wallet").text
        self.assertEqual(first.count("/my/wallet/movement/"), 20)
        self.assertIn("/my/wallet/page/2", first)
        self.assertEqual(self.url_open("/my/wallet/page/2").text.count("/my/wallet/movement/"), 5)

    def test_other_distributors_movement_and_withdrawal_answer_404(self):
        theirs = self.credit(self.other, self.commission_wallet, 100)
        withdrawal = self.env["haoka.withdrawal"].create({
            "partner_id": self.other.id, "wallet_type_id": self.commission_wallet.id, "amount": 50,
            "partner_bank_id": self.bank_b.id})
        withdrawal.action_submit()
        own = self.credit(self.seller, self.commission_wallet, 10)
        self.authenticate("portal_a", "portal_a")
        self.assertEqual(self.url_open(f"/my/wallet/movement/{own.id}").status_code, 200)
        self.assertEqual(self.url_open(f"/my/wallet/movement/{theirs.id}").status_code, 404)
        self.assertEqual(self.url_open(f"/my/withdrawals/{withdrawal.id}").status_code, 404)
        for action in ("cancel", "submit"):
            response = self.post(f"/my/withdrawals/{withdrawal.id}/{action}", {}, "/my/withdrawals/new")
            self.assertEqual(response.status_code, 404, action)
        self.assertEqual(withdrawal.state, "submitted")
        self.assertNotIn(withdrawal.name, self.url_open("/my/withdrawals").text)

    def test_csrf_is_required(self):
        self.credit(self.seller, self.commission_wallet, 100)
        self.authenticate("portal_a", "portal_a")
        for url in ("/my/wallet/topup", "/my/withdrawals/new"):
            response = self.url_open(url, data={"amount": "10", "bank_id": self.bank_a.id})
            self.assertEqual(response.status_code, 400, url)
        self.assertFalse(self.withdrawal_of(self.seller))
        self.assertFalse(self.env["payment.transaction"].search([("partner_id", "=", self.seller.id)]))


class TestPortalWithdrawals(PortalWalletCase):
    def test_bad_amounts_are_refused(self):
        self.credit(self.seller, self.commission_wallet, 100)
        self.authenticate("portal_a", "portal_a")
        for amount, message in (("-5", "must be above zero"), ("0", "must be above zero"),
                                ("1.234", "more than two decimals"), ("abc", "is not a number"),
                                ("", "is not a number")):
            response = self.post("/my/withdrawals/new", {"amount": amount, "bank_id": self.bank_a.id},
                                 "/my/withdrawals/new")
            self.assertEqual(response.status_code, 200, amount)
            self.assertIn(message, response.text, amount)
            response = self.post("/my/wallet/topup", {"amount": amount}, "/my/wallet/topup")
            self.assertIn(message, response.text, amount)
        self.assertFalse(self.withdrawal_of(self.seller))

    def test_only_a_trusted_own_bank_account(self):
        self.credit(self.seller, self.commission_wallet, 100)
        untrusted = make_bank_account(self.env, self.seller, "6222020200112233003",
                                      holder=self.seller.haoka_kyc_name, trusted=False)
        self.authenticate("portal_a", "portal_a")
        form = self.url_open("/my/withdrawals/new").text
        self.assertIn(self.bank_a.haoka_acc_number_masked, form)
        self.assertNotIn(untrusted.haoka_acc_number_masked, form)
        for bank in (untrusted, self.bank_b):
            response = self.post("/my/withdrawals/new", {"amount": "10", "bank_id": bank.id}, "/my/withdrawals/new")
            self.assertIn("choose one of your verified bank accounts", response.text)
        self.assertFalse(self.withdrawal_of(self.seller))

    def test_preview_submit_holds_then_cancel_releases(self):
        self.credit(self.seller, self.commission_wallet, 300)
        self.authenticate("portal_a", "portal_a")
        response = self.post("/my/withdrawals/new", {"amount": "100.50", "bank_id": self.bank_a.id},
                             "/my/withdrawals/new")
        withdrawal = self.withdrawal_of(self.seller)
        self.assertEqual((withdrawal.state, withdrawal.amount, withdrawal.fee, withdrawal.net_amount),
                         ("draft", 100.5, 2.01, 98.49))
        self.assertTrue(response.url.endswith(f"/my/withdrawals/{withdrawal.id}"))
        self.assertIn("98.49", response.text)  # the net amount shown before submitting
        self.assertIn("2.01", response.text)
        self.assertEqual(self.seller._haoka_wallet_balance(self.commission_wallet)["balance"], 300)

        self.post(f"/my/withdrawals/{withdrawal.id}/submit", {}, f"/my/withdrawals/{withdrawal.id}")
        self.assertEqual(withdrawal.state, "submitted")
        figures = self.seller._haoka_wallet_balance(self.commission_wallet)
        self.assertEqual((figures["balance"], figures["held"], figures["total"]), (199.5, 100.5, 300))
        page = self.url_open("/my/wallet").text
        self.assertIn("199.50", page)
        self.assertIn("100.50", page)

        self.post(f"/my/withdrawals/{withdrawal.id}/cancel", {}, f"/my/withdrawals/{withdrawal.id}")
        self.assertEqual(withdrawal.state, "cancelled")
        figures = self.seller._haoka_wallet_balance(self.commission_wallet)
        self.assertEqual((figures["balance"], figures["held"]), (300, 0))

    def test_approved_cannot_be_cancelled_and_reasons_are_shown(self):
        self.credit(self.seller, self.commission_wallet, 300)
        approved, rejected = self.env["haoka.withdrawal"].create([{
            "partner_id": self.seller.id, "wallet_type_id": self.commission_wallet.id, "amount": amount,
            "partner_bank_id": self.bank_a.id} for amount in (10, 20)])
        (approved | rejected).action_submit()
        approved.action_approve()
        rejected.action_reject("Account frozen by the bank")
        self.authenticate("portal_a", "portal_a")
        listing = self.url_open("/my/withdrawals").text
        self.assertIn("Account frozen by the bank", listing)
        self.assertIn(f"Withdrawal {rejected.name} was rejected: Account frozen by the bank",
                      self.url_open("/my").text)  # a to-do on the home
        self.assertIn(approved.name, listing)
        response = self.post(f"/my/withdrawals/{approved.id}/cancel", {}, "/my/withdrawals/new")
        self.assertEqual(response.status_code, 200)
        self.assertIn("only Draft / Submitted withdrawals can be cancelled", response.text)
        self.assertEqual(approved.state, "approved")

    def test_too_much_is_refused_with_the_figures(self):
        self.credit(self.seller, self.commission_wallet, 50)
        self.authenticate("portal_a", "portal_a")
        self.post("/my/withdrawals/new", {"amount": "80", "bank_id": self.bank_a.id}, "/my/withdrawals/new")
        withdrawal = self.withdrawal_of(self.seller)
        response = self.post(f"/my/withdrawals/{withdrawal.id}/submit", {}, f"/my/withdrawals/{withdrawal.id}")
        self.assertIn("Available balance", response.text)
        self.assertEqual(withdrawal.state, "draft")
        self.assertEqual(self.seller._haoka_wallet_balance(self.commission_wallet)["balance"], 50)

    def test_suspended_distributor_reads_but_cannot_withdraw(self):
        self.credit(self.seller, self.commission_wallet, 100)
        self.seller.haoka_distributor_state = "suspended"
        self.authenticate("portal_a", "portal_a")
        self.assertEqual(self.url_open("/my/wallet").status_code, 200)
        self.assertEqual(self.url_open("/my/withdrawals").status_code, 200)
        response = self.post("/my/withdrawals/new", {"amount": "10", "bank_id": self.bank_a.id}, "/my/withdrawals/new")
        self.assertIn("suspended", response.text)
        self.assertFalse(self.withdrawal_of(self.seller))


class TestPortalTopup(PortalWalletCase):
    def test_topup_through_the_payment_page_credits_the_prepaid_wallet(self):
        journal = self.env["account.journal"].search([("company_id", "=", self.env.company.id),
                                                      ("type", "=", "bank")], limit=1)
        unknown = self.env.ref("payment.payment_method_unknown")
        provider = self.env["payment.provider"].create({
            "name": "Portal top-up provider", "code": "none", "state": "test", "journal_id": journal.id,
            "payment_method_ids": [Command.set(unknown.ids)], "is_published": True,
        })
        unknown.active = True
        journal.inbound_payment_method_line_ids = [Command.create({
            "name": provider.name, "payment_provider_id": provider.id,
            "payment_method_id": self.env.ref("account.account_payment_method_manual_in").id})]
        self.authenticate("portal_a", "portal_a")
        page = self.post("/my/wallet/topup", {"amount": "88.80"}, "/my/wallet/topup")
        self.assertIn("/payment/pay", page.url)
        self.assertIn("/my/wallet/topup/transaction", page.text)  # Odoo's payment form posts to our route
        token = re.search(r"access_token=([^&]+)", page.url).group(1)
        params = {"provider_id": provider.id, "payment_method_id": unknown.id, "token_id": None,
                  "amount": 88.8, "currency_id": self.env.company.currency_id.id,
                  "partner_id": self.seller.id, "flow": "direct", "tokenization_requested": False,
                  "landing_route": "/my/wallet", "reference_prefix": f"TOPUP-{self.seller.id}",
                  "is_validation": False}
        with self.assertRaises(JsonRpcException):  # the amount is the one the token was made for
            self.make_jsonrpc_request("/my/wallet/topup/transaction", dict(params, amount=888, access_token=token))
        self.assertFalse(self.env["payment.transaction"].search([("partner_id", "=", self.seller.id)]))
        self.make_jsonrpc_request("/my/wallet/topup/transaction", dict(params, access_token=token))
        tx = self.env["payment.transaction"].search([("partner_id", "=", self.seller.id)])
        self.assertEqual((tx.amount, tx.haoka_wallet_topup, tx.provider_id, tx.state), (88.8, True, provider, "draft"))
        tx._set_done()
        tx._post_process()
        self.assertEqual(self.seller._haoka_wallet_balance(self.prepaid_wallet)["balance"], 88.8)
