"""下单 paid from the balance over real HTTP: an order the distributor bought is invoiced and its invoice paid
by wallet entries (预存款 first, or as the distributor chooses), never below zero (refused with the figures),
not by a suspended distributor, not without CSRF, never another distributor's order."""

from lxml import html

from odoo.tests import tagged

from .test_portal_wallet import PortalWalletCase


@tagged("post_install", "-at_install")
class TestPortalOrderPayFromBalance(PortalWalletCase):
    def bought_order(self, partner=None):
        partner = partner or self.seller
        return self.order(qty=1, partner_id=partner.id, haoka_distributor_id=partner.id)

    def available(self, wallet_type, partner=None):
        return (partner or self.seller)._haoka_wallet_balance(wallet_type)["available"]

    def pay(self, order, **data):
        return self.post(f"/my/sim-orders/{order.id}/pay-balance", data, "/my/bank-accounts")

    def test_pays_prepaid_first_then_commission(self):
        order = self.bought_order()
        total = order.amount_total
        self.assertGreater(total, 30)
        self.credit(self.seller, self.prepaid_wallet, 30)
        self.credit(self.seller, self.commission_wallet, 100)
        self.authenticate("portal_a", "portal_a")
        page = self.url_open(f"/my/sim-orders/{order.id}").text
        self.assertIn("o_haoka_pay_from_balance", page)
        response = self.pay(order)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_haoka_paid", response.text)
        self.assertNotIn("o_haoka_pay_from_balance", response.text)
        self.assertNotIn("/payment/pay?", response.text)
        invoice = order.invoice_ids
        self.assertEqual((invoice.state, invoice.payment_state, invoice.amount_total), ("posted", "paid", total))
        self.assertEqual((self.available(self.prepaid_wallet), self.available(self.commission_wallet)),
                         (0, 130 - total))
        movements = self.env["haoka.wallet.transaction"].search(
            [("partner_id", "=", self.seller.id), ("kind", "=", "order_payment")], order="id")
        self.assertEqual([(m.wallet_type_id, m.amount) for m in movements],
                         [(self.prepaid_wallet, -30), (self.commission_wallet, -(total - 30))])
        # paid: a second payment is refused (404), nothing more is taken
        self.assertEqual(self.pay(order).status_code, 404)
        self.assertEqual(self.available(self.commission_wallet), 130 - total)

    def test_the_distributor_chooses_commission_first(self):
        order = self.bought_order()
        self.credit(self.seller, self.prepaid_wallet, 100)
        self.credit(self.seller, self.commission_wallet, 100)
        self.authenticate("portal_a", "portal_a")
        self.pay(order, first=self.commission_wallet.id)
        self.assertEqual(order.invoice_ids.payment_state, "paid")
        self.assertEqual((self.available(self.prepaid_wallet), self.available(self.commission_wallet)),
                         (100, 100 - order.amount_total))

    def test_insufficient_balance_is_refused_with_the_figures(self):
        order = self.bought_order()
        self.credit(self.seller, self.prepaid_wallet, 20)
        self.credit(self.seller, self.commission_wallet, 10)
        self.authenticate("portal_a", "portal_a")
        page = self.url_open(f"/my/sim-orders/{order.id}").text
        self.assertIn("do not cover this", page)
        self.assertNotIn("o_haoka_pay_from_balance", page)
        self.assertIn("/payment/pay?", page)  # online stays possible
        response = self.pay(order)  # posted anyway (the balance was spent meanwhile)
        self.assertEqual(response.status_code, 200)
        error = html.fromstring(response.text).xpath("//div[contains(@class, 'o_haoka_pay_error')]")[0].text_content()
        self.assertIn("do not cover the", error)
        for figure in ("20.00", "10.00", "%.2f" % order.amount_total):  # each balance and the amount due
            self.assertIn(figure, error)
        self.assertEqual((self.available(self.prepaid_wallet), self.available(self.commission_wallet)), (20, 10))
        self.assertFalse(self.env["haoka.wallet.transaction"].search(
            [("partner_id", "=", self.seller.id), ("kind", "=", "order_payment")]))
        self.assertNotIn(order.invoice_ids.filtered(lambda m: m.state == "posted").payment_state or "not_paid",
                         ("paid", "in_payment"))

    def test_suspended_distributor_cannot_pay(self):
        order = self.bought_order()
        self.credit(self.seller, self.prepaid_wallet, 100)
        self.authenticate("portal_a", "portal_a")
        csrf = self.csrf_from("/my/bank-accounts")
        self.seller.haoka_distributor_state = "suspended"
        self.assertNotIn("o_haoka_pay_from_balance", self.url_open(f"/my/sim-orders/{order.id}").text)
        response = self.url_open(f"/my/sim-orders/{order.id}/pay-balance", data={"csrf_token": csrf})
        self.assertIn("cannot place orders", response.text)
        self.assertEqual(self.available(self.prepaid_wallet), 100)
        self.assertFalse(order.invoice_ids)

    def test_csrf_is_required(self):
        order = self.bought_order()
        self.credit(self.seller, self.prepaid_wallet, 100)
        self.authenticate("portal_a", "portal_a")
        response = self.url_open(f"/my/sim-orders/{order.id}/pay-balance", data={"first": ""})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.available(self.prepaid_wallet), 100)
        self.assertFalse(order.invoice_ids)

    def test_another_distributor_cannot_pay_or_see_it(self):
        order = self.bought_order()
        self.credit(self.seller, self.prepaid_wallet, 100)
        self.credit(self.other, self.prepaid_wallet, 100)
        self.authenticate("portal_b", "portal_b")
        self.assertEqual(self.url_open(f"/my/sim-orders/{order.id}").status_code, 404)
        csrf = self.csrf_from("/my/bank-accounts")
        response = self.url_open(f"/my/sim-orders/{order.id}/pay-balance", data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 404)
        self.assertEqual((self.available(self.prepaid_wallet), self.available(self.prepaid_wallet, self.other)),
                         (100, 100))
        self.assertFalse(order.invoice_ids)
