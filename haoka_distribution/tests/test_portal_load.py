"""What the portal pages cost in statements does not grow with the rows they list (issue 14 §5: 50 distributors
browsing at once, p95 <= 300 ms; the figures are `make bench`'s bench/load_portal.py)."""

from odoo.tests import tagged

from .common import CommissionCase


@tagged("post_install", "-at_install")
class TestPortalListCost(CommissionCase):
    def statements(self, orders):
        """The statements to show ``orders`` as 我的订单 lists them (their cards' numbers and plans)."""
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        texts = [(order.haoka_card_numbers, order.haoka_plan_names) for order in orders.browse(orders.ids)]
        return self.env.cr.sql_log_count - before, texts

    def test_order_list_reads_the_cards_of_all_orders_at_once(self):
        orders = self.env["sale.order"].browse([self.order(qty=1).id for _ in range(4)])
        self.assertEqual(len(orders.order_line.haoka_lot_ids), 4, "each order holds a card")
        one, texts_one = self.statements(orders[:1])
        four, texts_four = self.statements(orders)
        self.assertEqual(texts_four[0], texts_one[0])
        self.assertEqual([numbers for numbers, __ in texts_four], orders.order_line.haoka_lot_ids.mapped("msisdn"))
        self.assertEqual(four, one, "four orders cost the statements of one (no query per order)")
