"""实名认证 and compliance checks on SIM orders."""

import datetime

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import BaseCase, tagged

from ..tools import idcard
from .common import HaokaCase, adult_id, make_iccid, make_id_number


@tagged("post_install", "-at_install")
class TestResidentId(BaseCase):
    """The resident ID checks (pure functions, no ORM)."""

    def test_resident_id_table(self):
        today = datetime.date(2026, 11, 27)
        valid = make_id_number(datetime.date(1990, 5, 17))
        problem = idcard.resident_id_problem
        self.assertIsNone(problem("11010519491231002X", today))  # the textbook example
        self.assertIsNone(problem(valid, today))
        wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")
        self.assertEqual(problem(wrong_check, today), "check_char")
        impossible = "110105" + "19900230" + "001"
        self.assertEqual(problem(impossible + idcard.check_char(impossible), today), "birth_date")
        future = "110105" + "20300101" + "001"
        self.assertEqual(problem(future + idcard.check_char(future), today), "birth_date")
        bad_region = "990105" + "19900101" + "001"
        self.assertEqual(problem(bad_region + idcard.check_char(bad_region), today), "region")
        self.assertEqual(problem(valid[:17], today), "length")
        self.assertEqual(problem(valid[:16] + "AX", today), "chars")
        self.assertEqual(idcard.mask_id("11010519491231002X"), "110105********002X")
        self.assertEqual(idcard.age_on(datetime.date(2000, 11, 28), today), 25)
        self.assertEqual(idcard.age_on(datetime.date(2000, 11, 27), today), 26)
        self.assertTrue(idcard.other_id_ok("hk_macau", "H12345678"))
        self.assertFalse(idcard.other_id_ok("hk_macau", "X12345678"))
        self.assertEqual(idcard.normalize_id(" 11010519491231002x "), "11010519491231002X")


class TestCompliance(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Customer Zhou", "phone": "13911112222"})
        Lot = cls.env["stock.lot"].with_context(haoka_manual_entry=True)
        cls.cards = Lot.create([
            {"name": make_iccid("898600", 100 + i), "product_id": cls.product.id, "msisdn": "1380010%04d" % i,
             "expiration_date": cls.days(300)}
            for i in range(8)
        ])
        cls.plan.write({"haoka_min_age": 16, "haoka_max_age": 65})

    def order(self, qty=1, id_number=None, **vals):
        values = {
            "partner_id": self.customer.id,
            "haoka_holder_name": "周杰",
            "haoka_id_number": id_number or adult_id(),
            "order_line": [fields.Command.create({"product_id": self.product.id, "product_uom_qty": qty})],
        }
        values.update(vals)
        return self.env["sale.order"].create(values)

    def test_valid_order_passes_and_is_logged(self):
        order = self.order()
        order.action_confirm()
        self.assertEqual(order.haoka_compliance_state, "passed")
        self.assertIn("Compliance checks passed", order.message_ids.mapped("body")[0])

    def test_missing_or_invalid_identity(self):
        order = self.order(haoka_holder_name=False)
        with self.assertRaisesRegex(UserError, "name is missing"):
            order.action_confirm()
        valid = adult_id()
        order = self.order(id_number=valid[:17] + ("0" if valid[17] != "0" else "1"))
        with self.assertRaisesRegex(UserError, "check character"):
            order.action_confirm()
        impossible = "110105" + "19900230" + "001"
        order = self.order(id_number=impossible + idcard.check_char(impossible))
        with self.assertRaisesRegex(UserError, "birth date"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(set(self.cards.mapped("card_state")), {"available"})

    def test_age_limits(self):
        with self.assertRaisesRegex(UserError, "plan Test Plan 29 is for ages 16 to 65"):
            self.order(id_number=adult_id(years=15)).action_confirm()
        with self.assertRaisesRegex(UserError, "66"):
            self.order(id_number=adult_id(years=66)).action_confirm()
        self.order(id_number=adult_id(years=16)).action_confirm()

    def test_other_id_types_need_a_birth_date(self):
        order = self.order(id_number="H12345678", haoka_id_type="hk_macau")
        with self.assertRaisesRegex(UserError, "birth date is needed"):
            order.action_confirm()
        order.haoka_holder_birthdate = datetime.date(1990, 1, 1)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_five_cards_per_id_and_carrier(self):
        holder = adult_id(years=40, sequence="777")
        self.order(qty=3, id_number=holder).action_confirm()
        self.order(qty=2, id_number=holder).action_confirm()
        sixth = self.order(qty=1, id_number=holder)
        with self.assertRaisesRegex(UserError, "already holds 5"):
            sixth.action_confirm()
        # another carrier is counted apart
        unicom_card = self.env["stock.lot"].with_context(haoka_manual_entry=True).create(
            {"name": make_iccid("898601", 900), "product_id": self.product_cu.id, "msisdn": "13000000900",
             "expiration_date": self.days(300)}
        )
        other = self.order(id_number=holder, order_line=[
            fields.Command.create({"product_id": self.product_cu.id, "product_uom_qty": 1})
        ])
        other.action_confirm()
        self.assertEqual(other.order_line.haoka_lot_ids, unicom_card)
        # the limit is a setting
        self.env["ir.config_parameter"].set_param("haoka_distribution.max_cards_per_id", "6")
        sixth.action_confirm()
        self.assertEqual(sixth.state, "sale")

    def test_limit_per_id_without_its_setting(self):
        """A database without the setting (or with a wrong one) applies the national rule: 5 cards."""
        Param = self.env["ir.config_parameter"]
        Param.search([("key", "=", "haoka_distribution.max_cards_per_id")]).unlink()
        self.assertEqual(self.env["sale.order"]._haoka_max_cards_per_id(), 5)
        Param.set_param("haoka_distribution.max_cards_per_id", "five")
        self.assertEqual(self.env["sale.order"]._haoka_max_cards_per_id(), 5)
        Param.set_param("haoka_distribution.max_cards_per_id", "0")
        self.assertEqual(self.env["sale.order"]._haoka_max_cards_per_id(), 1)

    def test_shipping_prohibited_region(self):
        china = self.env.ref("base.cn")
        xinjiang = self.env["res.country.state"].search([("country_id", "=", china.id)], limit=1)
        self.plan.haoka_forbidden_state_ids = xinjiang
        address = self.env["res.partner"].create(
            {"name": "Delivery", "parent_id": self.customer.id, "type": "delivery", "state_id": xinjiang.id,
             "country_id": china.id}
        )
        order = self.order(partner_shipping_id=address.id)
        with self.assertRaisesRegex(UserError, "shipping-prohibited"):
            order.action_confirm()

    def test_blacklist(self):
        Blacklist = self.env["haoka.blacklist"].with_user(self.manager)
        holder = adult_id(years=35, sequence="555")
        entry = Blacklist.create({"id_number": holder, "reason": "恶意套佣"})
        self.assertEqual(entry.id_number, idcard.mask_id(holder))
        with self.assertRaisesRegex(UserError, "恶意套佣"):
            self.order(id_number=holder).action_confirm()
        Blacklist.create({"phone": "+86 139 1111 2222", "reason": "fraud phone"})
        with self.assertRaisesRegex(UserError, "fraud phone"):
            self.order().action_confirm()
        with self.assertRaises(AccessError):
            self.env["haoka.blacklist"].with_user(self.staff).create({"name": "x", "reason": "y"})

    def test_id_number_encrypted_masked_and_reveal_logged(self):
        holder = adult_id(years=28, sequence="321")
        order = self.order(id_number=holder)
        self.env.flush_all()
        self.env.cr.execute("SELECT row_to_json(s)::text FROM sale_order s WHERE id = %s", (order.id,))
        self.assertNotIn(holder, self.env.cr.fetchone()[0])
        self.assertEqual(order.with_user(self.staff).haoka_id_number, idcard.mask_id(holder))
        with self.assertRaises(AccessError):
            order.with_user(self.staff).action_haoka_reveal_secrets()
        with self.assertRaises(AccessError):
            order.with_user(self.staff).read(["haoka_id_cipher"])
        action = order.with_user(self.manager).action_haoka_reveal_secrets()
        self.assertEqual(action["params"]["message"], holder)
        self.assertIn("Manager Li", order.message_ids[0].body)

    def test_staff_runs_the_checks(self):
        order = self.order(user_id=self.staff.id)
        order.with_user(self.staff).action_haoka_check_compliance()
        self.assertEqual(order.haoka_compliance_state, "passed")
