"""Who sees what.

Staff outside the SIM groups keep Odoo's Sales, Inventory and Invoicing as they were (the addon only
adds fields they can read); inside the SIM groups, the clerk (号卡业务员) sees every SIM order it may
have to ship but no commissions, the manager (号卡主管) and finance (号卡财务) see commissions and
settlements, and a distributor (portal) only its own.
"""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from ..tools.groups import USER_GROUP
from .common import HaokaCase
from .test_commission import CommissionCase


def web_spec(models, model):
    """The ``web_read`` specification the web client sends for a view whose fields are ``models``
    (the ``models`` part of ``get_views``): every field, relational ones with their display name and
    the sub-view's fields of the comodel."""
    spec = {}
    for name, field in models[model]["fields"].items():
        comodel = field.get("relation")
        if not comodel:
            spec[name] = {}
        elif field["type"] == "many2one":
            spec[name] = {"fields": {"display_name": {}}}
        else:
            sub = models.get(comodel, {"fields": {}})["fields"]
            spec[name] = {"fields": {
                sub_name: {"fields": {"display_name": {}}} if sub_field["type"] == "many2one" else {}
                for sub_name, sub_field in sub.items() if sub_field["type"] not in ("one2many", "many2many")
            } | {"display_name": {}}}
    return spec


class TestStaffOutsideSimGroups(HaokaCase):
    """Installing the addon changes nothing for staff who never touch SIM cards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(cls.env, login="plain_salesman", groups="sales_team.group_sale_salesman",
                                     name="Plain Salesman")
        cls.sales_manager = new_test_user(cls.env, login="plain_sales_manager",
                                          groups="sales_team.group_sale_manager", name="Plain Sales Manager")
        cls.stock_user = new_test_user(cls.env, login="plain_stock_user", groups="stock.group_stock_user",
                                       name="Plain Stock User")
        cls.accountant = new_test_user(cls.env, login="plain_invoicing", groups="account.group_account_invoice",
                                       name="Plain Invoicing User")
        cls.customer = cls.env["res.partner"].create({"name": "Ordinary Customer", "phone": "13900000000"})
        cls.charger_lot = cls.env["stock.lot"].create({"name": "CHG-0001", "product_id": cls.other_product.id})
        cls.env["stock.quant"]._update_available_quantity(
            cls.other_product, cls.env.ref("stock.warehouse0").lot_stock_id, 1, lot_id=cls.charger_lot)
        cls.order = cls.env["sale.order"].create({
            "partner_id": cls.customer.id, "user_id": cls.salesman.id,
            "order_line": [Command.create({"product_id": cls.other_product.id, "product_uom_qty": 1,
                                           "price_unit": 20})],
        })
        cls.order.action_confirm()
        cls.picking = cls.order.picking_ids
        cls.invoice = cls.order._create_invoices()

    def records(self):
        return {
            "sale.order": self.order, "sale.order.line": self.order.order_line, "stock.picking": self.picking,
            "stock.move": self.picking.move_ids, "stock.lot": self.charger_lot, "res.partner": self.customer,
            "product.template": self.other_product.product_tmpl_id, "product.product": self.other_product,
            "account.move": self.invoice, "account.move.line": self.invoice.invoice_line_ids,
        }

    def readable_by(self, user):
        return {model for model, record in self.records().items() if record.with_user(user).has_access("read")}

    def apps(self):
        """The documents each user works on in its Odoo app (what its menus open)."""
        return {
            self.salesman: ("sale.order", "res.partner", "product.template"),
            self.sales_manager: ("sale.order", "res.partner", "product.template", "product.product"),
            self.stock_user: ("stock.picking", "stock.lot", "product.template", "res.partner"),
            self.accountant: ("account.move", "res.partner", "product.template"),
        }

    def test_the_users_read_what_plain_odoo_lets_them_read(self):
        """The fixture is meaningful: each user reads the models its Odoo group gives it."""
        for user, models in self.apps().items():
            self.assertLessEqual(set(models), self.readable_by(user), user.login)

    def addon_fields(self, record, user):
        return [name for name, field in record._fields.items()
                if "haoka_distribution" in field._modules and (not field.groups or user.has_groups(field.groups))]

    def test_read_every_field(self):
        """``read()`` of every field the addon adds to Odoo's models, for each user who may read the record;
        of every field at all on sale orders for Sales users, as Odoo's own sale tests do."""
        for user in self.apps():
            for model in sorted(self.readable_by(user)):
                with self.subTest(user=user.login, model=model):
                    record = self.records()[model].with_user(user)
                    record.invalidate_recordset()
                    everything = model == "sale.order" and user in (self.salesman, self.sales_manager)
                    names = None if everything else self.addon_fields(record, user)
                    if names == []:
                        continue  # read([]) would read every field, Odoo's included
                    values = record.read(names)
                    self.assertEqual([v["id"] for v in values], record.ids)

    def test_open_views_as_the_web_client_does(self):
        """The default form and list views load, and the web client reads the addon's fields in them (the
        whole sale order form for Sales users)."""
        for user, models in self.apps().items():
            for model in models:
                record = self.records()[model].with_user(user)
                for view_type in ("form", "list"):
                    with self.subTest(user=user.login, model=model, view=view_type):
                        views = record.get_views([(False, view_type), (False, "search")], {"toolbar": True})
                        spec = web_spec(views["models"], model)
                        if not (model == "sale.order" and user in (self.salesman, self.sales_manager)):
                            spec = {name: spec[name] for name in self.addon_fields(record, user) if name in spec}
                        record.invalidate_recordset()
                        values = record.web_read(spec)
                        self.assertEqual([v["id"] for v in values], record.ids)
                        self.assertLessEqual(spec.keys(), values[0].keys())

    def test_salesman_sells_as_before(self):
        Order = self.env["sale.order"].with_user(self.salesman)
        order = Order.create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": self.other_product.id, "product_uom_qty": 2,
                                           "price_unit": 15})],
        })
        order.write({"note": "Deliver in the morning"})
        order.action_confirm()
        self.assertEqual((order.state, order.amount_untaxed), ("sale", 30))
        self.assertEqual(order.picking_ids.with_user(self.sales_manager).state, "confirmed")
        self.assertFalse(order.haoka_has_sim)
        self.assertFalse(order.haoka_fulfilment_state)
        copy = order.copy()
        copy.action_cancel()
        self.assertEqual(copy.state, "cancel")

    def test_sales_manager_edits_products_and_partners(self):
        template = self.other_product.product_tmpl_id.with_user(self.sales_manager)
        template.write({"list_price": 25})
        self.assertEqual(template.list_price, 25)
        self.assertFalse(template.is_sim_card)
        partner = self.customer.with_user(self.sales_manager)
        partner.write({"phone": "13900000001"})
        self.assertEqual(partner.phone, "13900000001")

    def test_stock_user_ships_ordinary_goods(self):
        picking = self.picking.with_user(self.stock_user)
        picking.action_assign()
        self.assertEqual(picking.move_line_ids.lot_id, self.charger_lot)
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        self.assertIs(picking.button_validate(), True)
        self.assertEqual(picking.state, "done")
        lot = self.charger_lot.with_user(self.stock_user)
        lot.write({"ref": "box 7"})
        self.assertEqual((lot.ref, lot.is_sim_card, lot.card_state), ("box 7", False, False))

    def test_invoicing_user_posts_the_invoice(self):
        invoice = self.invoice.with_user(self.accountant)
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_untaxed, 20)

    def test_sim_only_data_stays_hidden(self):
        """What only SIM staff may see is not readable by name either."""
        for user in (self.salesman, self.sales_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.order.with_user(user).read(["haoka_commission_line_ids"])


class TestWhatEachSimGroupSees(CommissionCase):
    """号卡业务员 ships every SIM order and sees no commission; 号卡主管 and 号卡财务 see every commission
    and settlement; a distributor on the portal sees its own; the dashboard counts what its cards open."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_staff = new_test_user(cls.env, login="haoka_staff_2", name="Staff Zhao",
                                        groups=USER_GROUP)
        cls.other_salesman = new_test_user(cls.env, login="plain_salesman_2", name="Plain Salesman 2",
                                           groups="sales_team.group_sale_salesman")
        cls.portal_seller = new_test_user(cls.env, login="portal_seller", groups="base.group_portal",
                                          name=cls.seller.name, partner_id=cls.seller.id)
        cls.sim_order = cls.order(cls, qty=2, user_id=cls.other_staff.id)
        cls.other_order = cls.env["sale.order"].create({
            "partner_id": cls.customer.id, "user_id": cls.other_salesman.id,
            "order_line": [Command.create({"product_id": cls.other_product.id, "product_uom_qty": 1})],
        })
        cls.other_order.action_confirm()
        cls.settlement = cls.env["haoka.commission.settlement"].create(
            {"distributor_id": cls.seller.id, "date_to": "2099-12-31"})
        cls.mid_settlement = cls.env["haoka.commission.settlement"].create(
            {"distributor_id": cls.mid.id, "date_to": "2099-12-31"})

    def dashboard(self, user):
        data = self.env["haoka.distribution.dashboard"].with_user(user).get_data("all")
        return data, {item["key"]: item for item in data["todo"]}

    def count_in_action(self, user, action):
        """What the list the dashboard card opens shows to ``user``."""
        return self.env[action["res_model"]].with_user(user).search_count(action["domain"])

    def test_clerk_sees_and_ships_every_sim_order(self):
        self.assertEqual(self.sim_order.user_id, self.other_staff)
        Order = self.env["sale.order"].with_user(self.staff)
        to_ship = Order.search([("haoka_fulfilment_state", "=", "to_ship")])
        self.assertIn(self.sim_order, to_ship)
        self.assertEqual(to_ship, self.env["sale.order"].search([("haoka_fulfilment_state", "=", "to_ship")]))
        self.assertEqual(Order.search([("id", "=", self.other_order.id)]), Order,
                         "orders without SIM plans stay their salesperson's own")
        _data, todo = self.dashboard(self.staff)
        self.assertEqual(todo["to_ship"]["value"], len(to_ship))
        self.assertEqual(self.count_in_action(self.staff, todo["to_ship"]["action"]), len(to_ship))
        values = self.sim_order.with_user(self.staff).read()[0]
        self.assertEqual(values["haoka_fulfilment_state"], "to_ship")
        self.assertEqual(len(values["haoka_chain_ids"]), 3)
        self.assertNotIn("haoka_commission_line_ids", values)
        self.sim_order.with_user(self.staff)._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-ACL-1")
        self.assertEqual(self.sim_order.haoka_fulfilment_state, "shipped")

    def test_clerk_sees_no_commission(self):
        for model in ("haoka.commission.line", "haoka.commission.settlement"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.staff).search([])
        data, todo = self.dashboard(self.staff)
        self.assertNotIn("eligible", todo)
        self.assertEqual(data["commissions"], [])
        self.assertNotIn("commission", {kpi["key"] for kpi in data["kpis"]})
        self.assertEqual(self.sim_order.with_user(self.staff).get_views([(False, "form")])["models"]["sale.order"]
                         ["fields"].keys() & {"haoka_commission_line_ids"}, set())

    def test_manager_and_finance_see_every_commission(self):
        lines = self.sim_order.sudo().haoka_commission_line_ids
        self.assertEqual(len(lines), 3, "seller 40/card on shipping, upline 10 %, top 5/card on receipt")
        for user in (self.manager, self.finance):
            with self.subTest(user=user.login):
                Line = self.env["haoka.commission.line"].with_user(user)
                self.assertEqual(Line.search([("order_id", "=", self.sim_order.id)]), lines)
                self.assertEqual(self.sim_order.with_user(user).read(["haoka_commission_line_ids"])[0]
                                 ["haoka_commission_line_ids"], lines.ids)
                self.assertEqual(self.env["haoka.commission.settlement"].with_user(user).search(
                    [("id", "in", (self.settlement | self.mid_settlement).ids)]), self.settlement | self.mid_settlement)
                data, todo = self.dashboard(user)
                eligible = todo["eligible"]
                self.assertEqual(eligible["value"], self.count_in_action(user, eligible["action"]))
                self.assertEqual(eligible["value"], self.env["haoka.commission.line"].search_count(
                    [("state", "=", "eligible"), ("settlement_id", "=", False)]))
                self.assertEqual(sum(row["lines"] for row in data["commissions"]),
                                 self.env["haoka.commission.line"].search_count([]))
                for row in data["commissions"]:
                    self.assertEqual(row["lines"], self.count_in_action(user, row["action"]))
                self.assertEqual(todo["to_ship"]["value"], self.count_in_action(user, todo["to_ship"]["action"]))

    def test_portal_distributor_sees_its_own(self):
        Line = self.env["haoka.commission.line"].with_user(self.portal_seller)
        own = self.sim_order.sudo().haoka_commission_line_ids.filtered(lambda l: l.distributor_id == self.seller)
        self.assertEqual(len(own), 1)
        self.assertEqual(Line.search([]), own)
        self.assertEqual(self.env["haoka.order.chain"].with_user(self.portal_seller).search([]).distributor_id,
                         self.seller)
        self.assertEqual(self.env["haoka.commission.settlement"].with_user(self.portal_seller).search([]),
                         self.settlement)
        with self.assertRaises(AccessError):
            self.mid_settlement.with_user(self.portal_seller).read(["total"])

    def test_each_group_opens_a_sim_order(self):
        for user in (self.staff, self.manager, self.finance):
            with self.subTest(user=user.login):
                order = self.sim_order.with_user(user)
                views = order.get_views([(False, "form"), (False, "list")])
                values = order.web_read(web_spec(views["models"], "sale.order"))
                self.assertEqual(values[0]["haoka_fulfilment_state"], "to_ship")
                self.assertEqual("haoka_commission_line_ids" in values[0], user != self.staff)

    def test_sales_manager_outside_sim_groups_reads_a_sim_order(self):
        """A Sales manager of the company reads every order, SIM orders included: the order form opens
        and prints with the numbers sold; the cards themselves, commissions and chain stay hidden."""
        sales_manager = new_test_user(self.env, login="plain_sales_manager_2", name="Plain Sales Manager 2",
                                      groups="sales_team.group_sale_manager")
        order = self.sim_order.with_user(sales_manager)
        cards = self.sim_order.order_line.haoka_lot_ids
        self.assertEqual(len(cards), 2)
        values = order.read()[0]
        self.assertEqual(values["haoka_fulfilment_state"], "to_ship")
        self.assertFalse({"haoka_chain_ids", "haoka_commission_line_ids"} & values.keys())
        line = order.order_line.read(["haoka_is_sim", "haoka_grade_conditions", "haoka_premium_source_id"])[0]
        self.assertEqual(line["haoka_is_sim"], True)
        with self.assertRaises(AccessError):
            order.order_line.read(["haoka_lot_ids"])
        views = order.get_views([(False, "form"), (False, "list")])
        self.assertNotIn("haoka_lot_ids", views["models"]["sale.order.line"]["fields"])
        values = order.web_read(web_spec(views["models"], "sale.order"))
        self.assertEqual(values[0]["order_line"][0]["haoka_is_sim"], True)
        html = self.env["ir.actions.report"].with_user(sales_manager)._render_qweb_html(
            "sale.action_report_saleorder", order.ids)[0].decode()
        for card in cards:
            self.assertIn(card.msisdn, html)
