"""发货 as in a real database: Odoo's SMS question on deliveries, refunded orders' invoicing, the packer's
view and tracking numbers filled from the courier's spreadsheet."""

import contextlib
import threading

from odoo import fields
from odoo.exceptions import UserError

from .common import HaokaCase, adult_id, make_iccid


@contextlib.contextmanager
def stock_sms_checks_running():
    """Odoo's stock_sms skips its SMS question and its SMS while the thread runs tests
    (``threading.current_thread().testing``); this lets the real checks run, as in production."""
    thread = threading.current_thread()
    before = getattr(thread, "testing", False)
    thread.testing = False
    try:
        yield
    finally:
        thread.testing = before


class ShippingCase(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan.write({"list_price": 50})
        Lot = cls.env["stock.lot"].with_context(haoka_manual_entry=True)
        cls.cards = Lot.create([
            {"name": make_iccid("898600", 500 + i), "product_id": cls.product.id,
             "msisdn": "1390050%04d" % i, "expiration_date": cls.days(300)}
            for i in range(8)
        ])
        cls.sf = cls.env.ref("haoka_distribution.courier_sf")
        cls.company = cls.env.company
        # a fresh database: stock_sms's defaults, the company never answered its question
        cls.company.write({"stock_move_sms_validation": True, "has_received_warning_stock_sms": False})

    def customer(self, name, phone):
        return self.env["res.partner"].create({
            "name": name, "phone": phone, "street": "世纪大道 100 号", "city": "上海", "zip": "200120",
        })

    def confirmed_order(self, customer, qty=1, sequence="501"):
        order = self.env["sale.order"].with_user(self.staff).create({
            "partner_id": customer.id,
            "haoka_holder_name": "王小明",
            "haoka_id_number": adult_id(sequence=sequence),
            "order_line": [fields.Command.create({"product_id": self.product.id, "product_uom_qty": qty})],
        })
        order.action_confirm()
        return order.sudo()

    def ship_wizard(self, orders, user=None):
        return self.env["haoka.ship.wizard"].with_user(user or self.staff).with_context(
            active_model="sale.order", active_ids=orders.ids
        ).create({"courier_id": self.sf.id})


class TestShippingSms(ShippingCase):
    def test_first_delivery_to_a_customer_with_phone_ships(self):
        """Before the company answered stock_sms's question, shipping validates with no SMS and leaves the
        company's setting as it was."""
        order = self.confirmed_order(self.customer("李雷", "13912345678"))
        delivery = order.picking_ids
        with stock_sms_checks_running():
            self.assertEqual(delivery._check_warn_sms(), delivery)  # the question Odoo would ask
            order.with_user(self.staff)._haoka_ship(self.sf, "SF5550001")
        self.assertEqual(delivery.state, "done")
        self.assertEqual(order.haoka_fulfilment_state, "shipped")
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", order.partner_id.id)]))
        self.assertEqual((self.company.stock_move_sms_validation, self.company.has_received_warning_stock_sms),
                         (True, False))

    def test_batch_of_customers_with_phones_ships(self):
        orders = (self.confirmed_order(self.customer("韩梅梅", "13911110001"), sequence="502")
                  | self.confirmed_order(self.customer("林涛", "13911110002"), qty=2, sequence="503"))
        wizard = self.ship_wizard(orders)
        for line, ref in zip(wizard.line_ids, ["SF5550002", "SF5550003"], strict=True):
            line.tracking_ref = ref
        with stock_sms_checks_running():
            wizard.action_ship()
        self.assertEqual(orders.mapped("haoka_fulfilment_state"), ["shipped", "shipped"])
        self.assertEqual(set(orders.picking_ids.mapped("state")), {"done"})

    def test_sms_follows_the_company_choice(self):
        order = self.confirmed_order(self.customer("李雷", "13912345678"))
        delivery = order.picking_ids
        self.assertTrue(delivery._haoka_validation_context()["skip_sms"])  # never answered: no SMS
        self.company.has_received_warning_stock_sms = True  # answered "send SMS"
        self.assertFalse(delivery._haoka_validation_context()["skip_sms"])
        self.company.stock_move_sms_validation = False  # answered "don't send"
        self.assertTrue(delivery._haoka_validation_context()["skip_sms"])
        self.company.stock_move_sms_validation = True
        with stock_sms_checks_running():
            self.assertFalse(delivery._check_warn_sms())  # no question once answered

    def test_refund_return_validates_whatever_odoo_asks(self):
        order = self.confirmed_order(self.customer("李雷", "13912345678"))
        with stock_sms_checks_running():
            order._haoka_ship(self.sf, "SF5550004")
            card = order.order_line.haoka_lot_ids
            return_picking, _credit = order._haoka_refund(card, "拒收", cards_unused=True)
        self.assertEqual(return_picking.state, "done")
        self.assertEqual(order.haoka_fulfilment_state, "refunded")


class TestRefundedOrderInvoicing(ShippingCase):
    """After 退款 (return, credit note, refund payment) nothing is left to invoice and the order's header does
    not offer 创建发票."""

    def invoice_and_pay(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({}).action_create_payments()
        return invoice

    def header_button_shown(self, order, button_id):
        """Whether the sale order form shows its header button ``button_id`` for ``order``, by evaluating
        the button's ``invisible`` expression of the form as the web client gets it."""
        import re

        from lxml import etree

        from odoo.tools.safe_eval import safe_eval

        arch = self.env["sale.order"].get_views([(False, "form")])["views"]["form"]["arch"]
        button = etree.fromstring(arch).xpath("//header//button[@id='%s']" % button_id)[0]
        expression = button.get("invisible") or "False"
        names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression)) & set(order._fields)
        values = {name: order[name].id if order._fields[name].type == "many2one" else order[name]
                  for name in names}
        return not safe_eval(expression, values)

    def shipped_order(self, qty, cards=None, sequence="511"):
        customer = self.customer("退款客户", "13922220000")
        vals = {"product_id": self.product.id, "product_uom_qty": qty}
        if cards:
            vals["haoka_lot_ids"] = [fields.Command.set(cards.ids)]
        order = self.env["sale.order"].create({
            "partner_id": customer.id, "haoka_holder_name": "赵六", "haoka_id_number": adult_id(sequence=sequence),
            "order_line": [fields.Command.create(vals)],
        })
        order.action_confirm()
        return order

    def test_full_refund_of_a_paid_order_leaves_nothing_to_invoice(self):
        premium = self.env["stock.lot"].with_context(haoka_manual_entry=True).create({
            "name": make_iccid("898600", 599), "product_id": self.product.id, "msisdn": "13900526666",
            "expiration_date": self.days(300),
        })
        self.assertGreater(premium.grade_id.price_premium, 0)
        order = self.shipped_order(2, cards=premium)
        self.assertEqual(len(order.order_line), 2)  # the plan and the number's premium
        self.invoice_and_pay(order)
        self.assertEqual(order.invoice_status, "invoiced")
        order._haoka_ship(self.sf, "SF5550010")
        cards = order.order_line.haoka_lot_ids
        order._haoka_refund(cards, "七天无理由", cards_unused=True)
        self.assertEqual(order.haoka_fulfilment_state, "refunded")
        credit_note = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertIn(credit_note.payment_state, ("paid", "in_payment"))
        self.assertEqual(order.order_line.mapped("qty_to_invoice"), [0.0, 0.0])
        self.assertEqual(order.order_line.mapped("amount_to_invoice"), [0.0, 0.0])
        self.assertEqual(order.order_line.mapped("untaxed_amount_to_invoice"), [0.0, 0.0])
        self.assertEqual(order.invoice_status, "no")
        self.assertFalse(self.header_button_shown(order, "create_invoice"))
        self.assertFalse(self.header_button_shown(order, "create_invoice_percentage"))
        with self.assertRaises(UserError):
            order._create_invoices()

    def test_partial_refund_of_a_paid_order_stays_invoiced(self):
        order = self.shipped_order(3, sequence="512")
        invoice = self.invoice_and_pay(order)
        order._haoka_ship(self.sf, "SF5550011")
        refunded = order.order_line.haoka_lot_ids[:1]
        order._haoka_refund(refunded, "损坏", cards_unused=False)
        self.assertEqual(order.haoka_fulfilment_state, "partially_refunded")
        line = order.order_line
        self.assertEqual((line.qty_invoiced, line.haoka_refunded_qty, line.qty_to_invoice), (2.0, 1.0, 0.0))
        self.assertEqual(order.invoice_status, "invoiced")
        self.assertEqual(order.amount_to_invoice, 0.0)
        self.assertFalse(self.header_button_shown(order, "create_invoice"))
        self.assertEqual(invoice.payment_state, "paid")

    def test_partial_refund_before_invoicing_invoices_the_rest(self):
        order = self.shipped_order(2, sequence="513")
        order._haoka_ship(self.sf, "SF5550012")
        order._haoka_refund(order.order_line.haoka_lot_ids[:1], "拒收", cards_unused=True)
        self.assertEqual(order.invoice_status, "to invoice")
        self.assertTrue(self.header_button_shown(order, "create_invoice"))
        invoice = order._create_invoices()
        self.assertEqual(invoice.invoice_line_ids.quantity, 1.0)
        self.assertEqual(invoice.amount_untaxed, 50.0)
        invoice.action_post()
        self.assertEqual(order.invoice_status, "invoiced")
