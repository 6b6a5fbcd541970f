"""The distribution dashboard shows the reports' figures for a period, with the user's rights."""

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CommissionCase, adult_id, make_distributor, make_iccid, make_sim_plan


class TestDashboard(CommissionCase):
    def test_figures_follow_the_orders(self):
        Dashboard = self.env["haoka.distribution.dashboard"]
        before = Dashboard.get_data("month")
        first = self.order(qty=2)
        first._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-D1")
        first.order_line.haoka_lot_ids[:1]._haoka_record_carrier_event("first_topup", amount=100)
        self.order(qty=1, haoka_id_number=adult_id(sequence="601"))
        self.env.flush_all()
        data = Dashboard.get_data("month")
        kpis = {kpi["key"]: kpi["value"] for kpi in data["kpis"]}
        old = {kpi["key"]: kpi["value"] for kpi in before["kpis"]}
        self.assertEqual(kpis["orders"] - old["orders"], 2)
        self.assertEqual(kpis["cards"] - old["cards"], 3)
        funnel = {step["key"]: step["value"] for step in data["funnel"]}
        old_funnel = {step["key"]: step["value"] for step in before["funnel"]}
        self.assertEqual([funnel[k] - old_funnel[k] for k in ("cards_ordered", "cards_shipped", "cards_activated",
                                                               "cards_topped_up")], [3, 2, 1, 1])
        seller = next(row for row in data["distributors"] if row["id"] == self.seller.id)
        self.assertEqual(seller["cards"], 3)
        self.assertIn("150", seller["sales"])
        action = seller["action"]
        rows = self.env["haoka.distribution.report"].search(action["domain"])
        self.assertEqual(action["res_model"], "haoka.distribution.report")
        self.assertEqual((rows.distributor_id, sum(rows.mapped("cards_ordered"))), (self.seller, 3))
        states = {row["state"]: row["lines"] for row in data["commissions"]}
        lines = self.env["haoka.commission.line"].search([
            ("order_id.date_order", ">=", fields.Date.context_today(first).replace(day=1))])
        self.assertTrue(first.haoka_commission_line_ids <= lines)
        self.assertEqual(sum(states.values()), len(lines))
        todo = {item["key"]: item["value"] for item in data["todo"]}
        self.assertEqual(todo["to_ship"], self.env["sale.order"].search_count(
            [("haoka_fulfilment_state", "=", "to_ship")]))
        staff_todo = {item["key"] for item in Dashboard.with_user(self.staff).get_data("month")["todo"]}
        self.assertNotIn("kyc", staff_todo, "distributors to verify are for SIM managers")

    def test_periods_and_rights(self):
        order = self.order(qty=1)
        order.date_order = fields.Datetime.now() - relativedelta(years=2)
        self.env.flush_all()
        Dashboard = self.env["haoka.distribution.dashboard"]
        ordered = lambda period: next(  # noqa: E731
            k["value"] for k in Dashboard.get_data(period)["kpis"] if k["key"] == "cards")
        before_this_year = self.env["haoka.distribution.report"].search(
            [("date", "<", fields.Date.context_today(order).replace(month=1, day=1))])
        self.assertIn(order, before_this_year.order_id)
        self.assertEqual(ordered("all") - ordered("year"), sum(before_this_year.mapped("cards_ordered")))
        manager_data = Dashboard.with_user(self.manager).get_data("bogus")
        self.assertEqual(manager_data["period"], "month")
        self.assertIn("kyc", {item["key"] for item in manager_data["todo"]})


@tagged("post_install", "-at_install")
class TestDistributorDataOverHttp(HttpCase):
    """A distributor logged in to the portal reads its own commission lines over JSON-RPC, nothing of
    another distributor's, and not the back-office dashboard."""

    def test_portal_distributor_sees_only_its_own_lines(self):
        Partner = self.env["res.partner"]
        top = make_distributor(self.env, "HTTP Top", "400")
        seller = make_distributor(self.env, "HTTP Seller", "401", parent=top)
        Rule = self.env["haoka.commission.rule"]
        Rule.create({"name": "HTTP seller", "tier": 0, "amount": 30, "trigger": "confirmed"})
        Rule.create({"name": "HTTP upline", "tier": 1, "amount": 10, "trigger": "confirmed"})
        plan = make_sim_plan(self.env, "HTTP Plan", list_price=30)
        self.env["stock.lot"].with_context(haoka_manual_entry=True).create(
            {"name": make_iccid("898600", 454500), "product_id": plan.product_variant_id.id, "msisdn": "13800454500"}
        )
        customer = Partner.create({"name": "HTTP customer", "haoka_referrer_id": seller.id})
        order = self.env["sale.order"].create({
            "partner_id": customer.id, "haoka_holder_name": "测试", "haoka_id_number": adult_id(sequence="454"),
            "order_line": [(0, 0, {"product_id": plan.product_variant_id.id, "product_uom_qty": 1})],
        })
        order.action_confirm()
        lines = order.haoka_commission_line_ids
        self.assertEqual(set(lines.mapped("distributor_id")), {top, seller})
        new_test_user(self.env, login="http_top", password="http_top_pw1", groups="base.group_portal",
                      partner_id=top.id)

        self.authenticate("http_top", "http_top_pw1")
        rows = self.make_jsonrpc_request("/web/dataset/call_kw/haoka.commission.line/search_read", {
            "model": "haoka.commission.line", "method": "search_read", "args": [[]],
            "kwargs": {"fields": ["distributor_id", "amount"]},
        })
        self.assertEqual([(row["distributor_id"][0], row["amount"]) for row in rows], [(top.id, 10.0)])
        seller_line = lines.filtered(lambda l: l.distributor_id == seller)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"), mute_logger("odoo.http"):
            self.make_jsonrpc_request("/web/dataset/call_kw/haoka.commission.line/read", {
                "model": "haoka.commission.line", "method": "read", "args": [seller_line.ids, ["amount"]],
                "kwargs": {},
            })
        with self.assertRaisesRegex(JsonRpcException, "AccessError"), mute_logger("odoo.http"):
            self.make_jsonrpc_request("/web/dataset/call_kw/haoka.distribution.dashboard/get_data", {
                "model": "haoka.distribution.dashboard", "method": "get_data", "args": ["all"], "kwargs": {},
            })


class TestDashboardTruth(CommissionCase):
    """代理排行 credits each distributor with its own commission; the funnel counts one population, cards,
    each step a subset of the previous one."""

    def test_ranking_shows_own_and_uplines_commission(self):
        from odoo.tools import format_amount

        first = self.order(qty=2)
        first._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-RK1")
        first.action_haoka_confirm_receipt()
        self.order(qty=1, haoka_id_number=adult_id(sequence="602"))
        self.env.flush_all()
        money = lambda value: format_amount(self.env, value, self.env.company.currency_id)  # noqa: E731
        rows = {row["id"]: row for row in self.env["haoka.distribution.dashboard"].get_data("month")["distributors"]}
        seller, mid, top = rows[self.seller.id], rows[self.mid.id], rows[self.top.id]
        # seller: 40/card shipped (2 + 1 cards); mid: 10 % of 100 and of 50; top: 5/card on receipt (2 + 1)
        self.assertEqual((seller["cards"], seller["sales"]), (3, money(150)))
        self.assertEqual((seller["commission"], seller["upline_commission"]), (money(120), money(30)))
        self.assertEqual((mid["cards"], mid["sales"], mid["commission"], mid["upline_commission"]),
                         (0, money(0), money(15), money(0)))
        self.assertEqual((top["commission"], top["upline_commission"]), (money(15), money(0)))
        ranked = [row["id"] for row in self.env["haoka.distribution.dashboard"].get_data("month")["distributors"]]
        self.assertLess(ranked.index(self.seller.id), ranked.index(self.mid.id))

    def test_funnel_steps_are_subsets(self):
        order = self.order(qty=2)
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-FN1")
        order.action_haoka_confirm_receipt()
        first, second = order.order_line.haoka_lot_ids
        first._haoka_record_carrier_event("first_topup", amount=100)
        second._haoka_record_carrier_event("activation")
        self.env["haoka.commission.settlement"]._prepare(fields.Date.today(), self.seller).with_user(
            self.finance).action_confirm()
        self.assertEqual(self.line_of(order, self.seller).state, "settled")
        self.env.flush_all()
        rows = self.env["haoka.distribution.report"].search([("order_id", "=", order.id)])
        steps = ("cards_ordered", "cards_shipped", "cards_received", "cards_activated", "cards_topped_up",
                 "cards_settled")
        self.assertEqual([sum(rows.mapped(step)) for step in steps], [2, 2, 2, 2, 1, 1])
        funnel = self.env["haoka.distribution.funnel"].search([("distributor_id", "=", self.seller.id)])
        self.assertEqual((funnel.topped_up, funnel.settled, funnel.settled_rate), (1, 1, 50.0))
        data = self.env["haoka.distribution.dashboard"].get_data("all")
        values = [step["value"] for step in data["funnel"]]
        self.assertEqual(values, sorted(values, reverse=True), data["funnel"])
