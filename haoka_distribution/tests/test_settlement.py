"""结算: settlements per distributor, vendor bills, clawbacks netted, and no line settled twice."""

import threading
import uuid

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import CommissionCase, committed_row_counts, make_iccid, separate_env


def race_records(env, tag):
    """The distributor, customer, product, one-line order and rule of a race test, named with ``tag``."""
    agent = env["res.partner"].create({"name": "Race agent " + tag, "haoka_is_distributor": True})
    customer = env["res.partner"].create({"name": "Race customer " + tag})
    product = env["product.product"].create({"name": "Race product " + tag, "type": "service"})
    order = env["sale.order"].create({"partner_id": customer.id, "order_line": [
        fields.Command.create({"product_id": product.id})]})
    rule = env["haoka.commission.rule"].create({"name": "Race " + tag, "amount": 1, "tier": 0})
    return agent, customer, product, order, rule


class SettlementCase(CommissionCase):
    def shipped_and_received(self, qty=2):
        order = self.order(qty=qty)
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-%s" % uuid.uuid4().hex[:6])
        order.action_haoka_confirm_receipt()
        return order


class TestSettlement(SettlementCase):

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
        self.assertEqual([(line.quantity, line.price_unit) for line in bill.invoice_line_ids], [(2, 40)])
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
        line ends up in exactly one settlement.

        Long because a race is one story: committed set-up, two connections, the outcome, the clean-up."""
        registry = self.env.registry
        tag = uuid.uuid4().hex[:8]
        rows_before = committed_row_counts(registry)
        with separate_env(registry, self.env.uid) as env:
            agent, customer, product, order, rule = race_records(env, tag)
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


class TestSettlementBehindChanges(SettlementCase):
    """A line's state may change after a draft settlement took it: confirming bills only what is owed."""

    def prepare(self, distributor=None):
        return self.env["haoka.commission.settlement"]._prepare(fields.Date.today(), distributor or self.seller)

    def test_refund_after_preparing_is_not_billed(self):
        refunded = self.shipped_and_received(qty=1)
        kept = self.shipped_and_received(qty=2)
        settlement = self.prepare()
        self.assertEqual(settlement.total, 40 + 80)
        refunded._haoka_refund(refunded.order_line.haoka_lot_ids, "拒收")
        line = self.line_of(refunded, self.seller)
        self.assertEqual((line.state, line.reason_code), ("reversed", "order_refunded"))
        self.assertFalse(line.settlement_id, "a reversed line leaves the draft settlement")
        self.assertEqual(settlement.total, 80)
        settlement.with_user(self.finance).action_confirm()
        self.assertEqual(settlement.move_id.amount_total, 80)
        self.assertEqual(settlement.line_ids, self.line_of(kept, self.seller))
        self.assertEqual((line.state, line.settlement_id.id), ("reversed", False))
        self.assertIn(refunded.name, settlement.message_ids.mapped("body")[0])

    def test_only_line_refunded_cancels_the_draft(self):
        order = self.shipped_and_received(qty=1)
        settlement = self.prepare()
        order._haoka_refund(order.order_line.haoka_lot_ids, "拒收")
        self.assertEqual((settlement.state, settlement.total), ("cancelled", 0))
        self.assertEqual(self.line_of(order, self.seller).state, "reversed")
        settlement.with_user(self.finance).action_cancel()  # cancelling again keeps the line reversed
        self.assertEqual(self.line_of(order, self.seller).state, "reversed")

    def test_partial_refund_after_preparing_bills_the_net(self):
        order = self.shipped_and_received(qty=2)
        settlement = self.prepare()
        order._haoka_refund(order.order_line.haoka_lot_ids[:1], "退一张")
        line = self.line_of(order, self.seller)
        self.assertEqual((line.state, line.clawback_ids.amount), ("eligible", -40))
        settlement.with_user(self.finance).action_confirm()
        self.assertEqual(settlement.line_ids, line | line.clawback_ids)
        self.assertEqual(settlement.move_id.amount_total, 40)
        self.assertEqual(set(settlement.line_ids.mapped("state")), {"settled"})
        self.assertFalse(self.prepare(), "the clawback is not netted a second time")

    def test_cancelled_order_after_preparing_is_not_billed(self):
        self.env["haoka.commission.rule"].create({"name": "Seller 7/card at order", "tier": 0, "amount": 7,
                                                  "trigger": "confirmed", "payout_timing": "instant"})
        order = self.order(qty=1)
        line = order.haoka_commission_line_ids.filtered(lambda l: l.trigger == "confirmed" and l.tier == 0)
        self.assertEqual((line.state, line.amount), ("eligible", 7))
        settlement = self.prepare()
        self.assertEqual(settlement.line_ids, line)
        order._action_cancel()
        self.assertEqual((line.state, line.reason_code, line.settlement_id.id), ("reversed", "order_cancelled", False))
        self.assertEqual(settlement.state, "cancelled")
        with self.assertRaisesRegex(UserError, settlement.name):
            settlement.with_user(self.finance).action_confirm()
        self.assertEqual(line.state, "reversed")

    def test_confirm_drops_lines_no_longer_payable(self):
        """Whatever changed a line (another module, a script), confirming settles eligible lines only and
        names the others."""
        first, second = self.shipped_and_received(qty=1), self.shipped_and_received(qty=2)
        settlement = self.prepare()
        dropped = self.line_of(first, self.seller)
        dropped.write({"state": "not_payable", "reason_code": "closed_early"})
        settlement.with_user(self.finance).action_confirm()
        self.assertEqual(settlement.line_ids, self.line_of(second, self.seller))
        self.assertEqual(settlement.move_id.amount_total, 80)
        self.assertEqual((dropped.state, dropped.settlement_id.id), ("not_payable", False))
        self.assertIn(first.name, settlement.message_ids.mapped("body")[0])

    def test_carrier_reports_and_crons_leave_held_lines_payable(self):
        """Carrier reports and the daily jobs move expected and frozen lines only: a line a draft settlement
        holds is past its window and stays payable."""
        order = self.shipped_and_received(qty=1)
        settlement = self.prepare()
        line = self.line_of(order, self.seller)
        card = order.order_line.haoka_lot_ids
        order.haoka_shipped_date = fields.Datetime.now() - relativedelta(days=60)
        card._haoka_record_carrier_event("closure")
        Line = self.env["haoka.commission.line"]
        Line._cron_carrier_deadlines()
        Line._cron_release_frozen()
        self.env["haoka.commission.settlement"]._cron_prepare_monthly()
        self.assertEqual((line.state, line.settlement_id), ("eligible", settlement))
        settlement.with_user(self.finance).action_confirm()
        self.assertEqual((line.state, settlement.move_id.amount_total), ("settled", 40))

    def test_cancel_keeps_the_state_of_lines_not_settled(self):
        order = self.shipped_and_received(qty=1)
        settlement = self.prepare()
        line = self.line_of(order, self.seller)
        line.write({"state": "reversed", "reason_code": "order_refunded"})
        settlement.with_user(self.finance).action_cancel()
        self.assertEqual((line.state, line.settlement_id.id), ("reversed", False))


@tagged("post_install", "-at_install")
class TestSettlementRace(TransactionCase):
    """Races between committed transactions; no shared fixture, whose uncommitted rows the threads would wait on."""

    def test_refund_racing_the_confirmation(self):
        """A refund and the confirmation of the draft holding its line, at the same moment on their own
        connections: whichever commits first wins, the other fails (and would be retried); the line is
        never both reversed and billed.

        Long because a race is one story: committed set-up, two connections, the outcome, the clean-up."""
        registry = self.env.registry
        tag = uuid.uuid4().hex[:8]
        rows_before = committed_row_counts(registry)
        with separate_env(registry, self.env.uid) as env:
            cr = env.cr
            cr.execute("SELECT (SELECT coalesce(max(id), 0) FROM mail_message), "
                       "(SELECT coalesce(max(id), 0) FROM mail_followers)")
            last_message, last_follower = cr.fetchone()
            agent, customer, product, order, rule = race_records(env, tag)
            line = env["haoka.commission.line"].create({
                "order_id": order.id, "order_line_id": order.order_line.id, "distributor_id": agent.id,
                "tier": 0, "rule_id": rule.id, "trigger": "confirmed", "amount": 10, "quantity": 1,
                "company_id": env.company.id, "state": "eligible", "reached_date": fields.Datetime.now(),
            })
            settlement = env["haoka.commission.settlement"]._prepare(fields.Date.today(), agent)
            ids = {"agent": agent.id, "customer": customer.id, "order": order.id, "rule": rule.id,
                   "line": line.id, "settlement": settlement.id, "product": product.id}
            cr.commit()
        barrier = threading.Barrier(2)
        results = {}

        def run(name, action):
            with separate_env(registry, self.env.uid) as env:
                cr = env.cr
                env.cr.execute("SELECT 1")  # the transaction's snapshot starts here, before the other commits
                barrier.wait(timeout=30)
                try:
                    action(env)
                    cr.commit()
                    results[name] = "done"
                except Exception as error:  # noqa: BLE001 - one of the two may lose the race
                    cr.rollback()
                    results[name] = type(error).__name__

        threads = [
            threading.Thread(target=run, args=("refund", lambda env: env["haoka.commission.line"].browse(
                ids["line"])._reverse("order_refunded"))),
            threading.Thread(target=run, args=("confirm", lambda env: env["haoka.commission.settlement"].browse(
                ids["settlement"]).action_confirm())),
        ]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            with separate_env(registry) as env:
                cr = env.cr
                cr.execute("SELECT l.state, l.settlement_id, s.state, s.move_id FROM haoka_commission_line l, "
                           "haoka_commission_settlement s WHERE l.id = %s AND s.id = %s",
                           (ids["line"], ids["settlement"]))
                line_state, held_by, settlement_state, bill = cr.fetchone()
            self.assertIn("done", results.values(), results)
            if results["confirm"] == "done":
                self.assertEqual((line_state, held_by, settlement_state), ("settled", ids["settlement"], "confirmed"))
                self.assertIsNotNone(bill)
            else:
                self.assertEqual((line_state, held_by, settlement_state, bill), ("reversed", None, "cancelled", None))
        finally:
            with separate_env(registry) as env:
                cr = env.cr
                cr.execute("SELECT move_id FROM haoka_commission_settlement WHERE id = %s", (ids["settlement"],))
                [bill] = cr.fetchone()
                cr.execute("DELETE FROM haoka_commission_line WHERE id = %s", (ids["line"],))
                cr.execute("DELETE FROM haoka_commission_settlement WHERE id = %s", (ids["settlement"],))
                if bill:
                    cr.execute("DELETE FROM account_move_line WHERE move_id = %s", (bill,))
                    cr.execute("DELETE FROM account_move WHERE id = %s", (bill,))
                cr.execute("DELETE FROM haoka_commission_rule WHERE id = %s", (ids["rule"],))
                cr.execute("DELETE FROM sale_order_line WHERE order_id = %s", (ids["order"],))
                cr.execute("DELETE FROM sale_order WHERE id = %s", (ids["order"],))
                for model, res_id in (("haoka.commission.settlement", ids["settlement"]), ("account.move", bill),
                                      ("sale.order", ids["order"]), ("res.partner", ids["agent"])):
                    cr.execute("DELETE FROM mail_message WHERE model = %s AND res_id = %s", (model, res_id))
                    cr.execute("DELETE FROM mail_followers WHERE res_model = %s AND res_id = %s", (model, res_id))
                cr.execute("DELETE FROM product_template WHERE id IN (SELECT product_tmpl_id FROM product_product "
                           "WHERE id = %s)", (ids["product"],))
                cr.execute("DELETE FROM res_partner WHERE id IN %s", ((ids["agent"], ids["customer"]),))
                # the chatter and followers of the race's records
                cr.execute("DELETE FROM mail_message WHERE id > %s", (last_message,))
                cr.execute("DELETE FROM mail_followers WHERE id > %s", (last_follower,))
                cr.commit()
        after = committed_row_counts(registry)
        changed = {table: (rows_before.get(table), count) for table, count in after.items()
                   if rows_before.get(table) != count}
        self.assertEqual(changed, {}, "committed rows left behind (table: rows before, after)")


class TestSettlementBills(SettlementCase):
    def test_wizard_default_cut_off_takes_the_lines_payable_now(self):
        order = self.shipped_and_received(qty=1)
        wizard = self.env["haoka.settlement.wizard"].with_user(self.finance).create({})
        self.assertEqual(wizard.date_to, fields.Date.context_today(wizard))
        action = wizard.action_prepare()
        settlements = self.env["haoka.commission.settlement"].search(action["domain"])
        self.assertIn(self.line_of(order, self.seller), settlements.line_ids)

    def bill_lines(self, settlement):
        return [(line.name, line.quantity, line.price_unit) for line in settlement.move_id.invoice_line_ids]

    def test_bill_lines_are_cards_times_amount_by_plan(self):
        self.env["stock.lot"].with_context(haoka_manual_entry=True).create(
            {"name": make_iccid("898600", 990), "product_id": self.product_b.id, "msisdn": "13800599900",
             "expiration_date": self.days(300)})
        first = self.shipped_and_received(qty=2)
        self.shipped_and_received(qty=1)
        other_plan = self.order(qty=1, order_line=[fields.Command.create(
            {"product_id": self.product_b.id, "product_uom_qty": 1})])
        other_plan._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-B1")
        Settlement = self.env["haoka.commission.settlement"]
        settlement = Settlement._prepare(fields.Date.today(), self.seller)
        settlement.with_user(self.finance).action_confirm()
        self.assertEqual(self.bill_lines(settlement), [
            ("Commission %s: Test Plan 29, Shipped, $\xa040.00 per card" % self.period, 3, 40),
            ("Commission %s: Test Plan 39, Shipped, $\xa030.00 per card" % self.period, 1, 30),
        ])
        self.assertEqual(settlement.move_id.amount_total, 150)
        # a refunded card is clawed back on its own negative line, beside the next sales
        first._haoka_refund(first.order_line.haoka_lot_ids[:1], "退一张")
        self.shipped_and_received(qty=2)
        later = Settlement._prepare(fields.Date.today(), self.seller)
        later.with_user(self.finance).action_confirm()
        self.assertEqual(self.bill_lines(later), [
            ("Commission %s: Test Plan 29, Shipped, $\xa040.00 per card" % self.period, 2, 40),
            ("Clawback %s (Order refunded): Test Plan 29, Shipped, $\xa040.00 per card" % self.period, 1, -40),
        ])
        self.assertEqual(later.move_id.amount_total, 40)

    def test_percentage_bill_lines_show_base_and_rate(self):
        self.shipped_and_received(qty=2)
        self.shipped_and_received(qty=1)
        Line = self.env["haoka.commission.line"]
        mid_lines = Line.search([("distributor_id", "=", self.mid.id)])
        mid_lines.frozen_until = fields.Date.today() - relativedelta(days=1)
        Line._cron_release_frozen()
        settlement = self.env["haoka.commission.settlement"]._prepare(fields.Date.today(), self.mid)
        settlement.with_user(self.finance).action_confirm()
        self.assertEqual(self.bill_lines(settlement), [
            ("Commission %s: Test Plan 29, Order confirmed, tier 1, 10 %% of $\xa0150.00" % self.period, 3, 5),
        ])
        self.assertEqual(settlement.move_id.amount_total, 15)

    @property
    def period(self):
        return fields.Date.today().strftime("%Y-%m")
