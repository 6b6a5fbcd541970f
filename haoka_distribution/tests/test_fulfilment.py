"""发货 → 已发货 → 确认收货 → 退款: the whole order flow on Odoo's sale, stock and accounting documents."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError

from .common import HaokaCase, adult_id, make_iccid


class TestFulfilment(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Customer Sun"})
        cls.plan.write({"list_price": 50})
        Lot = cls.env["stock.lot"].with_context(haoka_manual_entry=True)
        cls.cards = Lot.create([
            {"name": make_iccid("898600", 300 + i), "product_id": cls.product.id,
             "msisdn": "1380030%04d" % i, "expiration_date": cls.days(300 + i)}
            for i in range(6)
        ])
        cls.premium = Lot.create({"name": make_iccid("898600", 399), "product_id": cls.product.id,
                                  "msisdn": "13800306666", "expiration_date": cls.days(200)})
        cls.sf = cls.env.ref("haoka_distribution.courier_sf")

    def confirmed_order(self, qty=2, cards=None, user=None):
        line = {"product_id": self.product.id, "product_uom_qty": qty}
        if cards:
            line["haoka_lot_ids"] = [fields.Command.set(cards.ids)]
        order = self.env["sale.order"].with_user(user or self.staff).create({
            "partner_id": self.customer.id,
            "haoka_holder_name": "孙丽",
            "haoka_id_number": adult_id(sequence="4%02d" % qty),
            "order_line": [fields.Command.create(line)],
        })
        order.action_confirm()
        return order.sudo()

    def ship(self, orders, refs, user=None):
        wizard = self.env["haoka.ship.wizard"].with_user(user or self.staff).with_context(
            active_model="sale.order", active_ids=orders.ids
        ).create({"courier_id": self.sf.id})
        for line, ref in zip(wizard.line_ids, refs, strict=True):
            line.tracking_ref = ref
        wizard.action_ship()

    def test_whole_flow_with_partial_refund(self):
        """An order from confirmation through payment, shipping, receipt and a partial refund.

        Long because it is one story: each step starts from the state the previous step left."""
        order = self.confirmed_order(qty=3, cards=self.premium)
        self.assertEqual(order.haoka_fulfilment_state, "to_ship")
        cards = order.order_line.haoka_lot_ids
        self.assertEqual(len(cards), 3)
        invoice = self.invoice_and_pay(order)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        premium = self.premium.grade_id.price_premium
        self.assertEqual(invoice.amount_untaxed, 150 + premium)

        self.ship(order, ["SF1234567890"])
        delivery = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.move_line_ids.lot_id, cards)
        self.assertEqual((delivery.haoka_courier_id, delivery.haoka_tracking_ref), (self.sf, "SF1234567890"))
        self.assertEqual(order.haoka_fulfilment_state, "shipped")
        self.assertEqual(order.haoka_tracking_ref, "SF1234567890")
        self.assertEqual(set(cards.mapped("card_state")), {"shipped"})

        order.with_user(self.staff).action_haoka_confirm_receipt()
        self.assertEqual(order.haoka_fulfilment_state, "received")
        self.assertEqual(set(cards.mapped("card_state")), {"delivered"})

        refunded = self.premium | (cards - self.premium)[:1]
        with self.assertRaises(AccessError):
            order.with_user(self.staff)._haoka_refund(refunded_try := self.premium, "staff", False)
        self.assertEqual(refunded_try.card_state, "delivered")
        wizard = self.env["haoka.refund.wizard"].with_user(self.finance).with_context(
            active_model="sale.order", active_id=order.id
        ).create({"reason": "七天无理由"})
        self.assertEqual(wizard.lot_ids, cards)
        wizard.lot_ids = refunded
        wizard.action_refund()

        self.assertEqual(order.haoka_fulfilment_state, "partially_refunded")
        self.assertEqual(order.haoka_refunded_count, 2)
        self.assertEqual(set(refunded.mapped("card_state")), {"returned"})
        self.assertEqual((cards - refunded).card_state, "delivered")
        quarantine = order._haoka_quarantine_location()
        self.assertEqual(set(refunded.mapped("location_id")), {quarantine})
        return_picking = order.picking_ids.filtered(lambda p: p.picking_type_code == "incoming")
        self.assertEqual(return_picking.state, "done")
        self.assertEqual(return_picking.move_line_ids.lot_id, refunded)
        credit_note = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.amount_untaxed, 100 + premium)
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        self.assertIn(credit_note.payment_state, ("paid", "in_payment"))
        refund_payment = self.env["account.payment"].search(
            [("partner_id", "=", self.customer.id), ("payment_type", "=", "outbound")]
        )
        self.assertEqual(refund_payment.amount, credit_note.amount_total)
        # the rest is refunded later: the order is refunded in full, unused card goes back on sale
        self.env["haoka.refund.wizard"].with_context(active_model="sale.order", active_id=order.id).create(
            {"reason": "再退一张", "cards_unused": True}
        ).action_refund()
        self.assertEqual(order.haoka_fulfilment_state, "refunded")
        self.assertEqual((cards - refunded).card_state, "available")
        self.assertEqual((cards - refunded).location_id, order.warehouse_id.lot_stock_id)

    def test_batch_shipping_from_the_list(self):
        orders = self.confirmed_order(qty=1) | self.confirmed_order(qty=2)
        self.ship(orders, ["YT001", "YT002"])
        self.assertEqual(orders.mapped("haoka_fulfilment_state"), ["shipped", "shipped"])
        self.assertEqual(sorted(orders.mapped("haoka_tracking_ref")), ["YT001", "YT002"])

    def test_tracking_number_required(self):
        order = self.confirmed_order(qty=1)
        with self.assertRaisesRegex(UserError, order.name):
            self.ship(order, [""])

    def test_only_real_name_orders_ship(self):
        order = self.confirmed_order(qty=1)
        order.haoka_compliance_state = "not_checked"
        with self.assertRaisesRegex(UserError, "real-name"):
            order._haoka_ship(self.sf, "X1")
        self.assertEqual(order.picking_ids.state, "assigned")

    def test_automatic_receipt(self):
        old, recent = self.confirmed_order(qty=1), self.confirmed_order(qty=2)
        self.ship(old | recent, ["A1", "A2"])
        old.haoka_shipped_date = fields.Datetime.now() - timedelta(days=8)
        self.env["sale.order"]._cron_haoka_auto_receipt()
        self.assertEqual(old.haoka_fulfilment_state, "received")
        self.assertEqual(recent.haoka_fulfilment_state, "shipped")
        self.env.company.haoka_auto_receipt_days = 30
        old.haoka_fulfilment_state = "shipped"
        self.env["sale.order"]._cron_haoka_auto_receipt()
        self.assertEqual(old.haoka_fulfilment_state, "shipped")

    def test_shipped_order_cannot_be_cancelled(self):
        order = self.confirmed_order(qty=1)
        self.ship(order, ["C1"])
        with self.assertRaisesRegex(UserError, "refund"):
            order._action_cancel()

    def test_cancel_before_shipping(self):
        order = self.confirmed_order(qty=1)
        card = order.order_line.haoka_lot_ids
        order._action_cancel()
        self.assertEqual(order.haoka_fulfilment_state, "cancelled")
        self.assertEqual(card.card_state, "available")

    def test_refund_without_invoice(self):
        order = self.confirmed_order(qty=1)
        self.ship(order, ["N1"])
        card = order.order_line.haoka_lot_ids
        return_picking, credit_note = order._haoka_refund(card, "拒收", cards_unused=True)
        self.assertFalse(credit_note)
        self.assertEqual(return_picking.state, "done")
        self.assertEqual(card.card_state, "available")
        self.assertEqual(order.haoka_fulfilment_state, "refunded")
        self.assertEqual(order.order_line.filtered("haoka_is_sim").qty_delivered, 0)
