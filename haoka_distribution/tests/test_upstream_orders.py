"""Orders of plans fulfilled by an upstream (上游代发), pushed to a small upstream server of our own on loopback:
signed, idempotent by our order reference, retried with back-off, refused with a reason."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import make_iccid
from .test_upstream_events import UpstreamCase
from .upstream_server import FakeUpstream


@tagged("post_install", "-at_install")
class TestUpstreamOrders(UpstreamCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan_b.write({"haoka_upstream_id": cls.source.id, "default_code": "HY-59"})
        cls.source.api_timeout = 2

    def upstream_order(self, server):
        self.source.api_url = server.url
        type(self).sequence += 1
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id, "haoka_holder_name": "吴",
            "haoka_id_number": self.id_number(), "haoka_holder_phone": "13912345678",
            "order_line": [fields.Command.create({"product_id": self.product_b.id, "product_uom_qty": 1,
                                                  "haoka_upstream_number": "13800138000"})],
        })
        order.action_confirm()
        return order

    def id_number(self):
        from .common import adult_id

        return adult_id(sequence="5%02d" % self.sequence)

    def push(self, order):
        order.haoka_upstream_next_push = fields.Datetime.now() - timedelta(seconds=1)
        return self.env["sale.order"]._cron_haoka_upstream_push()

    def test_confirmed_order_is_pushed_signed_without_local_stock(self):
        with FakeUpstream("top-secret-key") as server:
            order = self.upstream_order(server)
            self.assertEqual((order.state, order.haoka_upstream_state, order.haoka_upstream_id), ("sale", "to_push",
                                                                                                   self.source))
            self.assertFalse(order.order_line.haoka_lot_ids, "no card is taken from stock")
            self.assertFalse(order.picking_ids, "the upstream ships: no delivery from our warehouse")
            self.assertEqual(order.haoka_fulfilment_state, "to_ship")
            self.assertEqual(self.push(order), 1)
            self.assertEqual((order.haoka_upstream_state, order.haoka_upstream_order_ref, order.haoka_upstream_error),
                             ("pushed", "UP0001", False))
            headers, payload = server.requests[0]
            self.assertEqual(headers["Idempotency-Key"], order.name)
            self.assertEqual(
                {k: payload[k] for k in ("order_ref", "plan", "number", "holder_name", "id_number", "phone")},
                {"order_ref": order.name, "plan": "HY-59", "number": "13800138000", "holder_name": "吴",
                 "id_number": self.id_number(), "phone": "13912345678"})
            self.assertEqual(self.push(order), 0, "an accepted order is not pushed again")
            self.assertEqual(len(server.requests), 1)

    def test_lost_answer_is_retried_and_the_upstream_keeps_one_order(self):
        with FakeUpstream("top-secret-key") as server:
            server.lose_answers = 1
            order = self.upstream_order(server)
            self.push(order)
            self.assertEqual((order.haoka_upstream_state, order.haoka_upstream_attempts), ("to_push", 1))
            self.assertEqual(order.haoka_upstream_error, "The upstream answered HTTP 502.")
            self.assertAlmostEqual(order.haoka_upstream_next_push, fields.Datetime.now() + timedelta(minutes=1),
                                   delta=timedelta(seconds=30))
            self.push(order)
            self.assertEqual((order.haoka_upstream_state, order.haoka_upstream_order_ref), ("pushed", "UP0001"))
            self.assertEqual((len(server.requests), server.orders), (2, {order.name: "UP0001"}),
                             "the retry named the same order: the upstream opened one card")

    def test_slow_and_failing_upstream_is_retried_with_backoff_then_given_up(self):
        with FakeUpstream("top-secret-key") as server:
            server.delay = 10.5  # longer than the timeout (Odoo's test mode raises timeouts under 10 s to 10 s)
            order = self.upstream_order(server)
            self.push(order)
            self.assertEqual(order.haoka_upstream_error, "The upstream did not answer: ReadTimeout")
            server.delay = 0
            server.fail_next = 10
            for attempts in range(2, 7):
                self.push(order)
                self.assertEqual(order.haoka_upstream_attempts, attempts)
            self.assertEqual((order.haoka_upstream_state, order.haoka_upstream_next_push), ("failed", False))
            self.assertIn("Orders could not be pushed", self.source.activity_ids.mapped("summary"))
            server.fail_next = 0
            order.action_haoka_push_upstream()
            self.assertEqual(order.haoka_upstream_state, "pushed")

    def test_refusal_comes_back_as_a_reason_and_is_final(self):
        with FakeUpstream("top-secret-key") as server:
            order = self.upstream_order(server)
            server.refuse[order.name] = "一证五户：该证件在运营商名下已有5张卡"
            self.push(order)
            self.assertEqual((order.haoka_upstream_state, order.haoka_upstream_error),
                             ("rejected", "一证五户：该证件在运营商名下已有5张卡"))
            self.assertIn("rejected the order: 一证五户", order.message_ids[0].body)
            self.assertEqual(order.activity_ids.mapped("summary"), ["Rejected by the upstream"])
            self.assertEqual(self.push(order), 0, "a refusal is not retried")
            self.assertEqual(len(server.requests), 1)

    def test_upstream_checks_our_signature(self):
        with FakeUpstream("another-key") as server:
            order = self.upstream_order(server)
            self.push(order)
            self.assertEqual(order.haoka_upstream_state, "rejected")
            self.assertEqual(order.haoka_upstream_error, "签名错误 (wrong)")
        with FakeUpstream("MD5KEY", scheme="md5_sorted") as server:
            self.source.write({"signature_scheme": "md5_sorted", "secret": "MD5KEY"})
            order = self.upstream_order(server)
            self.push(order)
            self.assertEqual(order.haoka_upstream_state, "pushed")
            self.assertEqual(len(server.requests[0][1]["sign"]), 32)

    def test_upstream_reports_shipping_then_activation(self):
        """The upstream names its orders by reference: the activation arriving before the shipping waits; the
        shipping records the card on the order; the activation then drives the order and the commissions as for
        a card from stock."""
        self.source.write({"card_match": "order_ref", "key_card": "order_ref,订单号",
                           "status_map_ids": [fields.Command.create({"code": "SHIP", "event": "shipped"})]})
        with FakeUpstream("top-secret-key") as server:
            order = self.upstream_order(server)
            self.push(order)
        self.assertEqual(order.haoka_upstream_order_ref, "UP0001")
        iccid = make_iccid("898600", 990001)
        early = self.receive("S0", order_ref="UP0001", status="8", number="13800138000")
        self.process()
        self.assertEqual((early.state, early.is_dead_letter), ("failed", False), "waits for the shipping")
        shipped = self.receive("S1", order_ref="UP0001", status="SHIP", iccid=iccid, number="13800138000",
                               tracking_no="SF123")
        again = self.receive("S2", order_ref=order.name, status="SHIP", iccid=iccid, tracking_no="SF123")
        self.process()
        card = order.order_line.haoka_lot_ids
        self.assertEqual((shipped.state, again.state), ("processed", "processed"))
        self.assertEqual((card.name, card.msisdn, card.card_state), (iccid, "13800138000", "shipped"))
        self.assertEqual((order.haoka_fulfilment_state, order.haoka_tracking_ref), ("shipped", "SF123"))
        self.assertEqual(shipped.lot_ids, card)
        early.next_retry_at = fields.Datetime.now() - timedelta(seconds=1)
        self.process()
        self.assertEqual((early.state, card.card_state, order.haoka_fulfilment_state),
                         ("processed", "activated", "activated"))
        self.assertEqual(self.line(order, "activated").state, "eligible")
