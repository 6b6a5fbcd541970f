"""The demo's own helpers: what `make demo` loads must show every feature it advertises."""

from odoo import fields
from odoo.tests import new_test_user

from ..tools import grade
from .common import HaokaCase, make_distributor


class TestDemoCards(HaokaCase):
    def _shadowed(self, rule):
        """A lucky-string grade whose own numbers all go to another grade first (same level, lower sequence):
        no number can have it."""
        if rule.pattern_kind != "lucky":
            return False
        rules = self.env["haoka.number.grade"]._classifier_rules(self.cmcc)
        match = grade.classify("138" + rule.lucky_string.rjust(8, "0"), rules)
        return match.key != rule.id and match.level >= rule.level

    def test_every_number_grade_has_cards_on_sale(self):
        Lot = self.env["stock.lot"]
        products = self.product | self.product_cu
        self.env["haoka.demo"]._haoka_create_demo_cards(products.product_tmpl_id.ids, 60)
        cards = Lot.search([("product_id", "in", products.ids)])
        in_stock = self.env["stock.quant"].search([
            ("lot_id", "in", cards.ids), ("location_id.usage", "=", "internal"), ("quantity", "=", 1),
        ]).lot_id
        now = fields.Datetime.now()
        on_sale = in_stock.filtered(lambda card: card.card_state == "available" and card.expiration_date > now)
        grades = self.env["haoka.number.grade"].search([])
        shadowed = grades.filtered(self._shadowed)
        self.assertNotIn("Lucky 888", shadowed.mapped("name"))
        self.assertEqual((grades - shadowed - on_sale.grade_id).mapped("name"), [])
        for rule in grades - shadowed:
            self.assertGreaterEqual(len(on_sale.filtered(lambda card, rule=rule: card.grade_id == rule)), 2, rule.name)
        found = Lot.search([("msisdn", "like", "8888"), ("id", "in", on_sale.ids)])
        self.assertGreaterEqual(len(found), 1)
        # the plain numbers still show the other card states
        self.assertEqual(set(cards.mapped("card_state")) >= {"available", "expired", "void"}, True,
                         set(cards.mapped("card_state")))


class TestDemoWallets(HaokaCase):
    def test_balances_and_withdrawals_in_every_state(self):
        """The demo's money, made by the real methods: every withdrawal state (reasons included), the holds
        and the balances that follow from them, the portal user as the author of its own requests."""
        top = make_distributor(self.env, "张伟", "961")
        mid = make_distributor(self.env, "李娜", "962", parent=top)
        seller = make_distributor(self.env, "王强", "963", parent=mid)
        user = new_test_user(self.env, login="demo_wallet_seller", groups="base.group_portal", partner_id=seller.id)
        self.env["haoka.demo"]._haoka_create_demo_wallets((top | mid | seller).ids)

        withdrawals = self.env["haoka.withdrawal"].search([("partner_id", "=", seller.id)])
        by_state = {w.state: w for w in withdrawals}
        self.assertEqual(sorted(by_state), sorted(
            ["draft", "submitted", "approved", "paid", "rejected", "cancelled", "failed"]))
        self.assertEqual(by_state["rejected"].reject_reason, "银行卡开户行信息有误，请核对后重新申请")
        self.assertEqual(by_state["failed"].failure_reason, "银行退回：收款账户状态异常（已冻结）")
        # the draft's tax counts the month's income (劳务报酬 per payment): (1200 + 150 - 800) × 20% - 80
        self.assertEqual((by_state["draft"].fee, by_state["draft"].tax_withheld, by_state["draft"].net_amount),
                         (2.0, 30.0, 118.0))
        paid = by_state["paid"]
        self.assertEqual((paid.amount, paid.fee, paid.tax_withheld, paid.payment_id.state),
                         (1200, 12, 80, "in_process"))
        self.assertEqual(set(withdrawals.mapped("create_uid")), {user})
        self.assertEqual(by_state["approved"].approver_id, self.env.ref("base.user_admin"))

        WalletType = self.env["haoka.wallet.type"]
        commission = seller._haoka_wallet_balance(WalletType._haoka_get("commission"))
        # 4000 opening, less 1200 paid, 800 approved and 600 submitted (the last two held)
        self.assertEqual((commission["balance"], commission["held"]), (1400, 1400))
        self.assertEqual(seller._haoka_wallet_balance(WalletType._haoka_get("prepaid"))["balance"], 500)
        self.assertEqual(top._haoka_wallet_balance(WalletType._haoka_get("commission"))["held"], 1000)
        self.assertEqual(mid.haoka_payout_method, "wallet")
        self.assertEqual(seller.bank_ids.mapped("allow_out_payment"), [True])
