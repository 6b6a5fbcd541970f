"""The distribution dashboard shows the reports' figures for a period, with the user's rights."""

from dateutil.relativedelta import relativedelta

from odoo import fields

from .common import adult_id
from .test_commission import CommissionCase


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
