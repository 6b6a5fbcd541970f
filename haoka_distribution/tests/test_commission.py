"""Distribution network and commission engine: hierarchy, rules, chain snapshot, lifecycle, reversals."""

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user
from odoo.tools import mute_logger

from ..tools.groups import MANAGER_GROUP
from .common import CommissionCase, activate_chinese, adult_id


class TestDistributors(CommissionCase):
    def test_hierarchy_levels_and_codes(self):
        self.assertEqual((self.top.haoka_distributor_level, self.mid.haoka_distributor_level,
                          self.seller.haoka_distributor_level), (1, 2, 3))
        self.assertEqual(len({self.top.haoka_referral_code, self.mid.haoka_referral_code,
                              self.seller.haoka_referral_code}), 3)
        self.assertEqual(self.seller._haoka_chain(), [self.seller, self.mid, self.top])
        self.assertEqual(self.top.haoka_downline_count, 2)
        with self.assertRaisesRegex(ValidationError, "upline"):
            self.top.haoka_parent_distributor_id = self.seller
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError), self.env.cr.savepoint():
            self.mid.haoka_referral_code = self.top.haoka_referral_code
            self.env.flush_all()

    def test_kyc_review(self):
        agent = self.env["res.partner"].create({"name": "New Agent", "haoka_is_distributor": True})
        self.assertEqual(agent.haoka_kyc_state, "draft")
        agent.write({"haoka_kyc_name": "新代理", "haoka_kyc_id_number": adult_id(sequence="123")})
        self.assertIn("*", agent.haoka_kyc_id_number)
        agent.with_user(self.staff).action_haoka_kyc_submit()
        with self.assertRaises(AccessError):
            agent.with_user(self.staff).action_haoka_kyc_approve()
        agent.with_user(self.manager).with_context(haoka_reject_reason="照片模糊").action_haoka_kyc_reject()
        self.assertEqual((agent.haoka_kyc_state, agent.haoka_kyc_reject_reason), ("rejected", "照片模糊"))
        with self.assertRaisesRegex(ValidationError, "not a valid"):
            agent.haoka_kyc_id_number = "110105199001011234"


    def test_kyc_reject_button_asks_a_reason_and_logs_it(self):
        agent = self.env["res.partner"].create({"name": "Blurred Agent", "haoka_is_distributor": True})
        agent.write({"haoka_kyc_name": "模糊", "haoka_kyc_id_number": adult_id(sequence="124")})
        agent.action_haoka_kyc_submit()
        arch = self.env["res.partner"].with_user(self.manager).get_view(
            self.env.ref("base.view_partner_form").id)["arch"]
        self.assertIn('name="action_haoka_kyc_open_reject"', arch)
        action = agent.with_user(self.manager).action_haoka_kyc_open_reject()
        wizard = Form(self.env[action["res_model"]].with_user(self.manager).with_context(action["context"]))
        wizard.reason = "身份证照片模糊"
        wizard.save().action_reject()
        self.assertEqual((agent.haoka_kyc_state, agent.haoka_kyc_reject_reason, agent.haoka_kyc_reviewer_id),
                         ("rejected", "身份证照片模糊", self.manager))
        self.assertIn("身份证照片模糊", agent.message_ids[0].body)
        with self.assertRaises(AccessError):
            agent.with_user(self.staff).action_haoka_kyc_open_reject()

    def test_kyc_approval_needs_the_id_number(self):
        agent = self.env["res.partner"].create({"name": "No ID Agent", "haoka_is_distributor": True,
                                                "haoka_kyc_name": "无证", "haoka_kyc_state": "submitted"})
        with self.assertRaisesRegex(UserError, "No ID Agent.*ID number"):
            agent.with_user(self.manager).action_haoka_kyc_approve()
        self.assertEqual(agent.haoka_kyc_state, "submitted")
        agent.haoka_kyc_id_number = adult_id(sequence="125")
        agent.with_user(self.manager).action_haoka_kyc_approve()
        self.assertEqual(agent.haoka_kyc_state, "approved")


class TestCommissions(CommissionCase):
    def test_chain_snapshot_and_lines(self):
        order = self.order(qty=2)
        self.assertEqual(order.haoka_distributor_id, self.seller)  # from the customer's referrer
        self.assertEqual([(c.tier, c.distributor_id, c.level) for c in order.haoka_chain_ids],
                         [(0, self.seller, 3), (1, self.mid, 2), (2, self.top, 1)])
        seller, mid, top = (self.line_of(order, p) for p in (self.seller, self.mid, self.top))
        self.assertEqual((seller.rule_id, seller.amount, seller.trigger, seller.state),
                         (self.rule_seller_plan, 80, "shipped", "expected"))  # the plan rule is more specific
        self.assertEqual((mid.amount, mid.state, mid.reason_code), (10, "frozen", "assessment_window"))
        end_of_next_month = fields.Date.context_today(order) + relativedelta(months=1, day=31)
        self.assertEqual(mid.frozen_until, end_of_next_month)
        self.assertEqual((top.amount, top.state), (10, "expected"))

    def test_lifecycle_through_shipping_and_receipt(self):
        order = self.order(qty=1)
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF1")
        self.assertEqual(self.line_of(order, self.seller).state, "eligible")
        self.assertEqual(self.line_of(order, self.top).state, "expected")
        order.action_haoka_confirm_receipt()
        self.assertEqual(self.line_of(order, self.top).state, "eligible")
        mid = self.line_of(order, self.mid)
        self.assertEqual(mid.state, "frozen")
        mid.frozen_until = fields.Date.context_today(mid) - relativedelta(days=1)
        self.env["haoka.commission.line"]._cron_release_frozen()
        self.assertEqual((mid.state, mid.reason_code), ("eligible", "ready"))

    def test_idempotent(self):
        order = self.order(qty=1)
        count = len(order.haoka_commission_line_ids)
        self.assertEqual(count, 3)
        order._haoka_compute_commissions()
        order._haoka_commission_event("confirmed")
        self.assertEqual(len(order.haoka_commission_line_ids), count)
        line = self.line_of(order, self.seller)
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError), self.env.cr.savepoint():
            line.copy({"state": "expected"})
            self.env.flush_all()

    def test_commission_model_computes_what_the_simulation_shows(self):
        """The commission model computes an order's lines (the order only asks it), with the amounts the
        simulation of the same quotation shows, and computes nothing twice."""
        quotation = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [fields.Command.create({"product_id": self.product.id, "product_uom_qty": 3})],
        })
        simulation = self.env["haoka.commission.simulation"].browse(
            quotation.action_haoka_simulate_commissions()["res_id"])
        quotation._haoka_snapshot_chain()
        Line = self.env["haoka.commission.line"]
        lines = Line._compute_for_orders(quotation)
        self.assertEqual(lines, quotation.haoka_commission_line_ids)
        self.assertEqual(
            {(line.distributor_id, line.trigger, line.amount, line.state, line.quantity) for line in lines},
            {(self.seller, "shipped", 120, "expected", 3), (self.mid, "confirmed", 15, "expected", 3),
             (self.top, "received", 15, "expected", 3)},
        )
        self.assertEqual({(line.distributor_id, line.trigger, line.amount) for line in lines},
                         {(row.distributor_id, row.trigger, row.amount) for row in simulation.line_ids})
        self.assertEqual(Line._compute_for_orders(quotation), Line)
        Line._reach_for_orders(quotation, "confirmed")
        self.assertEqual(self.line_of(quotation, self.mid).state, "frozen")
        self.assertEqual(self.line_of(quotation, self.seller).state, "expected")

    def test_snapshot_survives_moves(self):
        order = self.order(qty=1)
        before = {(l.distributor_id, l.amount) for l in order.haoka_commission_line_ids}
        other = self.env["res.partner"].create({"name": "Other Top", "haoka_is_distributor": True})
        self.seller.haoka_parent_distributor_id = other
        order._haoka_compute_commissions()
        self.assertEqual({(l.distributor_id, l.amount) for l in order.haoka_commission_line_ids}, before)
        self.assertEqual(order.haoka_chain_ids.distributor_id, self.seller | self.mid | self.top)

    def test_unverified_distributor_earns_nothing(self):
        self.top.haoka_kyc_state = "submitted"
        order = self.order(qty=1)
        top = self.line_of(order, self.top)
        self.assertEqual((top.state, top.reason_code), ("not_payable", "kyc_missing"))
        self.assertEqual(top.reason, "Distributor not verified")
        self.mid.haoka_distributor_state = "suspended"
        order = self.order(qty=1)
        self.assertEqual(self.line_of(order, self.mid).reason_code, "distributor_suspended")

    def test_reasons_read_in_the_reader_language(self):
        """Reasons are codes shown in the reader's language, not text frozen in the creator's."""
        activate_chinese(self.env)
        reader = new_test_user(self.env, login="zh_reader", groups=MANAGER_GROUP,
                               lang="zh_CN")
        as_reader = lambda record: record.with_user(reader).with_context(reader.with_user(reader).context_get())  # noqa: E731
        self.top.haoka_kyc_state = "submitted"
        order = self.order(qty=2).with_context(lang="en_US")
        self.assertEqual(order.env.lang, "en_US")
        top = self.line_of(order, self.top)
        self.assertEqual(top.reason, "Distributor not verified")
        self.assertEqual(as_reader(top).reason, "代理未实名")
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-ZH")
        seller = self.line_of(order, self.seller)
        seller._set_state("settled", "settled", settlement_id=self.env["haoka.commission.settlement"].create(
            {"distributor_id": self.seller.id, "date_to": fields.Date.today()}).id)
        order._haoka_refund(order.order_line.haoka_lot_ids[:1], "退一张")
        clawback = seller.clawback_ids.with_context(lang="en_US")
        self.assertEqual(clawback.reason, "Clawback of a settled commission: Order refunded")
        self.assertEqual(as_reader(clawback).reason, "已结算佣金的冲回：订单已退款")
        self.assertEqual(as_reader(clawback).read(["reason"])[0]["reason"], "已结算佣金的冲回：订单已退款")

    def test_refund_before_and_after_settlement(self):
        order = self.order(qty=2)
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF2")
        seller = self.line_of(order, self.seller)
        mid = self.line_of(order, self.mid)
        seller.state = "settled"  # settled in an earlier settlement
        cards = order.order_line.haoka_lot_ids
        order._haoka_refund(cards, "全额退款")
        self.assertEqual((mid.state, mid.reason_code), ("reversed", "order_refunded"))
        clawback = seller.clawback_ids
        self.assertEqual((clawback.amount, clawback.state), (-80, "eligible"))
        self.assertEqual(clawback.reason, "Clawback of a settled commission: Order refunded")

    def test_partial_refund_claws_back_a_share(self):
        order = self.order(qty=2)
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF3")
        seller = self.line_of(order, self.seller)
        order._haoka_refund(order.order_line.haoka_lot_ids[:1], "退一张")
        self.assertEqual(seller.state, "eligible")
        self.assertEqual(seller.clawback_ids.amount, -40)

    def test_named_distributor_rule_wins(self):
        special = self.env["haoka.commission.rule"].create({
            "name": "Seller special", "tier": 0, "amount": 55, "trigger": "shipped", "payout_timing": "instant",
            "distributor_id": self.seller.id,
        })
        order = self.order(qty=1)
        self.assertEqual(self.line_of(order, self.seller).rule_id, special)

    def test_rule_versioning(self):
        order = self.order(qty=1)
        line = self.line_of(order, self.seller)
        self.rule_seller_plan.amount = 45
        self.assertFalse(self.rule_seller_plan.active)
        new = self.rule_seller_plan.next_version_id
        self.assertEqual((new.amount, new.version, new.active), (45, 2, True))
        self.assertEqual((line.rule_id, line.amount), (self.rule_seller_plan, 40))
        self.assertEqual(self.line_of(self.order(qty=1), self.seller).rule_id, new)
        unused = self.env["haoka.commission.rule"].create({"name": "unused", "amount": 1, "tier": 5})
        unused.amount = 2
        self.assertTrue(unused.active)

    def test_distributors_see_only_their_own_lines(self):
        order = self.order(qty=1)
        portal_mid = new_test_user(self.env, login="portal_mid", groups="base.group_portal",
                                   partner_id=self.mid.id)
        visible = self.env["haoka.commission.line"].with_user(portal_mid).search([])
        self.assertEqual(visible, self.line_of(order, self.mid))
        with self.assertRaises(AccessError):
            self.line_of(order, self.seller).with_user(portal_mid).read(["amount"])
        with self.assertRaises(AccessError):
            self.line_of(order, self.mid).with_user(portal_mid).write({"amount": 999})


class TestSimulationAndReports(CommissionCase):
    def test_simulate_payout_on_quotation_and_plan(self):
        quotation = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [fields.Command.create({"product_id": self.product.id, "product_uom_qty": 3})],
        })
        action = quotation.action_haoka_simulate_commissions()
        simulation = self.env["haoka.commission.simulation"].browse(action["res_id"])
        rows = {(line.distributor_id, line.trigger): line.amount for line in simulation.line_ids}
        self.assertEqual(rows[(self.seller, "shipped")], 120)
        self.assertEqual(rows[(self.mid, "confirmed")], 15)  # 10 % of 150
        self.assertEqual(rows[(self.top, "received")], 15)
        self.assertFalse(quotation.haoka_commission_line_ids)  # a simulation writes nothing
        plan_sim = self.env["haoka.commission.simulation"].with_context(
            **self.plan.action_haoka_simulate_commissions()["context"]
        ).create({"distributor_id": self.mid.id, "quantity": 2})
        plan_sim.action_simulate()
        self.assertEqual(plan_sim.line_ids.distributor_id, self.mid | self.top)  # mid sells: tiers 0 and 1
        self.assertEqual(plan_sim.line_ids.filtered(lambda l: l.tier == 0).amount, 80)

    def test_funnel_report_and_team(self):
        first = self.order(qty=2)
        first._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-R1")
        first.action_haoka_confirm_receipt()
        second = self.order(qty=1)
        self.env.flush_all()
        rows = self.env["haoka.distribution.report"].search([("order_id", "in", (first | second).ids)])
        totals = {field: sum(rows.mapped(field)) for field in
                  ("cards_ordered", "cards_shipped", "cards_received", "amount", "commission")}
        self.assertEqual(totals["cards_ordered"], 3)
        self.assertEqual(totals["cards_shipped"], 2)
        self.assertEqual(totals["cards_received"], 2)
        self.assertEqual(totals["amount"], 150)
        expected_commission = sum(
            (first | second).haoka_commission_line_ids.filtered(
                lambda l: l.state not in ("reversed", "not_payable")).mapped("amount")
        )
        self.assertEqual(totals["commission"], expected_commission)
        self.assertEqual(set(rows.mapped("team_leader_id")), {self.top})
        self.top.invalidate_recordset()
        self.assertEqual(self.top.haoka_team_sales_amount, 150)
        self.assertEqual(self.seller.haoka_cards_sold, 3)
        funnel = self.env["haoka.distribution.funnel"].search([("distributor_id", "=", self.seller.id)])
        self.assertEqual((funnel.ordered, funnel.shipped, funnel.received), (3, 2, 2))
        self.assertEqual(funnel.shipped_rate, 66.7)
        self.assertEqual(funnel.settled, 0)
        action = self.top.action_haoka_view_team()
        self.assertEqual(set(action["domain"][0][2]), {self.mid.id, self.seller.id})
