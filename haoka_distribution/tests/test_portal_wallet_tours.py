"""The wallet journeys in headless Chromium, in Chinese: a top-up paid online with Odoo's Demo payment provider
credits 预存款 on 我的钱包, and a withdrawal asked for on the 提现 form (fee, tax and net amount shown first) is
held once submitted.

Odoo's Demo provider is the module ``payment_demo``, which the addon does not depend on: installed with it, it
would offer a fake, published test-mode payment option to every real company. ``make test`` (scripts/test.sh)
installs it in the test database next to the addon, so that both test runners see it; where it is missing these
tests fail and say how to install it, rather than skip."""

from .common import activate_chinese
from .test_portal_wallet import PortalWalletCase

PAYMENT_DEMO_MISSING = (
    "Odoo's Demo payment provider (module payment_demo) is not installed in this database: `make test` installs "
    "it with the addon (scripts/test.sh); by hand, install `haoka_distribution,payment_demo`."
)


class TestPortalWalletTours(PortalWalletCase):
    def setUp(self):
        super().setUp()
        activate_chinese(self.env)
        self.user_a.lang = "zh_CN"
        # the wallet types get their Chinese names when made with Chinese installed; the test database is English
        for wallet_type, name in ((self.prepaid_wallet, "预存款"), (self.commission_wallet, "佣金余额")):
            wallet_type.update_field_translations("name", {"zh_CN": name})

    def demo_provider(self):
        """Odoo's Demo provider, in test mode and published (as payment_demo installs it)."""
        module = self.env["ir.module.module"].search([("name", "=", "payment_demo")])
        self.assertEqual(module.state, "installed", PAYMENT_DEMO_MISSING)
        provider = self.env.ref("payment.payment_provider_demo")
        self.assertEqual((provider.code, provider.state, provider.is_published), ("demo", "test", True))
        # a database with payment_demo's Chinese terms loaded needs its "Payment Status" values back
        self.env["haoka.demo"]._haoka_restore_payment_demo_values()
        return provider

    def test_tour_topup_with_the_demo_provider(self):
        provider = self.demo_provider()
        self.assertEqual(self.seller._haoka_wallet_balance(self.prepaid_wallet)["balance"], 0)
        self.start_tour("/my/wallet/topup", "haoka_portal_wallet_topup_demo", login="portal_a")
        tx = self.env["payment.transaction"].search([("partner_id", "=", self.seller.id)])
        self.assertEqual((tx.provider_id, tx.amount, tx.state, tx.haoka_wallet_topup), (provider, 88.8, "done", True))
        self.assertTrue(tx.reference.startswith(f"TOPUP-{self.seller.id}"), tx.reference)
        self.assertEqual(self.seller._haoka_wallet_balance(self.prepaid_wallet)["balance"], 88.8)
        movement = self.env["haoka.wallet.transaction"].search([("partner_id", "=", self.seller.id)])
        self.assertEqual((movement.kind, movement.amount, movement.wallet_type_id),
                         ("topup", 88.8, self.prepaid_wallet))

    def test_tour_withdrawal_is_held(self):
        self.credit(self.seller, self.commission_wallet, 300)
        self.start_tour("/my/withdrawals/new", "haoka_portal_withdrawal_held", login="portal_a")
        withdrawal = self.withdrawal_of(self.seller)
        self.assertEqual(
            (withdrawal.state, withdrawal.amount, withdrawal.fee, withdrawal.net_amount, withdrawal.partner_bank_id),
            ("submitted", 100.5, 2.01, 98.49, self.bank_a))
        figures = self.seller._haoka_wallet_balance(self.commission_wallet)
        self.assertEqual((figures["balance"], figures["held"], figures["available"]), (199.5, 100.5, 199.5))
