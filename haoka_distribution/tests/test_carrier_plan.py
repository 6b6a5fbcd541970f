"""Carriers and SIM plans."""

from odoo.exceptions import ValidationError
from odoo.tests import Form

from .common import HaokaCase


class TestCarrierPlan(HaokaCase):
    def test_shipped_carriers(self):
        codes = self.env["haoka.carrier"].search([]).mapped("code")
        self.assertTrue({"CMCC", "CUCC", "CTCC", "CBN"} <= set(codes))
        self.assertEqual(self.cmcc.iccid_check_policy, "warn")
        self.assertTrue(self.cmcc._owns_iccid("89860212345678901234"))
        self.assertFalse(self.cmcc._owns_iccid("89860112345678901234"))
        self.assertEqual(self.env["haoka.carrier"]._find_by_iccid("89860312345678901234").code, "CTCC")
        self.assertIn("188", self.cmcc._segment_set())
        self.assertNotIn("130", self.cmcc._segment_set())

    def test_shipped_aliases_and_names_of_every_language(self):
        """The four carriers ship with their usual Chinese and English names and abbreviations; names of
        every language stored count too."""
        keys = self.env["haoka.carrier"].search([])._haoka_match_keys()
        by_code = {carrier.code: names for carrier, names in keys.items()}
        for code, names in {
            "CMCC": {"中国移动", "移动", "cmcc", "chinamobile"},
            "CUCC": {"中国联通", "联通", "cucc", "chinaunicom"},
            "CTCC": {"中国电信", "电信", "ctcc", "chinatelecom"},
            "CBN": {"中国广电", "广电", "cbn", "chinabroadnet"},
        }.items():
            with self.subTest(code=code):
                self.assertLessEqual(names, by_code[code])
        self.assertFalse(by_code["CMCC"] & by_code["CUCC"])
        self.env["res.lang"]._activate_lang("fr_FR")
        self.cmcc.update_field_translations("name", {"fr_FR": "Chine Mobile"})
        self.assertIn("chinemobile", self.cmcc._haoka_match_keys()[self.cmcc])

    def test_carrier_validation(self):
        with self.assertRaisesRegex(ValidationError, "12345"):
            self.cmcc.iccid_prefixes = "898600, 12345"
        with self.assertRaisesRegex(ValidationError, "139-134"):
            self.cmcc.number_segments = "139-134"

    def test_plan_is_serial_tracked_with_expiry(self):
        for template in (self.plan, self.plan_b):
            self.assertEqual(template.type, "consu")
            self.assertTrue(template.is_storable)
            self.assertEqual(template.tracking, "serial")
            self.assertTrue(template.use_expiration_date)

    def test_plan_from_form_in_plans_menu(self):
        action = self.env.ref("haoka_distribution.action_haoka_plan")
        context = eval(action.context)  # noqa: S307 - the action's own literal context
        form = Form(self.env["product.template"].with_context(**context))
        form.name = "Form Plan"
        form.haoka_carrier_id = self.cmcc
        plan = form.save()
        self.assertTrue(plan.is_sim_card)
        self.assertEqual((plan.type, plan.is_storable, plan.tracking), ("consu", True, "serial"))

    def test_flagging_an_existing_product_makes_it_a_plan(self):
        template = self.env["product.template"].create({"name": "Later plan", "type": "consu"})
        self.assertEqual(template.tracking, "none")
        template.write({"is_sim_card": True, "haoka_carrier_id": self.cmcc.id})
        self.assertEqual((template.is_storable, template.tracking), (True, "serial"))

    def test_plan_constraints(self):
        with self.assertRaisesRegex(ValidationError, "carrier"):
            self.env["product.template"].create({"name": "No carrier", "is_sim_card": True})
        with self.assertRaisesRegex(ValidationError, "serial"):
            self.plan.tracking = "lot"
        with self.assertRaisesRegex(ValidationError, "70"):
            self.plan.write({"haoka_min_age": 70, "haoka_max_age": 60})

    def test_other_products_untouched(self):
        template = self.env["product.template"].create({"name": "Headphones", "type": "consu"})
        self.assertFalse(template.is_sim_card)
        self.assertEqual(template.tracking, "none")
        self.assertFalse(template.is_storable)
