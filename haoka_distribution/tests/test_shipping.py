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

    def test_sms_chosen_in_the_sim_settings(self):
        order = self.confirmed_order(self.customer("李雷", "13912345678"))
        delivery = order.picking_ids
        Settings = self.env["res.config.settings"]
        settings = Settings.create({})
        self.assertFalse(settings.haoka_delivery_sms)
        settings.haoka_hold_minutes = 45
        settings.execute()  # saving something else: the company's (absent) choice stays as it was
        self.assertEqual((self.company.stock_move_sms_validation, self.company.has_received_warning_stock_sms),
                         (True, False))
        Settings.create({"haoka_delivery_sms": True}).execute()
        self.assertEqual((self.company.stock_move_sms_validation, self.company.has_received_warning_stock_sms),
                         (True, True))
        self.assertFalse(delivery._haoka_validation_context()["skip_sms"])
        self.assertTrue(Settings.create({}).haoka_delivery_sms)
        Settings.create({"haoka_delivery_sms": False}).execute()
        self.assertFalse(self.company.stock_move_sms_validation)
        self.assertTrue(delivery._haoka_validation_context()["skip_sms"])

    def test_delivery_slip_printed_on_validation_does_not_stop_shipping(self):
        """Validation returns a print action when the operation type prints its slips: the delivery is done."""
        order = self.confirmed_order(self.customer("李雷", "13912345678"))
        delivery = order.picking_ids
        delivery.picking_type_id.auto_print_delivery_slip = True
        order._haoka_ship(self.sf, "SF5550005")
        self.assertEqual(delivery.state, "done")
        self.assertEqual(order.haoka_fulfilment_state, "shipped")

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


def xlsx_file(rows, title=None):
    """An .xlsx built with openpyxl, as a courier's export: an optional title row, then ``rows``."""
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class TestWarehouse(ShippingCase):
    """The 待发货 list and the ship wizard show what a packer needs; tracking numbers come from the courier's
    spreadsheet for a whole batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shanghai = cls.env["res.country.state"].create(
            {"name": "上海市", "code": "HKT-SH", "country_id": cls.env.ref("base.cn").id}
        )

    def setUp(self):
        super().setUp()
        self.orders = self.env["sale.order"]
        for index, (name, phone) in enumerate([("陈静", "139 0000 0001"), ("刘洋", "+86 13900000002"),
                                               ("杨帆", "13900000003")]):
            customer = self.customer(name, phone)
            customer.state_id = self.shanghai
            self.orders |= self.confirmed_order(customer, qty=1 + index % 2, sequence="52%d" % index)

    def wizard_with_file(self, content, filename="运单.xlsx", mode="all_or_nothing"):
        import base64

        wizard = self.ship_wizard(self.orders)
        wizard.write({"tracking_file": base64.b64encode(content), "tracking_filename": filename,
                      "tracking_mode": mode})
        return wizard

    def test_to_ship_list_and_wizard_show_the_packing_facts(self):
        order = self.orders[1]
        self.assertEqual(order.haoka_recipient_phone, "13900000002")
        self.assertEqual(order.haoka_shipping_address, "上海市, 上海, 世纪大道 100 号, 200120")
        numbers = order.order_line.haoka_lot_ids.mapped("msisdn")
        self.assertEqual(len(numbers), 2)
        self.assertEqual(order.haoka_card_numbers, ", ".join(numbers))
        self.assertEqual(order.haoka_plan_names, "Test Plan 29")
        self.assertEqual(order.haoka_holder_name, "王小明")
        self.assertRegex(order.with_user(self.staff).haoka_id_number, r"^\d{6}\*{8}\d{3}[\dX]$")

        action = self.env.ref("haoka_distribution.action_haoka_orders_to_ship")
        view = action.view_ids.view_id
        arch = self.env["sale.order"].with_user(self.staff).get_views([(view.id, "list")])["views"]["list"]["arch"]
        for name in ("partner_shipping_id", "haoka_recipient_phone", "haoka_shipping_address", "haoka_card_numbers",
                     "haoka_plan_names", "haoka_holder_name"):
            self.assertIn('name="%s"' % name, arch)
        listed = self.env["sale.order"].with_user(self.staff).search_read(
            [("id", "in", self.orders.ids)] + list(eval(action.domain)),  # noqa: S307 - our own action's domain
            ["haoka_recipient_phone", "haoka_card_numbers"],
        )
        self.assertEqual({row["haoka_recipient_phone"] for row in listed},
                         {"13900000001", "13900000002", "13900000003"})

        wizard = self.ship_wizard(self.orders)
        line = wizard.line_ids.filtered(lambda ln: ln.order_id == order)
        self.assertEqual((line.partner_id, line.recipient_phone, line.shipping_address, line.plan_names,
                          line.holder_name, line.card_numbers),
                         (order.partner_shipping_id, "13900000002", order.haoka_shipping_address, "Test Plan 29",
                          "王小明", ", ".join(numbers)))
        self.assertNotIn(order._haoka_clear_id(), line.holder_id_number or "")

    def test_tracking_numbers_from_the_couriers_excel(self):
        first, second, third = self.orders
        content = xlsx_file([
            ["订单号", "收件人", "收件人电话", "运单号"],
            [first.name, "陈静", None, "SF7000000001"],
            [None, "刘洋", "13900000002", "SF7000000002"],
            [third.name.lower(), "杨帆", "13900000003", " SF7000000003 "],
            [None, None, None, None],
            ["合计", None, None, 3],
        ], title="顺丰速运 批量下单导出")
        wizard = self.wizard_with_file(content)
        result = wizard.fill_tracking_from_file()
        self.assertEqual(result, {"filled": 3, "errors": []})
        self.assertEqual({line.order_id: line.tracking_ref for line in wizard.line_ids},
                         {first: "SF7000000001", second: "SF7000000002", third: "SF7000000003"})
        wizard.action_ship()
        self.assertEqual(self.orders.mapped("haoka_fulfilment_state"), ["shipped"] * 3)
        self.assertEqual(self.orders.mapped("haoka_tracking_ref"), ["SF7000000001", "SF7000000002", "SF7000000003"])

    def test_english_csv_by_phone(self):
        content = b"Phone,Tracking Number\n13900000001,YT001\n+8613900000002,YT002\n139-0000-0003,YT003\n"
        wizard = self.wizard_with_file(content, filename="export.csv")
        self.assertEqual(wizard.fill_tracking_from_file()["filled"], 3)
        self.assertEqual(wizard.line_ids.sorted(lambda ln: ln.order_id.id).mapped("tracking_ref"),
                         ["YT001", "YT002", "YT003"])

    def test_xls_by_order_reference(self):
        import io

        import xlwt

        book = xlwt.Workbook()
        sheet = book.add_sheet("运单")
        for column, header in enumerate(["Order", "Tracking"]):
            sheet.write(0, column, header)
        for row, order in enumerate(self.orders, start=1):
            sheet.write(row, 0, order.name)
            sheet.write(row, 1, 773000000000 + row)  # a numeric tracking number in a number cell
        buffer = io.BytesIO()
        book.save(buffer)
        wizard = self.wizard_with_file(buffer.getvalue(), filename="export.xls")
        self.assertEqual(wizard.fill_tracking_from_file(), {"filled": 3, "errors": []})
        self.assertEqual(wizard.line_ids.sorted(lambda ln: ln.order_id.id).mapped("tracking_ref"),
                         ["773000000001", "773000000002", "773000000003"])

    def test_bad_rows_are_reported_and_nothing_is_filled(self):
        """A tracking file with every kind of bad row: each is reported by row, column and value and nothing is
        filled; then the valid row alone is filled on request.

        Long because each bad row needs its order set up, and the point is that one file reports them all."""
        first, second, third = self.orders
        outsider = self.confirmed_order(self.customer("外人", "13900000009"), sequence="529")
        shipped = self.confirmed_order(self.customer("已发", "13900000008"), sequence="528")
        shipped._haoka_ship(self.sf, "SF7999999999")
        self.customer("同号", "13900000003")  # a phone shared outside the batch is not ambiguous
        second.partner_shipping_id.mobile = "13900000001"  # now two orders of the batch go to this phone
        content = xlsx_file([
            ["订单编号", "手机", "快递单号"],
            ["S-NOPE-1", None, "SF7100000001"],                   # 2 unknown order
            [outsider.name, None, "SF7100000002"],                # 3 not in this batch
            [None, "13900000001", "SF7100000003"],                # 4 ambiguous phone
            [third.name, None, None],                             # 5 empty tracking number
            [first.name, None, "SF7999999999"],                   # 6 used by another order
            [None, "13900000003", "SF7100000006"],                # 7 valid (third)
            [third.name, None, "SF7100000007"],                   # 8 third again
            [first.name, None, "SF7100000006"],                   # 9 duplicate in the file
            [None, None, "SF7100000009"],                         # 10 no order, no phone
            [None, "13911112222", "SF7100000010"],                # 11 unknown phone
            [first.name, None, 98765432101234567],                # 12 digits lost
        ])
        wizard = self.wizard_with_file(content)
        errors = wizard.fill_tracking_from_file()["errors"]
        self.assertEqual([(row, column, value) for row, column, value, _reason in errors], [
            (2, "A (订单编号)", "S-NOPE-1"),
            (3, "A (订单编号)", outsider.name),
            (4, "B (手机)", "13900000001"),
            (5, "C (快递单号)", ""),
            (6, "C (快递单号)", "SF7999999999"),
            (8, "A (订单编号)", third.name),
            (9, "C (快递单号)", "SF7100000006"),
            (10, "A (订单编号)", ""),
            (11, "B (手机)", "13911112222"),
            (12, "C (快递单号)", "98765432101234560"),  # what Excel kept
        ])
        reasons = [reason for *_cells, reason in errors]
        self.assertIn("Unknown order", reasons[0])
        self.assertIn("not in this batch", reasons[1])
        self.assertIn(first.name, reasons[2])
        self.assertIn(second.name, reasons[2])
        self.assertIn("empty", reasons[3])
        self.assertIn(shipped.name, reasons[4])
        self.assertIn("row 7", reasons[5])
        self.assertIn("row 7", reasons[6])
        self.assertIn("15 digits", reasons[9])
        self.assertEqual(wizard.line_ids.mapped("tracking_ref"), [False] * 3)
        self.assertEqual(wizard.tracking_error_count, 10)
        self.assertIn("S-NOPE-1", wizard.tracking_report_html)

        import base64
        import io

        import openpyxl

        report = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.tracking_error_report)))
        rows = list(report.active.iter_rows(values_only=True))
        self.assertEqual(len(rows), 11)
        self.assertEqual(rows[1][:3], (2, "A (订单编号)", "S-NOPE-1"))

        # the user chooses to fill the valid rows
        wizard.tracking_mode = "valid_only"
        self.assertEqual(wizard.fill_tracking_from_file()["filled"], 1)
        self.assertEqual(wizard.line_ids.filtered("tracking_ref").mapped(lambda ln: (ln.order_id, ln.tracking_ref)),
                         [(third, "SF7100000006")])
        with self.assertRaisesRegex(UserError, first.name):
            wizard.action_ship()  # the others still need their tracking numbers

    def test_file_without_the_columns(self):
        wizard = self.wizard_with_file(xlsx_file([["姓名", "地址"], ["陈静", "上海"]]))
        with self.assertRaisesRegex(UserError, "运单号"):
            wizard.fill_tracking_from_file()
        wizard = self.wizard_with_file(b"\x00\x01 not a sheet", filename="x.xlsx")
        with self.assertRaisesRegex(UserError, "not a spreadsheet"):
            wizard.fill_tracking_from_file()
