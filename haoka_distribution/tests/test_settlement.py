"""结算: settlements per distributor, vendor bills, clawbacks netted, and no line settled twice."""

import threading
import uuid

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError

from .common import CommissionCase, committed_row_counts, separate_env


class TestSettlement(CommissionCase):
    def shipped_and_received(self, qty=2):
        order = self.order(qty=qty)
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-%s" % uuid.uuid4().hex[:6])
        order.action_haoka_confirm_receipt()
        return order

    def test_settle_to_vendor_bills(self):
        order = self.shipped_and_received(qty=2)
        today = fields.Date.context_today(order)
        Settlement = self.env["haoka.commission.settlement"]
        settlements = Settlement.with_user(self.finance)._prepare(today, self.seller | self.mid | self.top)
        self.assertEqual(settlements.distributor_id, self.seller | self.top)  # mid's line is still frozen
        seller = settlements.filtered(lambda s: s.distributor_id == self.seller)
        self.assertEqual(seller.total, 80)
        with self.assertRaises(AccessError):
            seller.with_user(self.staff).action_confirm()
        with self.assertRaises(AccessError):
            seller.with_user(self.manager).action_confirm()
        seller.with_user(self.finance).action_confirm()
        bill = seller.move_id
        self.assertEqual((bill.move_type, bill.state, bill.partner_id), ("in_invoice", "posted", self.seller))
        self.assertEqual(bill.amount_total, 80)
        self.assertEqual(bill.invoice_line_ids.mapped("price_unit"), [80])
        self.assertEqual(set(seller.line_ids.mapped("state")), {"settled"})
        # nothing is settled twice
        self.assertFalse(Settlement._prepare(today, self.seller))
        # paying the bill marks the settlement paid
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=bill.ids).create(
            {}
        ).action_create_payments()
        seller.action_mark_paid()
        self.assertEqual(seller.state, "paid")

    def test_clawback_netted_next_period(self):
        first = self.shipped_and_received(qty=1)
        second = self.shipped_and_received(qty=2)
        today = fields.Date.context_today(first)
        Settlement = self.env["haoka.commission.settlement"]
        settled = Settlement._prepare(today, self.seller)
        settled.with_user(self.finance).action_confirm()
        self.assertEqual(settled.total, 40 + 80)
        first._haoka_refund(first.order_line.haoka_lot_ids, "拒收")  # after settlement: clawback
        later = Settlement._prepare(today, self.seller)
        self.assertEqual(later.total, -40)
        self.assertEqual(later.line_ids.clawback_of_id.order_id, first)
        later.with_user(self.finance).action_confirm()
        self.assertEqual((later.move_id.move_type, later.move_id.amount_total), ("in_refund", 40))
        self.assertEqual(settled.line_ids.order_id, first | second)

    def test_netting_to_zero(self):
        order = self.shipped_and_received(qty=1)
        Settlement = self.env["haoka.commission.settlement"]
        Settlement._prepare(fields.Date.today(), self.seller).with_user(self.finance).action_confirm()
        order._haoka_refund(order.order_line.haoka_lot_ids, "退")
        self.shipped_and_received(qty=1)  # a new sale earns exactly what the clawback takes back
        netted = Settlement._prepare(fields.Date.today(), self.seller)
        self.assertEqual(netted.total, 0)
        netted.with_user(self.finance).action_confirm()
        self.assertEqual(netted.state, "paid")
        self.assertFalse(netted.move_id)

    def test_cancel_returns_lines(self):
        self.shipped_and_received(qty=1)
        settlement = self.env["haoka.commission.settlement"]._prepare(fields.Date.today(), self.seller)
        settlement.with_user(self.finance).action_confirm()
        bill = settlement.move_id
        settlement.with_user(self.finance).action_cancel()
        self.assertEqual(bill.state, "cancel")
        self.assertEqual(settlement.state, "cancelled")
        lines = self.env["haoka.commission.line"].search([("distributor_id", "=", self.seller.id)])
        self.assertEqual(set(lines.mapped("state")), {"eligible"})
        self.assertFalse(lines.settlement_id)

    def test_monthly_cron(self):
        order = self.shipped_and_received(qty=1)
        line = self.line_of(order, self.seller)
        line.reached_date = fields.Datetime.now() - relativedelta(months=1)
        self.env["haoka.commission.settlement"]._cron_prepare_monthly()
        self.assertTrue(line.settlement_id)
        self.assertEqual(line.settlement_id.state, "draft")

    def test_parallel_settlement_runs(self):
        """Two finance users prepare settlements at the same moment on their own connections: every
        line ends up in exactly one settlement."""
        registry = self.env.registry
        tag = uuid.uuid4().hex[:8]
        rows_before = committed_row_counts(registry)
        with separate_env(registry, self.env.uid) as env:
            agent = env["res.partner"].create({"name": "Race agent " + tag, "haoka_is_distributor": True})
            customer = env["res.partner"].create({"name": "Race customer " + tag})
            product = env["product.product"].create({"name": "Race product " + tag, "type": "service"})
            order = env["sale.order"].create({"partner_id": customer.id, "order_line": [
                fields.Command.create({"product_id": product.id})]})
            rule = env["haoka.commission.rule"].create({"name": "Race " + tag, "amount": 1, "tier": 0})
            lines = env["haoka.commission.line"].create([{
                "order_id": order.id, "order_line_id": order.order_line.id, "distributor_id": agent.id,
                "tier": 0, "rule_id": rule.id, "trigger": trigger, "amount": 10, "quantity": 1,
                "company_id": env.company.id, "state": "eligible", "reached_date": fields.Datetime.now(),
            } for trigger in ("confirmed", "shipped", "received", "activated")])
            ids = {"agent": agent.id, "customer": customer.id, "product": product.id, "order": order.id,
                   "rule": rule.id, "lines": lines.ids}
        barrier = threading.Barrier(2)
        results = []

        def prepare():
            with separate_env(registry, self.env.uid) as env:
                barrier.wait(timeout=30)
                try:
                    settlements = env["haoka.commission.settlement"]._prepare(
                        fields.Date.today(), env["res.partner"].browse(ids["agent"])
                    )
                    results.append(len(settlements.line_ids))
                    env.cr.commit()
                except Exception as error:  # noqa: BLE001 - the refusal is the expected outcome of one run
                    env.cr.rollback()
                    results.append(str(error))

        threads = [threading.Thread(target=prepare) for _ in range(2)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            with separate_env(registry) as env:
                env.cr.execute("SELECT settlement_id, count(*) FROM haoka_commission_line WHERE id = ANY(%s) "
                               "GROUP BY settlement_id", (ids["lines"],))
                groups = env.cr.fetchall()
            self.assertEqual(len(groups), 1, (groups, results))  # all four lines in one settlement
            self.assertIsNotNone(groups[0][0])
            self.assertEqual(groups[0][1], 4)
            self.assertIn(4, results)
        finally:
            with separate_env(registry, self.env.uid) as env:
                cr = env.cr
                cr.execute("DELETE FROM haoka_commission_line WHERE id = ANY(%s)", (ids["lines"],))
                env["haoka.commission.settlement"].search([("distributor_id", "=", ids["agent"])]).unlink()
                env["haoka.commission.rule"].browse(ids["rule"]).unlink()
                env["sale.order"].browse(ids["order"]).unlink()
                env["product.product"].browse(ids["product"]).unlink()
                env["res.partner"].browse([ids["customer"], ids["agent"]]).unlink()
        self.assertNoRowsLeft(rows_before)
