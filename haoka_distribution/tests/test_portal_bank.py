"""提现's bank accounts in the portal over real HTTP: own accounts listed with masked numbers, an account
added in the verified legal name (同名) and never trusted until 号卡财务 says so, bad input refused with the
reason, archiving refused while a withdrawal uses the account, another distributor's account answering 404,
CSRF; and the account number masked on the withdrawal pages."""

from odoo.tests import tagged
from odoo.tests.common import BaseCase

from ..tools import bank_account
from .test_portal_wallet import PortalWalletCase

NUMBER = "6222 0202 0011 2233 999"


@tagged("post_install", "-at_install")
class TestPortalBankAccounts(PortalWalletCase):
    def own_banks(self, partner=None, active_test=True):
        return self.env["res.partner.bank"].with_context(active_test=active_test).search(
            [("partner_id", "=", (partner or self.seller).id)])

    def add(self, **data):
        form = {"holder": self.seller.haoka_kyc_name, "acc_number": NUMBER, "bank_name": "中国工商银行北京西城支行"}
        form.update(data)
        return self.post("/my/bank-accounts/add", form, "/my/bank-accounts")

    def test_list_is_own_and_masked(self):
        self.authenticate("portal_a", "portal_a")
        page = self.url_open("/my/bank-accounts")
        self.assertEqual(page.status_code, 200)
        self.assertIn("**** 3001", page.text)
        self.assertNotIn(self.bank_a.acc_number, page.text)
        self.assertNotIn("**** 3002", page.text)  # B's account
        self.assertIn("must be verified by our finance team", page.text)

    def test_add_in_own_name_is_not_trusted(self):
        self.authenticate("portal_a", "portal_a")
        response = self.add()
        self.assertEqual(response.status_code, 200)
        bank = self.own_banks() - self.bank_a
        self.assertEqual((bank.acc_number, bank.acc_holder_name, bank.bank_id.name, bank.allow_out_payment),
                         ("6222020200112233999", self.seller.haoka_kyc_name, "中国工商银行北京西城支行", False))
        self.assertIn("Waiting for verification", response.text)
        self.assertIn("**** 3999", response.text)
        self.assertNotIn("6222020200112233999", response.text)
        # not offered for a withdrawal until finance trusts it
        self.assertNotIn("**** 3999", self.url_open("/my/withdrawals/new").text)
        bank.allow_out_payment = True
        self.assertIn("**** 3999", self.url_open("/my/withdrawals/new").text)

    def test_bad_input_is_refused_with_the_reason(self):
        self.authenticate("portal_a", "portal_a")
        for data, message in (
            ({"holder": "张三"}, "is not your verified legal name"),
            ({"holder": ""}, "is not your verified legal name"),
            ({"acc_number": "6222-abc-123"}, "is not valid (10 to 30 digits)"),
            ({"acc_number": "12345"}, "is not valid (10 to 30 digits)"),
            ({"acc_number": "1" * 31}, "is not valid (10 to 30 digits)"),
            ({"bank_name": " "}, "give the name of the bank"),
            ({"acc_number": self.bank_a.acc_number}, "is already one of your accounts"),
        ):
            response = self.add(**data)
            self.assertEqual(response.status_code, 200, data)
            self.assertIn(message, response.text, data)
        self.assertEqual(self.own_banks(active_test=False), self.bank_a)

    def test_same_name_ignores_spaces_and_width(self):
        self.seller.haoka_kyc_name = "阿不都·热合曼"
        self.authenticate("portal_a", "portal_a")
        self.add(holder="阿不都 热合曼")
        self.assertEqual(len(self.own_banks()), 2)

    def test_archive_own_unused_but_not_while_a_withdrawal_uses_it(self):
        self.credit(self.seller, self.commission_wallet, 100)
        self.authenticate("portal_a", "portal_a")
        self.post("/my/withdrawals/new", {"amount": "10", "bank_id": self.bank_a.id}, "/my/withdrawals/new")
        withdrawal = self.withdrawal_of(self.seller)
        self.assertEqual(withdrawal.state, "draft")
        response = self.post(f"/my/bank-accounts/{self.bank_a.id}/archive", {}, "/my/bank-accounts")
        self.assertIn(f"is used by withdrawal {withdrawal.name}", response.text)
        self.assertTrue(self.bank_a.active)
        withdrawal.action_cancel()
        response = self.post(f"/my/bank-accounts/{self.bank_a.id}/archive", {}, "/my/bank-accounts")
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.bank_a.active)
        self.assertNotIn("**** 3001", response.text)

    def test_another_distributors_account_answers_404(self):
        self.authenticate("portal_a", "portal_a")
        response = self.post(f"/my/bank-accounts/{self.bank_b.id}/archive", {}, "/my/bank-accounts")
        self.assertEqual(response.status_code, 404)
        self.assertTrue(self.bank_b.active)
        self.assertNotIn("**** 3002", self.url_open("/my/bank-accounts").text)

    def test_csrf_is_required(self):
        self.authenticate("portal_a", "portal_a")
        response = self.url_open("/my/bank-accounts/add", data={"holder": self.seller.haoka_kyc_name,
                                                                "acc_number": NUMBER, "bank_name": "工行"})
        self.assertEqual(response.status_code, 400)
        response = self.url_open(f"/my/bank-accounts/{self.bank_a.id}/archive", data={"confirm": "1"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.own_banks(), self.bank_a)
        self.assertTrue(self.bank_a.active)

    def test_withdrawal_pages_mask_the_number(self):
        self.credit(self.seller, self.commission_wallet, 100)
        self.authenticate("portal_a", "portal_a")
        form = self.url_open("/my/withdrawals/new").text
        self.assertIn("**** 3001", form)
        self.assertIn('href="/my/bank-accounts"', form)
        self.assertNotIn(self.bank_a.acc_number, form)
        detail = self.post("/my/withdrawals/new", {"amount": "10", "bank_id": self.bank_a.id}, "/my/withdrawals/new")
        self.assertIn("**** 3001", detail.text)
        self.assertNotIn(self.bank_a.acc_number, detail.text)


@tagged("post_install", "-at_install")
class TestBankAccountTools(BaseCase):
    def test_normalize_check_and_mask(self):
        self.assertEqual(bank_account.normalize(" 6222 0202-0011 ２２３３ "), "6222020200112233")
        self.assertTrue(bank_account.is_valid("6222020200112233"))
        for bad in ("", "123456789", "1" * 31, "62220202001122３x"):
            self.assertFalse(bank_account.is_valid(bank_account.normalize(bad)), bad)
        self.assertEqual(bank_account.mask("6222 0202 0011 2233 001"), "**** 3001")
        self.assertEqual(bank_account.mask(False), "")
